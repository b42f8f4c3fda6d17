package io.github.redisentra.testkit;

import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.testkit.internal.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OSS-clustered Azure cache, locally: a 3-master / 3-replica Redis Cluster on loopback, TLS only
 * ({@code tls-cluster yes}, {@code tls-replication yes}), where every node is an {@link AzureCacheStandIn} for one
 * identity: its ACL user (the identity's object id) accepts exactly the identity's current tokens and the node's front
 * door closes a connection when the token it authenticated with expires. Each node <b>announces its front port</b>
 * ({@code cluster-announce-tls-port}), so {@code CLUSTER SLOTS}/{@code SHARDS}/{@code NODES}, {@code -MOVED} and
 * {@code -ASK} send clients through the doors that cut at expiry. The doors present a certificate naming only the
 * cache's host name ({@link #cacheHostName()}, default {@value #DEFAULT_CACHE_HOST}), never {@code 127.0.0.1}: as on
 * Azure, a client dials the IP from the topology and must verify the certificate against the host name (SNI).
 *
 * <pre>{@code
 * try (AzureClusterStandIn cluster = AzureClusterStandIn.builder().objectId(oid).watch(emulator).start()) {
 *     cluster.accept(oid, token, expiresAt);          // tokens issued before start()
 *     RedisURI seed = RedisURI.create("rediss://127.0.0.1:" + cluster.seedPort());
 *     cluster.failover(cluster.replicaOf(0));        // CLUSTER FAILOVER on a replica
 *     cluster.beginMigration(slot, 0, 1);            // source MIGRATING / target IMPORTING: -ASK for absent keys
 *     cluster.finishMigration(slot, 0, 1);
 *     cluster.restartAnnouncingNewPort(4);            // a node comes back on another announced port
 * }
 * }</pre>
 *
 * <p>Nodes 0–2 start as masters (slots 0–5460, 5461–10922, 10923–16383), node {@code 3 + i} as the replica of node
 * {@code i}; roles change with {@link #failover(int)}. The nodes' own TLS ports and bus ports are internal. Replication
 * and the bus authenticate as an internal user, never with tokens, so they are never cut. Close stops everything.
 */
public final class AzureClusterStandIn implements AutoCloseable {

    /** The host name in the front doors' certificate when none is configured. */
    public static final String DEFAULT_CACHE_HOST = "mycache.redis.example";

    public static final int NODES = 6;
    public static final int MASTERS = 3;

    private static final Logger log = LoggerFactory.getLogger(AzureClusterStandIn.class);
    private static final Duration CONVERGENCE = Duration.ofSeconds(60);

    private final String cacheHostName;
    private final String objectId;
    private final TestCertificateAuthority ca;
    private final List<Node> nodes = new ArrayList<>();
    private boolean closed;

    /** One cluster node: its server, its stand-in (front door) and the port it announces. */
    public static final class Node {
        final int index;
        final RedisServer server;
        final AzureCacheStandIn cache;
        final int busPort;
        volatile int announcedPort;
        volatile String id;

        Node(int index, RedisServer server, AzureCacheStandIn cache, int busPort) {
            this.index = index;
            this.server = server;
            this.cache = cache;
            this.busPort = busPort;
            this.announcedPort = cache.tlsPort();
        }

        public int index() {
            return index;
        }

        public RedisServer server() {
            return server;
        }

        public AzureCacheStandIn cache() {
            return cache;
        }

        /** The port clients see in the topology (a front door that cuts at token expiry). */
        public int announcedPort() {
            return announcedPort;
        }

        /** The node id (40 hex digits). */
        public String id() {
            return id;
        }

        @Override
        public String toString() {
            return "node" + index + "[" + announcedPort + "]";
        }
    }

    private AzureClusterStandIn(Builder b) {
        this.cacheHostName = b.cacheHostName;
        this.objectId = b.objectId;
        this.ca = TestCertificateAuthority.create("redis-entra testkit cluster CA");
        TestCertificate front = ca.issueServerCertificateNamedOnly(cacheHostName);
        String replicationPassword = RedisServer.randomHex(24);
        try {
            for (int i = 0; i < NODES; i++) {
                int busPort = FreePorts.pick(1)[0];
                RedisServer server = RedisServer.builder()
                        .tlsOnly()
                        .certificateAuthority(ca)
                        .serverNames(cacheHostName)
                        .disableDefaultUser()
                        .user("replication", replicationPassword)
                        .name("cluster-node" + i)
                        .config("cluster-enabled yes")
                        .config("cluster-config-file nodes.conf")
                        .config("cluster-node-timeout 3000")
                        .config("cluster-port " + busPort)
                        .config("tls-cluster yes")
                        .config("tls-replication yes")
                        .config("masteruser replication")
                        .config("masterauth " + replicationPassword)
                        .start();
                AzureCacheStandIn cache;
                try {
                    AzureCacheStandIn.Builder standIn =
                            AzureCacheStandIn.builder(server).cutAtExpiry().frontCertificate(front);
                    if (objectId != null) {
                        standIn.objectId(objectId);
                    }
                    cache = standIn.build();
                } catch (RuntimeException e) {
                    server.close();
                    throw e;
                }
                Node node = new Node(i, server, cache, busPort);
                nodes.add(node);
                if (b.emulator != null) {
                    cache.watch(b.emulator);
                }
                announce(node, node.announcedPort);
                node.id = server.cli().callString("CLUSTER", "MYID");
            }
            form();
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private void form() {
        for (Node node : nodes) {
            node.server.cli().call("CLUSTER", "SET-CONFIG-EPOCH", String.valueOf(node.index + 1));
        }
        int[][] ranges = {{0, 5460}, {5461, 10922}, {10923, 16383}};
        for (int i = 0; i < MASTERS; i++) {
            nodes.get(i)
                    .server
                    .cli()
                    .call("CLUSTER", "ADDSLOTSRANGE", String.valueOf(ranges[i][0]), String.valueOf(ranges[i][1]));
        }
        Node first = nodes.get(0);
        for (Node other : nodes.subList(1, NODES)) {
            first.server
                    .cli()
                    .call(
                            "CLUSTER",
                            "MEET",
                            RedisServer.HOST,
                            String.valueOf(other.server.tlsPort()),
                            String.valueOf(other.busPort));
        }
        waitUntil("every node knows all six", () -> nodes.stream().allMatch(n -> knownNodes(n) == NODES));
        for (int i = 0; i < MASTERS; i++) {
            Node replica = nodes.get(MASTERS + i);
            String masterId = nodes.get(i).id;
            waitUntil("replica " + replica.index + " can replicate", () -> {
                try {
                    replica.server.cli().call("CLUSTER", "REPLICATE", masterId);
                    return true;
                } catch (RedisErrorReply e) {
                    return false; // "Unknown node" until the master's gossip arrived
                }
            });
        }
        awaitHealthy();
        log.info("cluster of {} nodes up, announced ports {}", NODES, nodes);
    }

    /**
     * Waits until every node reports {@code cluster_state:ok}, every replica's link to its master is up and every node
     * sees every other node at its current announced port.
     */
    public void awaitHealthy() {
        waitUntil("cluster healthy", () -> {
            for (Node node : nodes) {
                if (!node.server.isRunning()) {
                    return false;
                }
                String info = node.server.cli().callString("CLUSTER", "INFO");
                if (!info.contains("cluster_state:ok")) {
                    return false;
                }
                String replication = node.server.cli().callString("INFO", "replication");
                if (replication.contains("role:slave") && !replication.contains("master_link_status:up")) {
                    return false;
                }
                String view = node.server.cli().callString("CLUSTER", "NODES");
                for (Node other : nodes) {
                    if (!view.contains(other.id + " " + RedisServer.HOST + ":" + other.announcedPort + "@")) {
                        return false;
                    }
                }
                if (view.contains("fail") || view.contains("handshake")) {
                    return false;
                }
            }
            return true;
        });
    }

    /** The cache host name the front doors' certificate names (and the only one). */
    public String cacheHostName() {
        return cacheHostName;
    }

    /** Always {@code 127.0.0.1}: the address the topology announces. */
    public String host() {
        return RedisServer.HOST;
    }

    /** The CA that signed every certificate (trust it; it is not the JDK's). */
    public TestCertificateAuthority certificateAuthority() {
        return ca;
    }

    /** A client TLS context trusting the cluster's CA (no client certificate). */
    public SSLContext trustingSslContext() {
        return ca.trustingSslContext();
    }

    /** The CA certificate as a PEM file (inside node 0's directory; deleted on close). */
    public Path caFile() {
        return nodes.get(0).server.caFile();
    }

    /** All six nodes, index order. */
    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public Node node(int index) {
        return nodes.get(index);
    }

    /** A port to seed a cluster client with: node 0's announced port. */
    public int seedPort() {
        return nodes.get(0).announcedPort;
    }

    /** The announced ports of all nodes. */
    public List<Integer> announcedPorts() {
        return nodes.stream().map(Node::announcedPort).toList();
    }

    /** Accepts {@code token} of {@code oid} on every node until {@code expiresAt} (tokens issued before a watch). */
    public void accept(String oid, String token, Instant expiresAt) {
        for (Node node : nodes) {
            node.cache.accept(oid, token, expiresAt);
        }
    }

    /** Connections cut at token expiry, all nodes together. 0 while every client connection re-authenticates. */
    public long connectionsCut() {
        return nodes.stream().mapToLong(n -> n.cache.connectionsCut()).sum();
    }

    /** Whether node {@code index} is a master now (roles change with failovers). */
    public boolean isMaster(int index) {
        return nodes.get(index).server.cli().callString("INFO", "replication").contains("role:master");
    }

    /** The index of the node that serves {@code slot} as master now. */
    public int masterOf(int slot) {
        String view = nodes.get(0).server.cli().callString("CLUSTER", "NODES");
        for (String line : view.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 9 || !f[2].contains("master")) {
                continue;
            }
            for (int i = 8; i < f.length; i++) {
                String range = f[i];
                if (range.startsWith("[")) {
                    continue;
                }
                String[] ends = range.split("-");
                int lo = Integer.parseInt(ends[0]);
                int hi = Integer.parseInt(ends[ends.length - 1]);
                if (slot >= lo && slot <= hi) {
                    return indexOf(f[0]);
                }
            }
        }
        throw new IllegalStateException("no master serves slot " + slot);
    }

    /** The index of a replica of master {@code masterIndex}. */
    public int replicaOf(int masterIndex) {
        String masterId = nodes.get(masterIndex).id;
        String view = nodes.get(masterIndex).server.cli().callString("CLUSTER", "NODES");
        for (String line : view.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length > 3 && f[2].contains("slave") && f[3].equals(masterId)) {
                return indexOf(f[0]);
            }
        }
        throw new IllegalStateException("node " + masterIndex + " has no replica");
    }

    /**
     * {@code CLUSTER FAILOVER} on replica {@code replicaIndex} (a coordinated manual failover: no acknowledged write is
     * lost), then waits until it is master and the cluster is healthy again.
     */
    public void failover(int replicaIndex) {
        Node replica = nodes.get(replicaIndex);
        int formerMaster = masterIndexOf(replicaIndex);
        replica.server.cli().call("CLUSTER", "FAILOVER");
        waitUntil("node " + replicaIndex + " became master", () -> isMaster(replicaIndex));
        // the former master learns of the promotion by gossip, a moment later (under load, after the promotion)
        waitUntil("node " + formerMaster + " became a replica", () -> !isMaster(formerMaster));
        waitUntil(
                "every node sees node " + replicaIndex + " as master",
                () -> nodes.stream()
                        .allMatch(n -> masterFlagIn(n.server.cli().callString("CLUSTER", "NODES"), replica.id)));
        awaitHealthy();
        log.info("failover: node {} is master now", replicaIndex);
    }

    /**
     * Starts moving {@code slot} from master {@code from} to master {@code to}: the target is IMPORTING, the source
     * MIGRATING, so the source answers {@code -ASK} for keys it does not hold.
     */
    public void beginMigration(int slot, int from, int to) {
        Node source = nodes.get(from);
        Node target = nodes.get(to);
        target.server.cli().call("CLUSTER", "SETSLOT", String.valueOf(slot), "IMPORTING", source.id);
        source.server.cli().call("CLUSTER", "SETSLOT", String.valueOf(slot), "MIGRATING", target.id);
    }

    /** Moves the keys of {@code slot} still on {@code from} to {@code to} and assigns the slot to {@code to}. */
    public void finishMigration(int slot, int from, int to) {
        Node source = nodes.get(from);
        Node target = nodes.get(to);
        while (true) {
            Object keys = source.server.cli().call("CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "100");
            List<?> list = (List<?>) keys;
            if (list.isEmpty()) {
                break;
            }
            List<String> args = new ArrayList<>(List.of(
                    "MIGRATE",
                    RedisServer.HOST,
                    String.valueOf(target.server.tlsPort()),
                    "",
                    "0",
                    "10000",
                    "AUTH2",
                    target.server.adminUsername(),
                    target.server.adminPassword(),
                    "KEYS"));
            list.forEach(k -> args.add(String.valueOf(k)));
            source.server.cli().call(args.toArray(String[]::new));
        }
        for (Node node : List.of(target, source)) {
            node.server.cli().call("CLUSTER", "SETSLOT", String.valueOf(slot), "NODE", target.id);
        }
        for (Node node : nodes) {
            if (node != target && node != source && isMaster(node.index)) {
                node.server.cli().call("CLUSTER", "SETSLOT", String.valueOf(slot), "NODE", target.id);
            }
        }
        awaitHealthy();
    }

    /**
     * Restarts node {@code index} announcing a new front port (what Azure Managed Redis does to its 85xx ports), keeps
     * its node id (nodes.conf survives), puts the identity's user and tokens back, and waits until every node sees the
     * new port. The node's data is lost (no persistence): restart replicas, or masters after moving their slots.
     *
     * @return the new announced port
     */
    public int restartAnnouncingNewPort(int index) {
        Node node = nodes.get(index);
        int port = node.cache.openTlsPort();
        appendConfig(node, "cluster-announce-tls-port " + port);
        node.announcedPort = port;
        node.server.restart();
        node.cache.reapply();
        awaitHealthy();
        log.info("node {} restarted, announcing port {}", index, port);
        return port;
    }

    private void announce(Node node, int port) {
        node.server.cli().call("CONFIG", "SET", "cluster-announce-tls-port", String.valueOf(port));
        appendConfig(node, "cluster-announce-tls-port " + port);
    }

    private static void appendConfig(Node node, String line) {
        try {
            Files.writeString(
                    node.server.directory().resolve("redis.conf"),
                    line + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int knownNodes(Node node) {
        String view = node.server.cli().callString("CLUSTER", "NODES");
        if (view.contains("handshake")) {
            return -1;
        }
        return (int) view.lines().filter(l -> !l.isBlank()).count();
    }

    /** The index of the master that replica {@code replicaIndex} follows, from the replica's own view. */
    private int masterIndexOf(int replicaIndex) {
        Node replica = nodes.get(replicaIndex);
        for (String line : replica.server.cli().callString("CLUSTER", "NODES").split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length > 3 && f[0].equals(replica.id)) {
                if (!f[2].contains("slave")) {
                    throw new IllegalStateException("node " + replicaIndex + " is not a replica");
                }
                return indexOf(f[3]);
            }
        }
        throw new IllegalStateException("node " + replicaIndex + " is not in its own CLUSTER NODES");
    }

    private static boolean masterFlagIn(String clusterNodes, String id) {
        for (String line : clusterNodes.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length > 2 && f[0].equals(id)) {
                return f[2].contains("master");
            }
        }
        return false;
    }

    private int indexOf(String id) {
        for (Node node : nodes) {
            if (node.id.equals(id)) {
                return node.index;
            }
        }
        throw new IllegalStateException("unknown node id " + id);
    }

    private static void waitUntil(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + CONVERGENCE.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                log.debug("{}: not yet ({})", what, e.getMessage());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("cluster stand-in: " + what + " not reached within " + CONVERGENCE);
            }
            try {
                Thread.sleep(50); // polling the cluster's state
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for: " + what, e);
            }
        }
    }

    /** Stops every node and front door. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Node node : nodes) {
            try {
                node.cache.close();
            } catch (RuntimeException e) {
                log.debug("closing stand-in {}: {}", node.index, e.getMessage());
            }
            node.server.close();
        }
    }

    /** Configures an {@link AzureClusterStandIn}. */
    public static final class Builder {
        private String cacheHostName = DEFAULT_CACHE_HOST;
        private String objectId;
        private EntraEmulator emulator;

        private Builder() {}

        /** The only name in the front doors' certificate (default {@value #DEFAULT_CACHE_HOST}). */
        public Builder cacheHostName(String cacheHostName) {
            this.cacheHostName = Objects.requireNonNull(cacheHostName, "cacheHostName");
            return this;
        }

        /** The identity whose current tokens every node accepts. */
        public Builder objectId(String objectId) {
            this.objectId = Objects.requireNonNull(objectId, "objectId");
            return this;
        }

        /** Accept the tokens {@code emulator} issues for the identity (see {@link AzureCacheStandIn#watch}). */
        public Builder watch(EntraEmulator emulator) {
            this.emulator = Objects.requireNonNull(emulator, "emulator");
            return this;
        }

        /** Starts the six nodes, forms the cluster and waits until it is healthy (a few seconds). */
        public AzureClusterStandIn start() {
            if (emulator != null && objectId == null) {
                throw new IllegalStateException("watch(emulator) needs objectId(...)");
            }
            return new AzureClusterStandIn(this);
        }
    }
}
