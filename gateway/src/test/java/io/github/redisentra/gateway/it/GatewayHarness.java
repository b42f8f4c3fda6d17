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
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.upstream.TlsContexts;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Everything a gateway integration test needs, all real: the Entra emulator (tenant, API app, users, the gateway's
 * managed identity), a TLS-only redis-server behind an {@link AzureCacheStandIn} that accepts only the managed
 * identity's currently valid tokens, a core {@link TokenRefresher} minting MI tokens from the emulator, and
 * gateways under test.
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
    final EmulatorJwtAuthenticator authenticator;
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
        authenticator = new EmulatorJwtAuthenticator(
                emu.httpsBaseUrl() + "/" + tenant.id() + "/discovery/v2.0/keys",
                emu.sslContext(),
                tenant.issuerV2(),
                List.of(api.clientId(), api.appIdUri()),
                GROUP);
        this.cutAtExpiry = cutAtExpiry;
    }

    private final boolean cutAtExpiry;

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
        GatewayServer g = new GatewayServer(
                        GatewaySettings.loopback(0)
                                .withSession(session)
                                .withListenerTls(listenerTls)
                                .withDrainTimeout(Duration.ofSeconds(5)),
                        authenticator,
                        upstream,
                        credentials,
                        events)
                .start();
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
