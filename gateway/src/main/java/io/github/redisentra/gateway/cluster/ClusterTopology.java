package io.github.redisentra.gateway.cluster;

import io.github.redisentra.gateway.config.ClusterSettings;
import io.github.redisentra.gateway.config.HostPort;
import io.github.redisentra.gateway.resp.RespConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's copy of the cache's topology, keyed by node id, and the node endpoints that follow it: read at start,
 * every {@code CLUSTER_REFRESH_INTERVAL} and on {@link #refresh(Runnable)}, from the seed ({@code REDIS_HOSTPORT}) or
 * else any known node. A new node's endpoint is listening before any {@link #endpoints()} names it; a node keeps its
 * endpoint (port) while its upstream address or port changes; a node that left stops being advertised at once, and its
 * endpoint is retired ({@link NodeListeners#retire}) with {@code CLUSTER_NODE_GRACE}, its port not reused meanwhile.
 * Every change runs on one thread of its own, never on an event loop.
 */
public final class ClusterTopology implements ClusterView, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterTopology.class);

    /** Opens a connection to an upstream node, authenticated as the gateway's identity. */
    @FunctionalInterface
    public interface NodeConnector {
        RespConnection open(HostPort node) throws Exception;
    }

    /** The node endpoints themselves (the assembly's listeners). */
    public interface NodeListeners {
        /**
         * Starts accepting for {@code node} on {@code port} (0: any free port) and returns the bound port; its
         * connections are bridged to the node's address in {@link #current()} at connect time.
         *
         * @throws Exception when the port cannot be bound
         */
        int open(ClusterNode node, int port) throws Exception;

        /** Stops accepting for the node at once; its open connections are closed after {@code grace}. */
        void retire(String nodeId, Duration grace);
    }

    private final TopologyReader reader;
    private final NodeListeners listeners;
    private final ClusterSettings.PortRange ports;
    private final String announceHost;
    private final Duration interval;
    private final Duration grace;
    private final ScheduledExecutorService thread;
    private final List<Runnable> waiting = new ArrayList<>();
    private boolean queued;
    private volatile Topology current = Topology.EMPTY;
    /** The node {@code REDIS_HOSTPORT} reaches (flagged {@code myself} in its answer), or {@code null}. */
    private volatile String seedNodeId;
    /** Ports of retired endpoints → when (nanoTime) they may be reused. Topology thread only. */
    private final Map<Integer, Long> retiredPorts = new HashMap<>();

    private final AtomicLong refreshes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile String lastProblem;

    public ClusterTopology(HostPort seed, NodeConnector connector, NodeListeners listeners, ClusterSettings settings) {
        this.reader = new TopologyReader(seed, connector);
        this.listeners = Objects.requireNonNull(listeners, "listeners");
        this.ports = settings.ports();
        this.announceHost = settings.announceHost()
                .orElseThrow(() -> new IllegalArgumentException(
                        "cluster mode needs CLUSTER_ANNOUNCE_HOST (LISTEN_ADDR binds every address)"));
        this.interval = settings.refreshInterval();
        this.grace = settings.nodeGrace();
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster-topology");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens the endpoints of {@code nodes} (as detection read them), publishes them, and starts the periodic refresh.
     *
     * @throws Exception when no endpoint could be opened
     */
    public void start(List<ClusterNode> nodes) throws Exception {
        noteSeed(nodes);
        try {
            thread.submit(() -> {
                        apply(nodes);
                        return null;
                    })
                    .get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
        if (current.size() == 0) {
            throw new IllegalStateException("no node endpoint could be opened: " + lastProblem);
        }
        long ms = interval.toMillis();
        thread.scheduleWithFixedDelay(this::readAndApply, ms, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public NodeEndpoints endpoints() {
        return current;
    }

    /** The served nodes now (each with its current upstream address). */
    public Topology current() {
        return current;
    }

    @Override
    public void refresh(Runnable done) {
        synchronized (waiting) {
            waiting.add(done);
            if (queued) {
                return;
            }
            queued = true;
        }
        try {
            thread.execute(() -> {
                List<Runnable> mine = takeWaiting();
                readAndApply();
                mine.forEach(ClusterTopology::runQuietly);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            takeWaiting().forEach(ClusterTopology::runQuietly); // closed: the answer is "failed"
        }
    }

    /** The callers waiting for the next read (they share it). */
    private List<Runnable> takeWaiting() {
        synchronized (waiting) {
            List<Runnable> mine = new ArrayList<>(waiting);
            waiting.clear();
            queued = false;
            return mine;
        }
    }

    private static void runQuietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.warn("a topology refresh callback failed", e);
        }
    }

    /** Topology reads so far (periodic and on demand). */
    public long refreshes() {
        return refreshes.get();
    }

    /** Topology reads that failed (no node answered, or an endpoint could not be opened). */
    public long refreshFailures() {
        return failures.get();
    }

    private void readAndApply() {
        refreshes.incrementAndGet();
        try {
            apply(read());
        } catch (Exception e) {
            failures.incrementAndGet();
            String problem = e.getMessage();
            if (!Objects.equals(problem, lastProblem)) {
                log.warn("cluster topology not refreshed: {}", problem);
            }
            lastProblem = problem;
        }
    }

    /** {@code CLUSTER NODES} from the seed, else from each served node in turn. */
    List<ClusterNode> read() throws Exception {
        TopologyReader.Answer a = reader.read(current);
        if (a.fromSeed()) {
            noteSeed(a.nodes());
        }
        return a.nodes();
    }

    private void noteSeed(List<ClusterNode> fromSeed) {
        fromSeed.stream().filter(ClusterNode::myself).findFirst().ifPresent(n -> seedNodeId = n.id());
    }

    /** The view of the sessions bridged to the node with id {@code nodeId} (a node endpoint's listener). */
    public ClusterView viewOf(String nodeId) {
        return new ListenerView(this, () -> nodeId);
    }

    /** The view of the sessions of the main listener, bridged to {@code REDIS_HOSTPORT} (whichever node that is). */
    public ClusterView seedView() {
        return new ListenerView(this, () -> seedNodeId);
    }

    /** Makes {@code nodes} the topology: open new endpoints, publish, retire departed ones. Topology thread only. */
    void apply(List<ClusterNode> nodes) {
        Topology before = current;
        Map<String, Topology.Served> next = new LinkedHashMap<>();
        Set<Integer> used = new HashSet<>();
        before.nodes().forEach(s -> used.add(s.endpoint().port()));
        long now = System.nanoTime();
        retiredPorts.values().removeIf(until -> until - now <= 0);
        // New nodes get ports in node-id order: gateways that start from the same topology hand out the same ports.
        Map<String, HostPort> opened = new HashMap<>();
        nodes.stream()
                .filter(n -> before.node(n.id()) == null && !n.unusable())
                .sorted(java.util.Comparator.comparing(ClusterNode::id))
                .forEach(n -> {
                    try {
                        int port = open(n, used);
                        used.add(port);
                        opened.put(n.id(), new HostPort(announceHost, port));
                        log.info(
                                "cluster node {} ({} {}) served at {}",
                                Topology.shortId(n.id()),
                                n.master() ? "master" : "replica",
                                n.address(),
                                opened.get(n.id()));
                    } catch (Exception e) {
                        failures.incrementAndGet();
                        lastProblem =
                                "no endpoint for cluster node " + Topology.shortId(n.id()) + ": " + e.getMessage();
                        log.error("{}; it is not advertised to clients", lastProblem);
                    }
                });
        for (ClusterNode n : nodes) {
            Topology.Served known = before.node(n.id());
            if (known != null) {
                if (!known.node().address().equals(n.address()) && !n.unusable()) {
                    log.info(
                            "cluster node {} moved upstream from {} to {}; still served at {}",
                            Topology.shortId(n.id()),
                            known.node().address(),
                            n.address(),
                            known.endpoint());
                }
                next.put(n.id(), new Topology.Served(n, known.endpoint()));
            } else if (opened.containsKey(n.id())) {
                next.put(n.id(), new Topology.Served(n, opened.get(n.id())));
            }
            // else: no address yet (handshake, noaddr), failed, or no port: served once it can be
        }
        current = new Topology(next); // new endpoints listen already
        for (Topology.Served gone : before.nodes()) {
            if (!next.containsKey(gone.node().id())) {
                log.info(
                        "cluster node {} left the topology; its endpoint {} stops accepting, open connections close"
                                + " in {}",
                        Topology.shortId(gone.node().id()),
                        gone.endpoint(),
                        grace);
                retiredPorts.put(gone.endpoint().port(), System.nanoTime() + grace.toNanos());
                listeners.retire(gone.node().id(), grace);
            }
        }
    }

    private int open(ClusterNode node, Set<Integer> used) throws Exception {
        if (ports.any()) {
            return listeners.open(node, 0);
        }
        Exception last = null;
        for (int p = ports.first(); p <= ports.last(); p++) {
            if (used.contains(p) || retiredPorts.containsKey(p)) {
                continue;
            }
            try {
                return listeners.open(node, p);
            } catch (Exception e) {
                last = e; // taken by another process: the next one
            }
        }
        throw new IllegalStateException("no free port left in CLUSTER_LISTEN_PORTS " + ports
                + (last == null ? "" : " (last bind failure: " + last.getMessage() + ")"));
    }

    /**
     * Prometheus text: {@code cluster_topology_refreshes_total}, {@code cluster_topology_refresh_failures_total},
     * {@code cluster_nodes{role}} (served nodes).
     */
    public String renderMetrics(String prefix) {
        Topology t = current;
        long masters = t.nodes().stream().filter(s -> s.node().master()).count();
        StringBuilder sb = new StringBuilder();
        metric(
                sb,
                prefix + "cluster_topology_refreshes_total",
                "counter",
                "Topology reads (CLUSTER NODES)",
                "",
                refreshes.get());
        metric(
                sb,
                prefix + "cluster_topology_refresh_failures_total",
                "counter",
                "Topology reads or node endpoints that failed",
                "",
                failures.get());
        String nodes = prefix + "cluster_nodes";
        metric(sb, nodes, "gauge", "Cache nodes served with an endpoint of their own", "{role=\"master\"}", masters);
        sb.append(nodes)
                .append("{role=\"replica\"} ")
                .append(t.size() - masters)
                .append('\n');
        return sb.toString();
    }

    private static void metric(StringBuilder sb, String name, String type, String help, String labels, long value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        sb.append(name).append(labels).append(' ').append(value).append('\n');
    }

    /** The problem of the last failed read or endpoint, if any. */
    public String lastProblem() {
        return lastProblem;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
