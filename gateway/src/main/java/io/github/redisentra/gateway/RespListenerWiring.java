package io.github.redisentra.gateway;

import io.github.redisentra.gateway.admin.GatewayMetrics;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.TrustMaterial;
import io.github.redisentra.gateway.listener.ListenerTls;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.upstream.TlsContexts;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.netty.handler.ssl.SslContext;
import java.time.Clock;
import java.time.Duration;

/**
 * Where the two halves of the gateway meet: maps the configuration onto {@link GatewaySettings} and
 * {@link UpstreamEndpoint}, and starts {@link GatewayServer} with the runtime's authenticator, upstream identity and
 * metrics.
 */
final class RespListenerWiring {
    /** A session whose upstream has not confirmed a renewed token this long before the old one expires is closed. */
    private static final Duration UPSTREAM_REAUTH_MARGIN = Duration.ofSeconds(5);

    private RespListenerWiring() {}

    static GatewayRuntime.RespListener start(GatewayRuntime runtime) throws Exception {
        GatewayConfig config = runtime.config();
        GatewaySettings settings = settings(config, Clock.systemUTC());
        if (settings.listenerTls() != null) {
            ListenerTls tls = settings.listenerTls();
            runtime.metrics().addSection(() -> tls.renderMetrics(GatewayMetrics.PREFIX));
        }
        GatewayServer server = new GatewayServer(
                settings,
                runtime.clientAuthenticator(),
                endpoint(config),
                runtime.upstream(),
                runtime.metrics(),
                runtime.accessControl().orElse(null));
        server.start();
        runtime.metrics().unauthenticatedConnections(server::unauthenticatedCount);
        runtime.lockout().sessions(server.sessions());
        runtime.metrics().addSection(() -> upstreamNodes(server.upstreamConnectionsByNode()));
        runtime.roleUpstreams().ifPresent(r -> r.addRenewalSink(server::upstreamTokenRenewed));
        return new GatewayRuntime.RespListener() {
            @Override
            public void stopAccepting() {
                // GatewayServer.close() stops accepting first, then drains.
            }

            @Override
            public void drainAndClose(Duration timeout) {
                server.close();
            }

            @Override
            public java.net.InetSocketAddress localAddress() {
                return server.localAddress();
            }
        };
    }

    private static String upstreamNodes(java.util.Map<String, Integer> byNode) {
        String name = GatewayMetrics.PREFIX + "upstream_connections_open";
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP ").append(name).append(" Open upstream connections per cache node\n");
        sb.append("# TYPE ").append(name).append(" gauge\n");
        byNode.forEach((node, n) -> sb.append(name)
                .append("{node=\"")
                .append(node.replace("\\", "\\\\").replace("\"", "\\\""))
                .append("\"} ")
                .append(n)
                .append('\n'));
        return sb.toString();
    }

    static GatewaySettings settings(GatewayConfig config, Clock clock) throws Exception {
        ListenerTls tls = null;
        if (config.listenTls()) {
            tls = ListenerTls.fromFiles(
                            config.listenTlsCertFile().orElseThrow(),
                            config.listenTlsKeyFile().orElseThrow(),
                            clock)
                    .watch(config.listenTlsReloadInterval());
        }
        RequestLimits preAuth = new RequestLimits(
                config.preAuthMaxArgs(),
                config.preAuthMaxBulkBytes(),
                RequestLimits.REDIS_INLINE_MAX,
                false,
                config.preAuthMaxBytes());
        SessionSettings session = new SessionSettings(
                preAuth,
                RequestLimits.AUTHENTICATED_DEFAULT,
                config.authTimeout(),
                config.clockSkew(),
                UPSTREAM_REAUTH_MARGIN,
                clock);
        return new GatewaySettings(
                config.listenAddress().toSocketAddress(),
                tls,
                session,
                config.drainTimeout(),
                new ConnectionLimits(config.maxClients(), config.maxUnauthenticatedPerAddress()));
    }

    static UpstreamEndpoint endpoint(GatewayConfig config) throws Exception {
        SslContext tls = null;
        if (config.redisTls()) {
            tls = TlsContexts.upstreamClient(TrustMaterial.trustManager(config.redisCaFile()));
        }
        return new UpstreamEndpoint(
                config.redisAddress().host(),
                config.redisAddress().port(),
                tls,
                config.redisHostname(),
                config.redisConnectTimeout());
    }
}
