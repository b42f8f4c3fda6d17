package io.github.redisentra.jedis.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Our own slot table and node pools for {@link EntraClusterConnectionProvider}, because Jedis builds node pools in
 * private code.
 *
 * <p>Design: the current {@link SlotTable} is an immutable snapshot behind an {@link AtomicReference} (lock-free reads;
 * a refresh publishes a new one); node pools live in a concurrent map keyed {@code host:port}, created by the given
 * factory, and a pool whose node is no longer in the topology is removed and closed after each refresh. A refresh is
 * single-flight: while one runs, other callers wait for it and use its result. It asks, in order, the connection that
 * saw the redirection (if any), the known nodes (through their pools), then the seeds.
 */
final class ClusterTopology implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterTopology.class);
    private static final CommandArguments CLUSTER_SLOTS =
            new CommandArguments(Protocol.Command.CLUSTER).add(Protocol.ClusterKeyword.SLOTS);

    private final Function<HostAndPort, ConnectionPool> poolFactory;
    private final Function<HostAndPort, Connection> seedConnector;
    private final List<HostAndPort> seeds;
    private final boolean readFromReplicas;
    private final AtomicReference<SlotTable> table = new AtomicReference<>(SlotTable.EMPTY);
    private final Map<String, ConnectionPool> pools = new ConcurrentHashMap<>();
    private final AtomicReference<CompletableFuture<Boolean>> refreshing = new AtomicReference<>();
    private final ScheduledExecutorService background;
    private volatile JedisException lastFailure;
    private volatile boolean closed;

    /**
     * @param poolFactory creates the pool for a node
     * @param seedConnector opens a short connection to a seed (refresh's last resort)
     * @param seeds the configured start nodes
     * @param readFromReplicas whether replica pools are offered for reads
     * @param refreshPeriod period of the background refresh; null or zero for none
     */
    ClusterTopology(
            Function<HostAndPort, ConnectionPool> poolFactory,
            Function<HostAndPort, Connection> seedConnector,
            Set<HostAndPort> seeds,
            boolean readFromReplicas,
            Duration refreshPeriod) {
        this.poolFactory = poolFactory;
        this.seedConnector = seedConnector;
        this.seeds = List.copyOf(seeds);
        this.readFromReplicas = readFromReplicas;
        // One daemon thread per client: the periodic refresh and a lazily built client's first load.
        background = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "redis-entra-jedis-topology");
            thread.setDaemon(true);
            return thread;
        });
        if (refreshPeriod != null && !refreshPeriod.isZero() && !refreshPeriod.isNegative()) {
            long millis = refreshPeriod.toMillis();
            background.scheduleWithFixedDelay(() -> refresh(null), millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Loads the topology from {@code connection}'s {@code CLUSTER SLOTS} (the first discovery).
     *
     * @throws JedisException if the node cannot answer or knows no slots
     */
    void load(Connection connection) {
        publish(read(connection));
    }

    /** Whether a topology is known (false until a lazily built client's first load succeeds). */
    boolean isLoaded() {
        return !table.get().isEmpty();
    }

    /** Loads the topology on the background thread unless one is known by then (a lazily built client's token came). */
    void loadInBackground() {
        if (closed) {
            return;
        }
        try {
            background.execute(() -> {
                if (!isLoaded()) {
                    refresh(null);
                }
            });
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** For a command that found no topology: why none could be loaded (the last discovery's failure as cause). */
    JedisClusterOperationException notLoaded() {
        JedisException cause = lastFailure;
        return new JedisClusterOperationException(
                "No cluster topology yet: no seed answered CLUSTER SLOTS"
                        + (cause == null ? "" : " (" + cause.getMessage() + ")"),
                cause);
    }

    /**
     * Rediscovers the topology (after {@code MOVED}, or periodically). If a refresh is already running, waits for it
     * instead of starting another. If no node answers, the current topology stays.
     *
     * @param hint a connection to ask first (the one that was redirected), or null
     */
    void refresh(Connection hint) {
        if (closed) {
            return;
        }
        CompletableFuture<Boolean> mine = new CompletableFuture<>();
        CompletableFuture<Boolean> running = refreshing.compareAndExchange(null, mine);
        if (running != null) {
            running.join();
            return;
        }
        boolean done = false;
        try {
            done = rediscover(hint);
        } finally {
            refreshing.set(null);
            mine.complete(done);
        }
    }

    private boolean rediscover(Connection hint) {
        JedisException first = null;
        if (hint != null) {
            try {
                publish(read(hint));
                return true;
            } catch (JedisException e) {
                first = e;
            }
        }
        List<ConnectionPool> known = shuffledNodePools();
        for (ConnectionPool pool : known) {
            try (Connection connection = pool.getResource()) {
                publish(read(connection));
                return true;
            } catch (JedisException e) {
                first = first == null ? e : first;
            }
        }
        for (HostAndPort seed : seeds) {
            try (Connection connection = seedConnector.apply(seed)) {
                publish(read(connection));
                return true;
            } catch (JedisException e) {
                first = first == null ? e : first;
            }
        }
        lastFailure = first;
        if (!closed) {
            log.warn(
                    "redis.entra: no cluster node answered CLUSTER SLOTS; keeping the current topology ({})",
                    first == null ? "no node known" : first.toString());
        }
        return false;
    }

    private static SlotTable read(Connection connection) {
        Object reply = connection.executeCommand(CLUSTER_SLOTS);
        SlotTable read = SlotTable.parse(reply, connection.getHostAndPort().getHost());
        if (read.isEmpty()) {
            throw new JedisClusterOperationException(
                    "Cluster slots list is empty (node " + connection.getHostAndPort() + ")");
        }
        return read;
    }

    /** Makes {@code next} current: pools for its nodes, departed nodes' pools closed. */
    void publish(SlotTable next) {
        if (closed) {
            return;
        }
        for (HostAndPort node : next.nodes()) {
            pool(node);
        }
        table.set(next);
        Set<String> keep = new HashSet<>();
        for (HostAndPort node : next.nodes()) {
            keep.add(key(node));
        }
        for (Map.Entry<String, ConnectionPool> entry : pools.entrySet()) {
            if (!keep.contains(entry.getKey()) && pools.remove(entry.getKey(), entry.getValue())) {
                closeQuietly(entry.getValue());
            }
        }
    }

    /** The pool for {@code node}, created if the node is new (a redirection target outside the table). */
    ConnectionPool pool(HostAndPort node) {
        if (closed) {
            throw new JedisClusterOperationException("Cluster client is closed");
        }
        return pools.computeIfAbsent(key(node), k -> poolFactory.apply(node));
    }

    /** The primary serving {@code slot}, or null if none is known. */
    HostAndPort primaryOf(int slot) {
        return table.get().primary(slot);
    }

    /** The pool of the primary serving {@code slot}, or null if none is known. */
    ConnectionPool primaryPool(int slot) {
        HostAndPort primary = primaryOf(slot);
        return primary == null ? null : pools.get(key(primary));
    }

    /** Pools of {@code slot}'s replicas; empty if none is known or reading from replicas is off. */
    List<ConnectionPool> replicaPools(int slot) {
        if (!readFromReplicas) {
            return List.of();
        }
        List<ConnectionPool> result = new ArrayList<>();
        for (HostAndPort replica : table.get().replicas(slot)) {
            ConnectionPool pool = pools.get(key(replica));
            if (pool != null) {
                result.add(pool);
            }
        }
        return result;
    }

    /** Every node's pool, keyed {@code host:port} (a snapshot). */
    Map<String, ConnectionPool> nodePools() {
        return new HashMap<>(pools);
    }

    /** The primaries' pools, keyed {@code host:port} (a snapshot). */
    Map<String, ConnectionPool> primaryPools() {
        Map<String, ConnectionPool> result = new HashMap<>();
        for (HostAndPort primary : table.get().primaries()) {
            ConnectionPool pool = pools.get(key(primary));
            if (pool != null) {
                result.put(key(primary), pool);
            }
        }
        return result;
    }

    /** The primaries' pools in random order (keyless commands spread over the shards). */
    List<ConnectionPool> shuffledPrimaryPools() {
        List<ConnectionPool> result = new ArrayList<>(primaryPools().values());
        Collections.shuffle(result);
        return result;
    }

    /** Every node's pool in random order. */
    List<ConnectionPool> shuffledNodePools() {
        List<ConnectionPool> result = new ArrayList<>(new LinkedHashSet<>(pools.values()));
        Collections.shuffle(result);
        return result;
    }

    /** Stops the background refresh and closes every pool; the topology is then empty. */
    @Override
    public void close() {
        closed = true;
        background.shutdownNow();
        table.set(SlotTable.EMPTY);
        for (String key : new ArrayList<>(pools.keySet())) {
            ConnectionPool pool = pools.remove(key);
            if (pool != null) {
                closeQuietly(pool);
            }
        }
    }

    static String key(HostAndPort node) {
        return node.getHost() + ":" + node.getPort();
    }

    private static void closeQuietly(ConnectionPool pool) {
        try {
            pool.close();
        } catch (RuntimeException e) {
            log.debug("redis.entra: closing a cluster node pool failed", e);
        }
    }
}
