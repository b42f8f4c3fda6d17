package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.microsoft.aad.msal4j.MsalManagedIdentityEnvironment;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.emulator.msal.EmulatorMsalHttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The refresh engine over real sources (azure-identity, MSAL) and the emulator, in real time. */
@Timeout(90)
class TokenRefresherEmulatorIT {
    static EntraEmulator emu;
    static Tenant tenant;

    @BeforeAll
    static void startEmulator() {
        emu = EntraEmulator.builder()
                .deviceCodePollInterval(Duration.ofSeconds(1))
                .build()
                .start();
        tenant = emu.createTenant("contoso");
        MsalManagedIdentityEnvironment.set(Map.of(
                "IDENTITY_ENDPOINT", emu.appServiceIdentityEndpoint().toString(),
                "IDENTITY_HEADER", emu.appServiceIdentityHeader()));
    }

    @AfterAll
    static void stopEmulator() {
        MsalManagedIdentityEnvironment.reset();
        if (emu != null) {
            emu.close();
        }
    }

    /** Records each token with the time it arrived. */
    static final class Arrivals implements TokenListener {
        record Arrival(AccessToken token, Instant at) {}

        final List<Arrival> arrivals = new CopyOnWriteArrayList<>();

        @Override
        public void onToken(AccessToken token) {
            arrivals.add(new Arrival(token, Instant.now()));
        }
    }

