package io.github.redisentra.gateway;

import io.github.redisentra.gateway.admin.GatewayMetrics;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.config.LimitsSettings;
import io.github.redisentra.gateway.config.ListenerSettings;
import io.github.redisentra.gateway.config.UpstreamSettings;
import io.github.redisentra.gateway.listener.ListenerTls;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.tls.TrustMaterial;
import io.github.redisentra.gateway.upstream.UpstreamConnectRate;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.gateway.upstream.UpstreamPoolSettings;
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
        settings = settings.withSession(settings.session()
                .withAudit(runtime.commandAudit(), config.audit().upstreamClientName()));
        if (settings.listenerTls() != null) {
            ListenerTls tls = settings.listenerTls();
            runtime.metrics().addSection(() -> tls.renderMetrics(GatewayMetrics.PREFIX));
        }
        ClusterWiring cluster = ClusterWiring.create(config, runtime.upstream());
        io.github.redisentra.gateway.cluster.ClusterDetection detected = null;
        try {
            detected = cluster == null ? null : cluster.detectAtStart();
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        GatewayServer server = new GatewayServer(
                settings,
                runtime.clientAuthenticator(),
                endpoint(config.upstream()),
                runtime.upstream(),
                runtime.metrics(),
                runtime.accessControl().orElse(null));
        try {
            if (detected != null && detected.cluster()) {
                cluster.serve(server, settings.session(), detected.nodes(), runtime.metrics());
            }
            server.start();
        } catch (Exception e) {
            if (cluster != null) {
                cluster.close();
            }
            server.close();
            throw e;
        }
        if (cluster != null && detected == null) {
            cluster.detectInBackground(server, settings.session(), runtime.metrics());
        } else if (cluster != null && !detected.cluster()) {
            cluster.close();
            cluster = null;
        }
        ClusterWiring clusterMode = cluster;
        runtime.metrics().unauthenticatedConnections(server::unauthenticatedCount);
        runtime.lockout().sessions(server.sessions());
        runtime.metrics().addSection(() -> upstreamNodes(server.upstreamConnectionsByNode()));
        runtime.metrics().addSection(() -> server.upstreamConnectRate().renderMetrics(GatewayMetrics.PREFIX));
        if (settings.upstreamPool().enabled()) {
            runtime.metrics().addSection(() -> server.upstreamPool().render(GatewayMetrics.PREFIX));
        }
        runtime.roleUpstreams().ifPresent(r -> r.addRenewalSink(server::upstreamTokenRenewed));
        return new GatewayRuntime.RespListener() {
            @Override
            public void stopAccepting() {
                // GatewayServer.close() stops accepting first, then drains.
            }

            @Override
            public void drainAndClose(Duration timeout) {
                if (clusterMode != null) {
                    clusterMode.close();
                }
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
        ListenerSettings listener = config.listener();
        LimitsSettings limits = config.limits();
        ListenerTls tls = null;
        if (listener.tls()) {
            tls = ListenerTls.fromFiles(
                            listener.tlsCertFile().orElseThrow(),
                            listener.tlsKeyFile().orElseThrow(),
                            clock)
                    .watch(listener.tlsReloadInterval());
        }
        RequestLimits preAuth = new RequestLimits(
                limits.preAuthMaxArgs(),
                limits.preAuthMaxBulkBytes(),
                RequestLimits.REDIS_INLINE_MAX,
                false,
                limits.preAuthMaxBytes());
        SessionSettings session = new SessionSettings(
                preAuth,
                RequestLimits.AUTHENTICATED_DEFAULT,
                limits.authTimeout(),
                config.entra().clockSkew(),
                UPSTREAM_REAUTH_MARGIN,
                clock);
        return new GatewaySettings(
                listener.address().toSocketAddress(),
                tls,
                session,
                config.lifecycle().drainTimeout(),
                new ConnectionLimits(limits.maxClients(), limits.maxUnauthenticatedPerAddress()),
                new UpstreamConnectRate(
                        config.upstream().connectRate(), config.upstream().connectBurst()),
                new UpstreamPoolSettings(
                        config.upstream().poolSize(), config.upstream().poolMaxIdle()));
    }

    static UpstreamEndpoint endpoint(UpstreamSettings upstream) throws Exception {
        SslContext tls = null;
        if (upstream.tls()) {
            tls = TrustMaterial.load(upstream.caFile()).nettyClient();
        }
        return new UpstreamEndpoint(
                upstream.address().host(),
                upstream.address().port(),
                tls,
                upstream.hostname(),
                upstream.connectTimeout());
    }
}
