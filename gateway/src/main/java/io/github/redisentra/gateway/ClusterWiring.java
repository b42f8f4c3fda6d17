package io.github.redisentra.gateway;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.admin.GatewayMetrics;
import io.github.redisentra.gateway.cluster.ClusterDetection;
import io.github.redisentra.gateway.cluster.ClusterNode;
import io.github.redisentra.gateway.cluster.ClusterTopology;
import io.github.redisentra.gateway.cluster.ClusterView;
import io.github.redisentra.gateway.cluster.Topology;
import io.github.redisentra.gateway.config.ClusterSettings;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.config.HostPort;
import io.github.redisentra.gateway.config.UpstreamSettings;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.gateway.identity.UpstreamProbe;
import io.github.redisentra.gateway.resp.RespConnection;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.tls.TrustMaterial;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's assembly ({@code REDIS_CLUSTER}): asks the cache whether it is a cluster, and if so opens one
 * {@link NodeListener} per cache node on the {@link GatewayServer}, each bridged to its node by a {@link NodeDialer},
 * keeps them following the topology ({@link ClusterTopology}) and gives the sessions the {@link ClusterView}. The main
 * listener ({@code LISTEN_ADDR}) stays bridged to {@code REDIS_HOSTPORT}: a seed for cluster clients, never advertised.
 */
