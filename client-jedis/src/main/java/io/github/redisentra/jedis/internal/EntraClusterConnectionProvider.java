package io.github.redisentra.jedis.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * Jedis's cluster connection provider whose every node pool is a re-authenticating pool (our
 * {@link ReauthenticatingConnectionFactory}) attached to one {@link ConnectionReauthenticator}.
 *
 * <p>Jedis 8 creates node pools in private code, so this subclass keeps the superclass only as the type Jedis's cluster
 * executor, pipeline and transaction need, and routes every method to {@link ClusterTopology}: our own slot table, with
 * node pools from our factory. The superclass constructor's own discovery (one short connection to a seed) is discarded
 * at once; its pools never opened a connection.
 *
 * <p>Lazy start ({@code firstToken} given): the topology is not loaded while constructing; it is loaded when that token
 * arrives (in the background), by the periodic refresh, or by the first command. Jedis's superclass constructor always
 * tries a discovery and throws when it fails, unless the system property {@code jedis.cluster.initNoError} is set, its
 * own switch for a client that starts without its cluster. On this path the superclass is therefore given a
 * configuration that fails before any network connection, and the property is set (if unset) only for the instant of
 * that constructor, under one lock, then cleared again.
 */
public final class EntraClusterConnectionProvider extends ClusterConnectionProvider {
    private static final String INIT_NO_ERROR = "jedis.cluster.initNoError";
    private static final Object INIT_NO_ERROR_LOCK = new Object();
    private static final JedisClientConfig NO_DISCOVERY = DefaultJedisClientConfig.builder()
            .hostAndPortMapper(node -> {
                throw new JedisConnectionException("topology loaded later (no Entra ID token yet)");
            })
            .build();

    private final ClusterTopology topology;
    private final ClientReauthentication reauthentication;

    /**
     * @param firstToken null to load the topology now (throwing if no seed answers), else the refresher's first token,
     *     on whose arrival the topology is loaded in the background (lazy start: nothing is contacted here)
     */
    public static EntraClusterConnectionProvider create(
            Set<HostAndPort> seeds,
            JedisClientConfig config,
            GenericObjectPoolConfig<Connection> poolConfig,
            Duration topologyRefreshPeriod,
            ConnectionReauthenticator reauthenticator,
            AutoCloseable ownedRefresher,
            CompletableFuture<?> firstToken) {
        if (firstToken == null) {
            return new EntraClusterConnectionProvider(
                    seeds, config, config, poolConfig, topologyRefreshPeriod, reauthenticator, ownedRefresher, true);
        }
        EntraClusterConnectionProvider provider;
        synchronized (INIT_NO_ERROR_LOCK) {
            boolean set = System.getProperty(INIT_NO_ERROR) == null;
            if (set) {
                System.setProperty(INIT_NO_ERROR, "true");
            }
            try {
                provider = new EntraClusterConnectionProvider(
                        seeds,
                        NO_DISCOVERY,
                        config,
                        poolConfig,
                        topologyRefreshPeriod,
                        reauthenticator,
                        ownedRefresher,
                        false);
            } finally {
                if (set) {
                    System.clearProperty(INIT_NO_ERROR);
                }
            }
        }
        firstToken.thenRun(provider.topology::loadInBackground);
        return provider;
    }

    private EntraClusterConnectionProvider(
            Set<HostAndPort> seeds,
            JedisClientConfig superclassConfig,
            JedisClientConfig config,
            GenericObjectPoolConfig<Connection> poolConfig,
            Duration topologyRefreshPeriod,
            ConnectionReauthenticator reauthenticator,
            AutoCloseable ownedRefresher,
            boolean loadNow) {
        super(seeds, superclassConfig, poolConfig);
        super.close();
        this.reauthentication = new ClientReauthentication(reauthenticator, ownedRefresher);
        this.topology = new ClusterTopology(
                node -> new NodePool(
                        new ReauthenticatingConnectionFactory(node, config, reauthenticator),
                        poolConfig,
                        reauthenticator),
                seed -> new Connection(seed, config),
                seeds,
                config.isReadOnlyForRedisClusterReplicas(),
                topologyRefreshPeriod);
        if (!loadNow) {
            return;
        }
        try {
            initializeSlots(seeds, config);
        } catch (RuntimeException e) {
            topology.close();
            throw e;
        }
    }