    @Test
    void fiveSecondManagedIdentityTokensAreRenewedContinuouslyBeforeTheyExpire() throws Exception {
        ManagedIdentity mi = tenant.addManagedIdentity("short-lived-mi").tokenLifetime(Duration.ofSeconds(5));
        AzureCredentialTokenSource source = AzureCredentialTokenSource.of(new ManagedIdentityCredentialBuilder()
                .clientId(mi.clientId())
                .httpClient(new JdkHttpClientBuilder().build())
                .build());
        RefreshPolicy policy =
                RefreshPolicy.builder().minimumDelay(Duration.ofSeconds(1)).build();
        long before = emu.requestCount(Endpoint.MANAGED_IDENTITY);
        Arrivals arrivals = new Arrivals();
        try (TokenRefresher refresher =
                TokenRefresher.builder(source).policy(policy).name("mi").build()) {
            refresher.subscribe(arrivals);
            refresher.firstToken().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(40)).until(() -> arrivals.arrivals.size() >= 5);
            assertThat(refresher.status().consecutiveFailures()).isZero();
        }
        List<Arrivals.Arrival> got = List.copyOf(arrivals.arrivals);
        for (int i = 1; i < got.size(); i++) {
            AccessToken previous = got.get(i - 1).token();
            assertThat(got.get(i).token()).isNotEqualTo(previous);
            assertThat(got.get(i).token().objectId()).contains(mi.objectId());
            // Renewed while the previous token was still valid (with the 0.75 ratio: ~1.25 s to spare).
            assertThat(got.get(i).at()).isBefore(previous.expiresAt());
        }
        // One endpoint call per token: no loop, no extra chain.
        assertThat(emu.requestCount(Endpoint.MANAGED_IDENTITY) - before).isBetween((long) got.size(), got.size() + 1L);
    }

    @Test
    void aTokenEndpointOutageKeepsTheCurrentTokenAndRenewalResumesWithoutABurst() throws Exception {
        AppRegistration api = tenant.registerApp(AppSpec.api("outage-api")).tokenLifetime(Duration.ofMinutes(10));
        AppRegistration cli = tenant.registerApp(AppSpec.publicClient("outage-cli"));
        User bob = tenant.addUser(UserSpec.named("bob"));
        MsalUserTokenSource source = MsalUserTokenSource.builder(cli.clientId())
                .authority(tenant.authority())
                .instanceDiscovery(false)
                .validateAuthority(false)
                .httpClient(new EmulatorMsalHttpClient(emu))
                .scopes(api.defaultScope())
                .deviceCodeHandler(code -> emu.approveDeviceCode(code.userCode(), bob))
                .build();
        source.signIn();
        RefreshPolicy policy = RefreshPolicy.builder()
                .minimumDelay(Duration.ofMillis(500))
                .initialBackoff(Duration.ofMillis(200))
                .maxBackoff(Duration.ofSeconds(1))
                .build();
        Arrivals arrivals = new Arrivals();
        try (TokenRefresher refresher =
                TokenRefresher.builder(source).policy(policy).name("user").build()) {
            refresher.subscribe(arrivals);
            AccessToken first = refresher.firstToken().get(30, TimeUnit.SECONDS);

            emu.faults().outage(Endpoint.TOKEN, true);
            long atOutage = emu.requestCount(Endpoint.TOKEN);
            try {
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> refresher.status().nextAttempt() != null);
                refresher.refreshNow(); // an early renewal (e.g. after a WRONGPASS) that meets the outage
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> refresher.status().consecutiveFailures() >= 4);
                assertThat(refresher.current()).contains(first);
                assertThat(refresher.status().lastFailureMessage()).isNotBlank().doesNotContain(first.secret());
            } finally {
                emu.faults().outage(Endpoint.TOKEN, false);
            }
            int failures = refresher.status().consecutiveFailures();
            await().atMost(Duration.ofSeconds(10)).until(() -> arrivals.arrivals.size() >= 2);
            long afterRecovery = emu.requestCount(Endpoint.TOKEN);

            assertThat(refresher.status().consecutiveFailures()).isZero();
            assertThat(arrivals.arrivals.get(1).token()).isNotEqualTo(first);
            // Each failed attempt costs at most two calls (MSAL retries a 5xx once); recovery one more, not a burst.
            assertThat(afterRecovery - atOutage).isLessThanOrEqualTo(2L * (failures + 2));
            // The next renewal is due at 75 % of a 10-minute lifetime: nothing more happens meanwhile.
            await().during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(3))
                    .until(() -> emu.requestCount(Endpoint.TOKEN) == afterRecovery);
            assertThat(arrivals.arrivals).hasSize(2);
        }
    }

    /**
     * The outage: the token endpoint answers 503 for longer than the token lives, so the token expires
     * mid-outage. Real MSAL in between: it retries a 5xx once after 1 s and then refuses to send for 5 s
     * ({@code MsalThrottlingException}), which the refresher waits out without growing its backoff. So recovery lies
     * anywhere between 0 and ~5.3 s (MSAL's throttle, the refresher's 0.1 s of jitter, the request); without MSAL's
     * throttle (connection failures) the refresher's 2-3 s retry decides. Measures how soon a new token arrives after
     * the endpoint is back and how many requests the outage cost. 15 s by default; the long form is
     * {@code -Dredis-entra.outage.seconds=45}.
     */
    @Test
    void anOutageLongerThanTheTokenRecoversWithinMsalsThrottleAtMostOneRequestPerTwoSeconds() throws Exception {
        Duration outage = Duration.ofSeconds(Long.getLong("redis-entra.outage.seconds", 15));
        AppRegistration api = tenant.registerApp(AppSpec.api("expiry-api")).tokenLifetime(Duration.ofSeconds(8));
        AppRegistration cli = tenant.registerApp(AppSpec.publicClient("expiry-cli"));
        User carol = tenant.addUser(UserSpec.named("carol"));
        MsalUserTokenSource source = MsalUserTokenSource.builder(cli.clientId())
                .authority(tenant.authority())
                .instanceDiscovery(false)
                .validateAuthority(false)
                .httpClient(new EmulatorMsalHttpClient(emu))
                .scopes(api.defaultScope())
                .deviceCodeHandler(code -> emu.approveDeviceCode(code.userCode(), carol))
                .build();
        source.signIn();
        RefreshPolicy policy =
                RefreshPolicy.builder().minimumDelay(Duration.ofSeconds(1)).build();
        Arrivals arrivals = new Arrivals();
        try (TokenRefresher refresher =
                TokenRefresher.builder(source).policy(policy).name("expiry").build()) {
            refresher.subscribe(arrivals);
            AccessToken first = refresher.firstToken().get(30, TimeUnit.SECONDS);

            long atOutage = emu.requestCount(Endpoint.TOKEN);
            emu.faults().outage(Endpoint.TOKEN, true);
            Instant outageStart = Instant.now();
            try {
                await().atMost(outage.plusSeconds(5))
                        .until(() -> refresher.current().isEmpty());
                await().atMost(outage.plusSeconds(5))
                        .until(() ->
                                Duration.between(outageStart, Instant.now()).compareTo(outage) >= 0);
            } finally {
                emu.faults().outage(Endpoint.TOKEN, false);
            }
            Instant outageEnd = Instant.now();
            long requestsDuringOutage = emu.requestCount(Endpoint.TOKEN) - atOutage;
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> refresher.current().isPresent());
            Instant recovered =
                    arrivals.arrivals.get(arrivals.arrivals.size() - 1).at();
            Duration recovery = Duration.between(outageEnd, recovered);
            double perSecond = requestsDuringOutage / (outage.toMillis() / 1000.0);
            System.out.printf(
                    "outage %s with 8 s tokens: %d token requests (%.2f/s), new token %d ms after the endpoint"
                            + " returned%n",
                    outage, requestsDuringOutage, perSecond, recovery.toMillis());

            assertThat(first.expiresAt()).isBefore(outageEnd);
            assertThat(recovery).isLessThanOrEqualTo(Duration.ofSeconds(6));
            assertThat(perSecond).isLessThanOrEqualTo(0.5);
            assertThat(refresher.status().consecutiveFailures()).isZero();
        }
    }
}