final class ClusterWiring implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterWiring.class);
    /** In {@code auto} mode, how long start-up waits for an answer before serving one endpoint meanwhile. */
    static final Duration AUTO_WAIT = Duration.ofSeconds(5);

    private final GatewayConfig config;
    private final UpstreamIdentity identity;
    private final ClusterSettings settings;
    private final ScheduledExecutorService timer;
    private final Map<String, NodeListener> listeners = new ConcurrentHashMap<>();
    private volatile ClusterTopology topology;
    private volatile boolean closed;

    private ClusterWiring(GatewayConfig config, UpstreamIdentity identity) {
        this.config = config;
        this.identity = identity;
        this.settings = config.cluster();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster-wiring");
            t.setDaemon(true);
            return t;
        });
    }

    /** {@code null} with {@code REDIS_CLUSTER=off}. */
    static ClusterWiring create(GatewayConfig config, UpstreamIdentity identity) {
        return config.cluster().mode() == ClusterSettings.Mode.OFF ? null : new ClusterWiring(config, identity);
    }

    /**
     * Asks the cache. {@code on}: until it answers (connection problems are retried), and a cache that is not a
     * cluster is an error; {@code auto}: for up to {@link #AUTO_WAIT}, {@code null} when it has not answered by then.
     *
     * @throws IllegalStateException with {@code on} when the cache is not a cluster, or when it is one and
     *     {@code CLUSTER_ANNOUNCE_HOST} is missing
     */
    ClusterDetection detectAtStart() throws Exception {
        boolean on = settings.mode() == ClusterSettings.Mode.ON;
        long deadline = System.nanoTime() + AUTO_WAIT.toNanos();
        int attempt = 0;
        while (true) {
            attempt++;
            try {
                ClusterDetection d = detectOnce(on ? Duration.ofMinutes(10) : AUTO_WAIT);
                if (on && !d.cluster()) {
                    throw new IllegalStateException("REDIS_CLUSTER=on but the cache is not an OSS cluster: "
                            + d.reason() + ". Use REDIS_CLUSTER=auto or off for an Enterprise-policy or non-clustered"
                            + " cache");
                }
                if (d.cluster() && settings.announceHost().isEmpty()) {
                    throw new IllegalStateException(d.reason() + ", and cluster mode needs CLUSTER_ANNOUNCE_HOST:"
                            + " LISTEN_ADDR " + config.listener().address() + " binds every address. Set"
                            + " CLUSTER_ANNOUNCE_HOST to the name clients reach this gateway at, or REDIS_CLUSTER=off");
                }
                log.info("REDIS_CLUSTER={}: {}", settings.mode().name().toLowerCase(java.util.Locale.ROOT), d.reason());
                return d;
            } catch (IOException | java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                if (!on && System.nanoTime() > deadline) {
                    log.warn(
                            "could not ask the cache whether it is a cluster yet ({}); serving one endpoint meanwhile,"
                                    + " asking again every {}",
                            e.getMessage(),
                            settings.refreshInterval());
                    return null;
                }
                if (attempt == 1 || attempt % 10 == 0) {
                    log.warn(
                            "REDIS_CLUSTER={}: waiting for the cache to tell whether it is a cluster ({})",
                            settings.mode().name().toLowerCase(java.util.Locale.ROOT),
                            e.getMessage());
                }
                Thread.sleep(on ? 1000 : 250); // start-up, off the event loops
            }
        }
    }

    private ClusterDetection detectOnce(Duration tokenWait) throws Exception {
        AccessToken token = identity.first().get(tokenWait.toMillis(), TimeUnit.MILLISECONDS);
        try (RespConnection c = UpstreamProbe.connect(config.upstream(), identity, token)) {
            return ClusterDetection.ask(c);
        }
    }

    /**
     * Serves the cluster on {@code server}: node endpoints for {@code nodes}, the topology refresh, and sessions that
     * rewrite with the topology (set before the server accepts its first connection, or else replacing the sessions
     * that were opened without it).
     */
    void serve(GatewayServer server, SessionSettings base, List<ClusterNode> nodes, GatewayMetrics metrics)
            throws Exception {
        UpstreamSettings up = config.upstream();
        SslContext tls = up.tls() ? TrustMaterial.load(up.caFile()).nettyClient() : null;
        InetSocketAddress bind = config.listener().address().toSocketAddress();
        ClusterTopology[] self = new ClusterTopology[1];
        ClusterTopology t = new ClusterTopology(
                up.address(),
                this::connect,
                new ClusterTopology.NodeListeners() {
                    @Override
                    public int open(ClusterNode node, int port) throws Exception {
                        NodeDialer dialer = new NodeDialer(
                                node, () -> self[0].current(), server, tls, up.hostname(), up.connectTimeout());
                        NodeListener l = server.listen(
                                new InetSocketAddress(bind.getAddress(), port),
                                dialer,
                                withCluster(base, self[0].viewOf(node.id())));
                        listeners.put(node.id(), l);
                        return l.port();
                    }

                    @Override
                    public void retire(String nodeId, Duration grace) {
                        NodeListener l = listeners.remove(nodeId);
                        if (l == null) {
                            return;
                        }
                        l.stopAccepting();
                        timer.schedule(
                                () -> {
                                    int n = l.closeConnections();
                                    if (n > 0) {
                                        log.info(
                                                "closed {} connections of departed cluster node {}",
                                                n,
                                                Topology.shortId(nodeId));
                                    }
                                },
                                grace.toMillis(),
                                TimeUnit.MILLISECONDS);
                    }
                },
                settings);
        self[0] = t;
        t.start(nodes);
        topology = t;
        int replaced = server.replaceSessionSettings(withCluster(base, t.seedView()));
        if (replaced > 0) {
            log.info("closed {} connections opened before cluster mode started; clients reconnect", replaced);
        }
        metrics.addSection(() -> renderMetrics(GatewayMetrics.PREFIX));
        for (String line : t.current().describe()) {
            log.info("cluster node {}", line);
        }
    }

    /** The session settings with the topology: replies naming upstream nodes are rewritten with {@code view}. */
    static SessionSettings withCluster(SessionSettings base, ClusterView view) {
        return base.withCluster(view);
    }

    /** {@code auto} mode without an answer at start: asks again every refresh interval until the cache answers. */
    void detectInBackground(GatewayServer server, SessionSettings base, GatewayMetrics metrics) {
        timer.schedule(
                () -> {
                    if (closed) {
                        return;
                    }
                    try {
                        ClusterDetection d = detectOnce(settings.refreshInterval());
                        log.info("REDIS_CLUSTER=auto: {}", d.reason());
                        if (!d.cluster()) {
                            return;
                        }
                        if (settings.announceHost().isEmpty()) {
                            log.error(
                                    "{}, but CLUSTER_ANNOUNCE_HOST is not set (LISTEN_ADDR binds every address):"
                                            + " serving it as one endpoint, cluster clients will not work",
                                    d.reason());
                            return;
                        }
                        serve(server, base, d.nodes(), metrics);
                    } catch (Exception e) {
                        log.debug("cluster detection: {}", e.getMessage());
                        detectInBackground(server, base, metrics);
                    }
                },
                settings.refreshInterval().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** A connection to {@code node} authenticated as the gateway's identity, for topology reads. */
    private RespConnection connect(HostPort node) throws Exception {
        AccessToken token = identity.current().orElseThrow(() -> new IOException("no upstream token yet"));
        UpstreamSettings up = config.upstream();
        return UpstreamProbe.connect(
                new UpstreamSettings(node, up.hostname(), up.tls(), up.caFile(), up.connectTimeout()), identity, token);
    }

    /** The topology, once cluster mode serves. */
    ClusterTopology topology() {
        return topology;
    }

    private String renderMetrics(String prefix) {
        ClusterTopology t = topology;
        StringBuilder sb = new StringBuilder(t == null ? "" : t.renderMetrics(prefix));
        String name = prefix + "cluster_node_connections";
        sb.append("# HELP ").append(name).append(" Open client connections per node endpoint\n");
        sb.append("# TYPE ").append(name).append(" gauge\n");
        if (t != null) {
            for (Topology.Served s : t.current().nodes()) {
                NodeListener l = listeners.get(s.node().id());
                sb.append(name)
                        .append("{node=\"")
                        .append(Topology.shortId(s.node().id()))
                        .append("\",endpoint=\"")
                        .append(s.endpoint())
                        .append("\"} ")
                        .append(l == null ? 0 : l.connections())
                        .append('\n');
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        closed = true;
        ClusterTopology t = topology;
        if (t != null) {
            t.close();
        }
        timer.shutdownNow();
    }
}
