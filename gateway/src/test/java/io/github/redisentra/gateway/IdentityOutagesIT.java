package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.admin.ReadinessCheck;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.gateway.it.NettyLeakCheck;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's identity providers failing while it serves, against the emulator's faults API: the managed-identity
 * endpoint throttling (429) through an upstream token renewal, and the tenant's metadata/JWKS endpoints down past
 * the 24 h staleness bound. Clients keep being served; readiness tells the truth; recovery needs no operator.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(NettyLeakCheck.class)
class IdentityOutagesIT {
    static final String GROUP = "aaaaaaaa-0000-4000-8000-0000000000e1";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice;
    static ManagedIdentity mi;
    static RedisServer redis;
    static AzureCacheStandIn cache;
    static Path emulatorCa;

    GatewayRuntime runtime;
    final List<RedisCli> clients = new ArrayList<>();

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        mi = tenant.addManagedIdentity("gateway-mi");
        emulatorCa = emu.writeCaCertificate(dir.resolve("emulator-ca.pem"));
        redis = RedisServer.builder().tlsOnly().name("identity-outages").start();
        cache = AzureCacheStandIn.builder(redis).objectId(mi.objectId()).build().watch(emu);
    }

    @AfterAll
    static void stop() {
        if (cache != null) {
            cache.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (emu != null) {
            emu.close();
        }
    }

    @AfterEach
    void tearDown() {
        clients.forEach(RedisCli::close);
        clients.clear();
        if (runtime != null) {
            runtime.shutdown();
        }
        emu.faults().reset();
    }

    static Map<String, String> env(String... kv) {
        Map<String, String> m =
                TestGatewaySettings.base(emu, tenant.id(), api.clientId(), emulatorCa, redis.tlsPort(), redis.caFile());
        m.put("ALLOWED_GROUP_IDS", GROUP);
        m.put("ADMIN_ADDR", "off");
        m.put("LOCAL_REDIS_TOKEN", "unused-the-test-passes-its-own-upstream-identity");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    /**
     * The App Service managed-identity protocol ({@code IDENTITY_ENDPOINT}/{@code IDENTITY_HEADER}), one HTTP request
     * per call, so that the emulator's faults (429 with {@code Retry-After}, outage) reach the gateway's refresher.
     */
    static final class AppServiceManagedIdentity implements TokenSource {
        final HttpClient http = HttpClient.newBuilder()
                .sslContext(emu.sslContext())
                .connectTimeout(Duration.ofSeconds(5))
                .build();

        @Override
        public AccessToken getToken(boolean forceRefresh) throws Exception {
            URI uri = URI.create(emu.appServiceIdentityEndpoint() + "?api-version=2019-08-01&resource="
                    + URLEncoder.encode(AzureCacheStandIn.REDIS_AUDIENCE, StandardCharsets.UTF_8) + "&client_id="
                    + mi.clientId());
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(uri)
                            .header("X-IDENTITY-HEADER", emu.appServiceIdentityHeader())
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("managed identity endpoint answered HTTP " + r.statusCode());
            }
            return AccessToken.of((String) JSONObjectUtils.parse(r.body()).get("access_token"), null);
        }

        @Override
        public String describe() {
            return "App Service managed identity " + mi.clientId();
        }
    }

    int startGateway(GatewayConfig config, Clock clock, UpstreamIdentity upstream) throws Exception {
        runtime = GatewayRuntime.create(config, clock, upstream);
        runtime.start(RespListenerWiring::start);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> runtime.authenticator().keyStatus().keysLoaded());
        runtime.upstream().first().get(30, TimeUnit.SECONDS);
        return runtime.listener().orElseThrow().localAddress().getPort();
    }

    Optional<String> readiness(String check) {
        return runtime.readinessChecks().stream()
                .filter(c -> c.name().equals(check))
                .findFirst()
                .map(ReadinessCheck::problem)
                .orElseThrow();
    }

    long metric(String line) {
        return runtime.metrics()
                .render()
                .lines()
                .filter(l -> l.startsWith(line + " "))
                .mapToLong(l ->
                        (long) Double.parseDouble(l.substring(line.length() + 1).trim()))
                .findFirst()
                .orElse(0);
    }

    void allClientsServed(String key) {
        for (RedisCli c : clients) {
            assertThat(c.call("INCR", key)).isInstanceOf(Long.class);
        }
    }

    @Test
    void managedIdentityThrottlingThroughARenewalKeepsServingBacksOffDropsReadinessThenReauthsEveryConnection()
            throws Exception {
        mi.tokenLifetime(Duration.ofSeconds(75)); // readiness requires 60 s of validity: it drops ~15 s in
        RefreshPolicy policy = RefreshPolicy.builder()
                .refreshRatio(0.1) // first renewal attempt ~7.5 s after issue
                .lowerBound(Duration.ZERO)
                .minimumDelay(Duration.ofSeconds(1))
                .jitter(Duration.ZERO)
                .initialBackoff(Duration.ofSeconds(1))
                .maxBackoff(Duration.ofSeconds(4))
                .build();
        int port = startGateway(
                GatewayConfig.from(env()),
                Clock.systemUTC(),
                UpstreamIdentity.of(new AppServiceManagedIdentity(), policy, mi.objectId()));
        emu.faults().throttle(Endpoint.MANAGED_IDENTITY, true);
        long throttledFrom = System.nanoTime();
        long requestsBefore = emu.requestCount(Endpoint.MANAGED_IDENTITY);
        for (int i = 0; i < 3; i++) {
            RedisCli c = RedisCli.connect("127.0.0.1", port);
            clients.add(c);
            assertThat(c.callString("AUTH", emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api))))
                    .isEqualTo("OK");
        }
        assertThat(readiness("upstream token")).isEmpty();

        // Throttled through the renewal: clients keep being served with the current token; readiness drops while
        // the token is still valid (60 s before its expiry).
        await().atMost(Duration.ofSeconds(40))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    allClientsServed("mi-throttle");
                    return readiness("upstream token").isPresent();
                });
        assertThat(readiness("upstream token").orElseThrow()).contains("upstream token expires at");
        allClientsServed("mi-throttle");
        double throttledSeconds = (System.nanoTime() - throttledFrom) / 1e9;
        long throttledRequests = emu.requestCount(Endpoint.MANAGED_IDENTITY) - requestsBefore;
        assertThat(throttledRequests).as("renewal attempts while throttled").isGreaterThanOrEqualTo(2);
        // No burst: at most one attempt per initial backoff (1 s) over the throttled window, plus the first.
        assertThat(throttledRequests)
                .as("attempts in %.1f s", throttledSeconds)
                .isLessThanOrEqualTo((long) throttledSeconds + 2);

        long reauthsBefore = metric("redis_entra_gateway_upstream_reauth_total{result=\"ok\"}");
        emu.faults().throttle(Endpoint.MANAGED_IDENTITY, false);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> readiness("upstream token").isEmpty());
        // Every upstream connection is re-AUTHed with the renewed token.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> metric("redis_entra_gateway_upstream_reauth_total{result=\"ok\"}") - reauthsBefore
                        >= clients.size());
        assertThat(metric("redis_entra_gateway_upstream_reauth_total{result=\"failed\"}"))
                .isZero();
        allClientsServed("mi-throttle");
        mi.tokenLifetime(null);
    }

    /** A clock the test moves forward (the authenticator's key age and token checks use it). */
    static final class ShiftedClock extends Clock {
        volatile Duration shift = Duration.ZERO;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.now().plus(shift);
        }
    }

    @Test
    void metadataAndJwksDownPastTheStalenessBoundKeepsCachedKeysServingReportsNotReadyAndRecoversByItself()
            throws Exception {
        ShiftedClock clock = new ShiftedClock();
        int port = startGateway(
                GatewayConfig.from(env("JWKS_REFRESH_INTERVAL", "2s")),
                clock,
                UpstreamIdentity.of(
                        new AppServiceManagedIdentity(),
                        RefreshPolicy.builder()
                                .minimumDelay(Duration.ofSeconds(1))
                                .build(),
                        mi.objectId()));
        assertThat(readiness("signing keys")).isEmpty();

        emu.faults().outage(Endpoint.JWKS, true);
        emu.faults().outage(Endpoint.DISCOVERY, true);
        clock.shift = Duration.ofHours(25);
        // The background refresh keeps failing; the last known good keys are now 25 h old.
        await().atMost(Duration.ofSeconds(20))
                .until(() -> readiness("signing keys")
                        .filter(p -> p.startsWith("signing keys not refreshed for"))
                        .isPresent());
        assertThat(runtime.authenticator().keyStatus().keysLoaded()).isTrue();
        // ... and still validate tokens (minted on the shifted clock, as Entra would issue them then).
        Instant later = clock.instant();
        try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
            assertThat(c.callString(
                            "AUTH",
                            emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api)
                                    .issuedAt(later)
                                    .lifetime(Duration.ofHours(1)))))
                    .isEqualTo("OK");
            assertThat(c.callString("PING")).isEqualTo("PONG");
        }

        emu.faults().reset();
        // No operator action: the periodic refresh loads the keys again and readiness returns.
        await().atMost(Duration.ofSeconds(20))
                .until(() -> readiness("signing keys").isEmpty());
        assertThat(runtime.authenticator().keyStatus().lastError()).isEmpty();
    }
}