    private void initializeSlots(Set<HostAndPort> seeds, JedisClientConfig config) {
        List<HostAndPort> order = new ArrayList<>(seeds);
        Collections.shuffle(order);
        JedisException first = null;
        for (HostAndPort seed : order) {
            try (Connection connection = new Connection(seed, config)) {
                topology.load(connection);
                return;
            } catch (JedisException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        JedisClusterOperationException failed =
                new JedisClusterOperationException("Could not initialize cluster slots cache.");
        if (first != null) {
            failed.addSuppressed(first);
        }
        throw failed;
    }

    /** This client's re-authentication state (tests, diagnostics). */
    public ConnectionReauthenticator reauthenticator() {
        return reauthentication.reauthenticator();
    }

    @Override
    public void close() {
        reauthentication.close(topology::close);
    }

    @Override
    public void renewSlotCache() {
        topology.refresh(null);
    }

    @Override
    public void renewSlotCache(Connection connection) {
        topology.refresh(connection);
    }

    @Override
    public Map<String, ConnectionPool> getNodes() {
        return topology.nodePools();
    }

    @Override
    public Map<String, ConnectionPool> getPrimaryNodes() {
        return topology.primaryPools();
    }

    @Override
    public HostAndPort getNode(int slot) {
        return slot >= 0 ? topology.primaryOf(slot) : null;
    }

    @Override
    public Connection getConnection(HostAndPort node) {
        return node != null ? topology.pool(node).getResource() : getConnection();
    }

    @Override
    public Connection getConnection(CommandArguments args) {
        int slot = singleSlot(args);
        return slot >= 0 ? getConnectionFromSlot(slot) : getConnection();
    }

    @Override
    public Connection getReplicaConnection(CommandArguments args) {
        int slot = singleSlot(args);
        return slot >= 0 ? getReplicaConnectionFromSlot(slot) : getConnection();
    }

    private static int singleSlot(CommandArguments args) {
        Set<Integer> keySlots = args.getKeyHashSlots();
        if (keySlots.size() > 1) {
            throw new JedisClusterOperationException("Cannot get connection for command with multiple hash slots");
        }
        return keySlots.iterator().next();
    }

    @Override
    public Connection getConnection() {
        List<ConnectionPool> primaries = topology.shuffledPrimaryPools();
        if (primaries.isEmpty() && !topology.isLoaded()) {
            renewSlotCache(); // a lazily built client's first command
            if (!topology.isLoaded()) {
                throw topology.notLoaded();
            }
            primaries = topology.shuffledPrimaryPools();
        }
        JedisException suppressed = null;
        for (ConnectionPool pool : primaries) {
            Connection connection = null;
            try {
                connection = pool.getResource();
                if (connection == null) {
                    continue;
                }
                connection.ping();
                return connection;
            } catch (JedisException e) {
                if (suppressed == null) {
                    suppressed = e;
                }
                if (connection != null) {
                    connection.close();
                }
            }
        }
        JedisClusterOperationException none = new JedisClusterOperationException("No reachable node in cluster.");
        if (suppressed != null) {
            none.addSuppressed(suppressed);
        }
        throw none;
    }

    @Override
    public Connection getConnectionFromSlot(int slot) {
        ConnectionPool pool = topology.primaryPool(slot);
        if (pool != null) {
            return pool.getResource();
        }
        renewSlotCache();
        if (!topology.isLoaded()) {
            throw topology.notLoaded(); // a lazily built client before its first token: the reason, not a retry
        }
        pool = topology.primaryPool(slot);
        return pool != null ? pool.getResource() : getConnection();
    }

    @Override
    public Connection getReplicaConnectionFromSlot(int slot) {
        List<ConnectionPool> pools = topology.replicaPools(slot);
        if (pools != null && !pools.isEmpty()) {
            return pools.get(ThreadLocalRandom.current().nextInt(pools.size())).getResource();
        }
        renewSlotCache();
        pools = topology.replicaPools(slot);
        if (pools != null && !pools.isEmpty()) {
            return pools.get(ThreadLocalRandom.current().nextInt(pools.size())).getResource();
        }
        return getConnectionFromSlot(slot);
    }

    @Override
    public Map<String, ConnectionPool> getConnectionMap() {
        return Collections.unmodifiableMap(getNodes());
    }

    @Override
    public Map<String, ConnectionPool> getPrimaryNodesConnectionMap() {
        return Collections.unmodifiableMap(getPrimaryNodes());
    }

    /** A node's pool: attached to the client's re-authentication while open. */
    private static final class NodePool extends ConnectionPool {
        private final ConnectionReauthenticator reauthenticator;

        NodePool(
                ReauthenticatingConnectionFactory factory,
                GenericObjectPoolConfig<Connection> poolConfig,
                ConnectionReauthenticator reauthenticator) {
            super(factory, poolConfig);
            this.reauthenticator = reauthenticator;
            reauthenticator.attach(this);
        }

        @Override
        public void close() {
            reauthenticator.detach(this);
            super.close();
        }
    }
}
