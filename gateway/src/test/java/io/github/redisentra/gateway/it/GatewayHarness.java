package io.github.redisentra.gateway.it;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.GatewaySetup;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.tls.TlsContexts;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Everything a gateway integration test needs, all real: the Entra emulator (tenant, API app, users, the gateway's
 * managed identity), a TLS-only redis-server behind an {@link AzureCacheStandIn} that accepts only the managed
 * identity's currently valid tokens, a core {@link TokenRefresher} minting MI tokens from the emulator, the
 * gateway's own {@link EntraAuthenticator} validating client tokens against the emulator's tenant, and gateways under
 * test.
 */
final class GatewayHarness implements AutoCloseable {
    static final String GROUP = "6f1d3c52-5b1a-4d2e-9a57-1f0c2b7e9d01";

    final EntraEmulator emu;
    final Tenant tenant;
    final AppRegistration api;
    final User alice;
    final User bob;
    final User outsider;
    final ManagedIdentity mi;
    final RedisServer redis;
    final AzureCacheStandIn cache;
    final TokenRefresher refresher;
    final UpstreamCredentials credentials;
    final EntraAuthenticator authenticator;
    final SslContext upstreamTls;
    private final List<GatewayServer> gateways = new ArrayList<>();

    /**
     * @param miTokenLifetime lifetime of the gateway's upstream tokens (the refresher renews at half of it)
     * @param cutAtExpiry whether upstream connections are cut when their token expires (front door)
     */
    GatewayHarness(Duration miTokenLifetime, boolean cutAtExpiry) throws Exception {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway-api").acceptedTokenVersion(2));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        bob = tenant.addUser(UserSpec.named("bob").groups(GROUP));
        outsider = tenant.addUser(UserSpec.named("eve").groups(UUID.randomUUID().toString()));
        mi = tenant.addManagedIdentity("gateway-mi");
        redis = RedisServer.builder().tlsOnly().name("gateway-it").start();
        AzureCacheStandIn.Builder cb = AzureCacheStandIn.builder(redis).objectId(mi.objectId());
        if (cutAtExpiry) {
            cb.cutAtExpiry();
        }
        cache = cb.build().watch(emu);
        upstreamTls = SslContextBuilder.forClient()
                .sslProvider(TlsContexts.provider()) // the engine the gateway uses (OpenSSL where available)
                .trustManager(redis.certificateAuthority().certificate())
                .build();
        TokenSource source = new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) {
                return AccessToken.of(
                        emu.mintAccessToken(
                                TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE)
                                        .lifetime(miTokenLifetime)),
                        null);
            }

            @Override
            public String describe() {
                return "emulator managed identity " + mi.objectId();
            }
        };
        refresher = TokenRefresher.builder(source)
                .policy(RefreshPolicy.builder()
                        .refreshRatio(0.5)
                        .lowerBound(Duration.ZERO)
                        .minimumDelay(Duration.ofSeconds(1))
                        .jitter(Duration.ZERO)
                        .build())
                .name("gateway-it-upstream")
                .build();
        refresher.firstToken().get();
        credentials = UpstreamCredentials.fromRefresher(null, refresher);
        authenticator = realAuthenticator();
        this.cutAtExpiry = cutAtExpiry;
    }

    private final boolean cutAtExpiry;

    /**
     * The gateway's own {@link EntraAuthenticator}, configured as an operator would (OIDC discovery of the
     * emulator's tenant, JWKS, audience, group), with no clock skew so that expiry tests are exact. No Graph: the
     * harness's users are never in group overage (EntraAuthenticatorIT covers it).
     */
    private EntraAuthenticator realAuthenticator() throws Exception {
        Path dir = Files.createTempDirectory("gateway-harness");
        Path ca = emu.writeCaCertificate(dir.resolve("emulator-ca.pem"));
        Map<String, String> env = Map.of(
                "TENANT_ID",
                tenant.id(),
                "EXPECTED_AUDIENCE",
                api.clientId() + "," + api.appIdUri(),
                "ALLOWED_GROUP_IDS",
                GROUP,
                "AZURE_AUTHORITY_HOST",
                emu.httpsBaseUrl().toString(),
                "HTTPS_CA_FILE",
                ca.toString(),
                "HTTP_TIMEOUT",
                "5s",
                "CLOCK_SKEW",
                "0s",
                "REDIS_HOSTPORT",
                "127.0.0.1:6380",
                "LISTEN_ADDR",
                "127.0.0.1:0");
        EntraAuthenticator a =
                GatewaySetup.of(GatewayConfig.from(env)).entraAuthenticator(null, new AuditLog(), Clock.systemUTC());
        a.start().get(30, TimeUnit.SECONDS);
        return a;
    }

    int upstreamPort() {
        return cutAtExpiry ? cache.tlsPort() : redis.tlsPort();
    }

    UpstreamEndpoint endpoint() {
        return UpstreamEndpoint.tls("localhost", upstreamPort(), upstreamTls);
    }

    static SessionSettings sessionSettings() {
        return SessionSettings.DEFAULTS.withClientExpirySkew(Duration.ZERO);
    }

    GatewayServer startGateway(SessionSettings session, CountingEvents events) throws InterruptedException {
        return startGateway(session, events, null);
    }

    GatewayServer startGateway(SessionSettings session, CountingEvents events, SslContext listenerTls)
            throws InterruptedException {
        return startGateway(session, events, listenerTls, endpoint());
    }

    GatewayServer startGateway(
            SessionSettings session, CountingEvents events, SslContext listenerTls, UpstreamEndpoint upstream)
            throws InterruptedException {
        return startGateway(
                GatewaySettings.loopback(0)
                        .withSession(session)
                        .withListenerTls(listenerTls)
                        .withDrainTimeout(Duration.ofSeconds(5)),
                events,
                upstream);
    }

    GatewayServer startGateway(GatewaySettings settings, CountingEvents events, UpstreamEndpoint upstream)
            throws InterruptedException {
        GatewayServer g = new GatewayServer(settings, authenticator, upstream, credentials, events).start();
        gateways.add(g);
        return g;
    }

    String token(User user, Duration lifetime) {
        return emu.mintAccessToken(TokenRequest.forUser(tenant, user, api).lifetime(lifetime));
    }

    String token(User user) {
        return token(user, Duration.ofMinutes(30));
    }

    static RedisCli connect(GatewayServer g) {
        return RedisCli.connect("127.0.0.1", g.localAddress().getPort());
    }

    /** Upstream connections authenticated as the gateway's identity, as redis-server itself lists them. */
    long upstreamConnections() {
        String list = redis.cli().callString("CLIENT", "LIST");
        return list.lines()
                .filter(l -> l.contains(" user=" + mi.objectId() + " "))
                .count();
    }

    @Override
    public void close() {
        for (GatewayServer g : gateways) {
            g.close();
        }
        refresher.close();
        authenticator.close();
        cache.close();
        redis.close();
        emu.close();
    }
}
