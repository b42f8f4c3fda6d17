package io.github.redisentra.cli;

import io.github.redisentra.emulator.User;
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.GatewaySetup;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.session.GatewayEvents;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisServer;
import io.github.redisentra.testkit.TestCertificate;
import io.netty.handler.ssl.SslContextBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the command's gateway ITs run against: a TLS redis-server and, in this JVM, the gateway in front of it (TLS
 * listener with a certificate of the server's CA, its own Entra authenticator against the {@link CliHarness}'s
 * emulator, the harness's group allowed, the admin user upstream). Closes the gateway, the authenticator and the
 * server, in that order.
 */
final class GatewayHarness implements AutoCloseable {
    final RedisServer redis;
    final EntraAuthenticator authenticator;
    final GatewayServer gateway;

    /**
     * @param name the redis-server's name (its files and logs)
     * @param audiences the API client ids and App ID URIs the gateway accepts
     * @param clockSkew the gateway's {@code CLOCK_SKEW}, or null for its default
     * @param events what the gateway reports (e.g. its auth decisions)
     */
    GatewayHarness(CliHarness h, String name, List<String> audiences, String clockSkew, GatewayEvents events)
            throws Exception {
        redis = RedisServer.builder().tls().name(name).start();
        EntraAuthenticator started = null;
        try {
            Map<String, String> config = new HashMap<>(Map.of(
                    "TENANT_ID",
                    h.tenant.id(),
                    "EXPECTED_AUDIENCE",
                    String.join(",", audiences),
                    "ALLOWED_GROUP_IDS",
                    CliHarness.GROUP,
                    "AZURE_AUTHORITY_HOST",
                    h.emu.httpsBaseUrl().toString(),
                    "HTTPS_CA_FILE",
                    h.emulatorCa.toString(),
                    "HTTP_TIMEOUT",
                    "5s",
                    "REDIS_HOSTPORT",
                    "127.0.0.1:6380",
                    "LISTEN_ADDR",
                    "127.0.0.1:0"));
            if (clockSkew != null) {
                config.put("CLOCK_SKEW", clockSkew);
            }
            started = GatewaySetup.of(GatewayConfig.from(config))
                    .entraAuthenticator(null, new AuditLog(), Clock.systemUTC());
            started.start().get(30, TimeUnit.SECONDS);
            TestCertificate cert = redis.certificateAuthority().issueServerCertificate();
            gateway = new GatewayServer(
                            GatewaySettings.loopback(0)
                                    .withSession(SessionSettings.DEFAULTS)
                                    .withDrainTimeout(Duration.ofSeconds(2))
                                    .withListenerTls(SslContextBuilder.forServer(cert.privateKey(), cert.chain())
                                            .build()),
                            started,
                            UpstreamEndpoint.plaintext(RedisServer.HOST, redis.port()),
                            UpstreamCredentials.password(redis.adminUsername(), redis.adminPassword()),
                            events)
                    .start();
            authenticator = started;
        } catch (Exception | Error e) {
            closeQuietly(started);
            closeQuietly(redis);
            throw e;
        }
    }

    /**
     * An Azure cache stand-in on this harness's redis-server (its TLS port) that accepts {@code user}'s current tokens
     * from the harness's emulator; the caller closes it.
     */
    AzureCacheStandIn cacheFor(CliHarness h, User user) {
        return AzureCacheStandIn.builder(redis)
                .objectId(user.objectId())
                .build()
                .watch(h.emu);
    }

    @Override
    public void close() {
        closeQuietly(gateway);
        closeQuietly(authenticator);
        closeQuietly(redis);
    }

    /** Closes each of {@code resources} that is not null, going on past failures (test teardown). */
    static void closeQuietly(AutoCloseable... resources) {
        for (AutoCloseable c : resources) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }
}
