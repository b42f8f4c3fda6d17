package io.github.redisentra.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultsAndListenersIT {
    // One emulator for the class (key generation is the slow part); every test starts from a clean slate.
    static EntraEmulator emu;
    static Tenant tenant;
    static ManagedIdentity mi;
    static EmulatorHttp http;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        mi = tenant.addManagedIdentity("mi");
        tenant.setSystemAssignedIdentity(mi);
        http = new EmulatorHttp(emu);
    }

    @BeforeEach
    void cleanSlate() {
        emu.faults().reset();
        emu.resetRequestCounts();
        mi.tokenLifetime(null);
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    private EmulatorHttp.Reply miToken() throws Exception {
        return http.get(
                URI.create(
                        emu.appServiceIdentityEndpoint() + "?resource=https://redis.azure.com&api-version=2019-08-01"),
                "X-IDENTITY-HEADER",
                emu.appServiceIdentityHeader());
    }

    private EmulatorHttp.Reply jwks() throws Exception {
        return http.get(URI.create(emu.httpsBaseUrl() + "/" + tenant.id() + "/discovery/v2.0/keys"));
    }

    @Test
    void outageAnswers503UntilTurnedOffAndIsCounted() throws Exception {
        emu.faults().outage(Endpoint.JWKS, true);
        EmulatorHttp.Reply down = jwks();
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.json()).containsEntry("error", "temporarily_unavailable");
        assertThat(miToken().status()).isEqualTo(200); // other endpoints unaffected
        emu.faults().outage(Endpoint.JWKS, false);
        assertThat(jwks().status()).isEqualTo(200);
        assertThat(emu.requestCount(Endpoint.JWKS)).isEqualTo(2);
        assertThat(emu.requestCount(Endpoint.MANAGED_IDENTITY)).isEqualTo(1);
    }

    @Test
    void connectionDropOutageGivesNoHttpResponse() {
        emu.faults().outage(Endpoint.JWKS, Faults.OutageMode.CONNECTION_DROP);
        assertThatThrownBy(this::jwks).isInstanceOf(IOException.class);
    }

    @Test
    void throttlingAnswers429WithRetryAfter() throws Exception {
        emu.faults().throttle(Endpoint.MANAGED_IDENTITY, true).retryAfter(Duration.ofSeconds(7));
        EmulatorHttp.Reply r = miToken();
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.header("Retry-After")).isEqualTo("7");
        emu.faults().reset();
        assertThat(miToken().status()).isEqualTo(200);
    }

    @Test
    void latencyIsInjectedWithoutChangingTheAnswer() throws Exception {
        emu.faults().latency(Endpoint.JWKS, Duration.ofMillis(300));
        assertThat(emu.faults().latencyOf(Endpoint.JWKS)).isEqualTo(Duration.ofMillis(300));
        assertThat(jwks().status()).isEqualTo(200);
    }

    @Test
    void clockSkewShiftsIssuedTokens() throws Exception {
        emu.faults().clockSkew(Duration.ofHours(-2));
        String jwt = (String) miToken().json().get("access_token");
        JWTClaimsSet c = SignedJWT.parse(jwt).getJWTClaimsSet();
        assertThat(c.getExpirationTime().toInstant()).isBefore(Instant.now()); // 2 h behind, 1 h lifetime
    }

    @Test
    void listenersSeeIssueAndExpiryOfShortLivedTokens() throws Exception {
        List<IssuedToken> issued = new CopyOnWriteArrayList<>();
        List<IssuedToken> expired = new CopyOnWriteArrayList<>();
        TokenEventListener listener = new TokenEventListener() {
            @Override
            public void onIssued(IssuedToken token) {
                issued.add(token);
            }

            @Override
            public void onExpired(IssuedToken token) {
                expired.add(token);
            }
        };
        emu.addTokenListener(listener);
        mi.tokenLifetime(Duration.ofSeconds(2));
        String jwt = (String) miToken().json().get("access_token");
        assertThat(issued).hasSize(1);
        IssuedToken t = issued.get(0);
        assertThat(t.value()).isEqualTo(jwt);
        assertThat(t.kind()).isEqualTo(IssuedToken.Kind.MANAGED_IDENTITY);
        assertThat(t.subjectObjectId()).isEqualTo(mi.objectId());
        assertThat(t.audience()).isEqualTo("https://redis.azure.com");
        assertThat(t.toString()).doesNotContain(jwt);
        assertThat(expired).isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> expired.size() == 1);
        assertThat(expired.get(0)).isSameAs(t);
        assertThat(Instant.now()).isAfterOrEqualTo(t.expiresAt());
        emu.removeTokenListener(listener);
    }
}
