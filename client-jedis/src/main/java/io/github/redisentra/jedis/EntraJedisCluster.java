package io.github.redisentra.jedis;

import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.jedis.internal.ConnectionReauthenticator;
import io.github.redisentra.jedis.internal.EntraClusterConnectionProvider;
import io.github.redisentra.jedis.internal.ReauthenticatingConnectionFactory;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.authentication.JedisAuthenticationException;
import redis.clients.jedis.builders.ClusterClientBuilder;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/**
 * Builds a Jedis {@link RedisClusterClient} for an OSS-clustered cache (Azure Managed Redis with the OSS clustering
 * policy, Azure Cache for Redis Premium with clustering) that authenticates with Entra ID access tokens and keeps every
 * node's connections authenticated as the tokens renew &mdash; the guarantees of {@link EntraJedis}, per node: each
 * node gets a re-authenticating pool (borrow, return and idle tests re-{@code AUTH} a connection on an old token, each
 * renewal tests idle connections at once), connections inside a pipeline or {@code MULTI} are re-authenticated only
 * around them, and subscribed connections ({@code subscribe}, {@code ssubscribe}) get {@code AUTH} in-band.
 *
 * <pre>{@code
 * RedisClusterClient redis = EntraJedisCluster.builder(refresher)
 *         .node(new HostAndPort("mycache.westeurope.redis.azure.net", 10000))
 *         .clientConfig(DefaultJedisClientConfig.builder().ssl(true).build())
 *         .tlsServerName("mycache.westeurope.redis.azure.net")
 *         .build();
 * }</pre>
 *
 * <p>The topology names shards by IP address while the certificate names only the cache host:
 * {@link Builder#tlsServerName(String)} sends that name as TLS SNI and verifies the certificate against it on every
 * connection, whatever address was dialled. Connection budget: up to the pool size per node, so the cache sees about
 * (pool size × nodes used) per client.
 */
public final class EntraJedisCluster {

    /** Default periodic topology refresh: follows failovers and AMR's port changes without waiting for a MOVED. */
    public static final Duration DEFAULT_TOPOLOGY_REFRESH = Duration.ofSeconds(30);

    private EntraJedisCluster() {}

    /**
     * Like {@link EntraJedis#connectionsOnExpiredTokens}, over all nodes of {@code client}; 0 while no node is known
     * yet (a client built without waiting for its first token, before its topology loaded).
     */
    public static long connectionsOnExpiredTokens(RedisClusterClient client) {
        ConnectionReauthenticator reauthenticator = reauthenticator(client);
        return reauthenticator == null ? 0 : reauthenticator.connectionsOnExpiredTokens();
    }

    /**
     * How many connections {@code client} has open over all nodes (pooled, borrowed and subscribed); 0 while no node
     * is known yet.
     */
    public static int openConnections(RedisClusterClient client) {
        ConnectionReauthenticator reauthenticator = reauthenticator(client);
        return reauthenticator == null ? 0 : reauthenticator.connectionCount();
    }

    /** The client's re-authentication state; null while it knows no node (nothing open, nothing to check). */
    private static ConnectionReauthenticator reauthenticator(RedisClusterClient client) {
        Objects.requireNonNull(client, "client");
        Map<String, ConnectionPool> nodes = client.getClusterNodes();
        if (nodes.isEmpty()) {
            return null;
        }
        for (ConnectionPool pool : nodes.values()) {
            if (pool.getFactory() instanceof ReauthenticatingConnectionFactory factory) {
                return factory.reauthenticator();
            }
        }
        throw new IllegalArgumentException(
                "this RedisClusterClient was not built by EntraJedisCluster.builder(...).build()");
    }

    /** Starts building a client whose tokens come from {@code refresher} (not closed with the client). */
    public static Builder builder(TokenRefresher refresher) {
        return new Builder(Objects.requireNonNull(refresher, "refresher"), false);
    }

    /** Like {@link EntraJedis#tokenSource(TokenSource)}: its own refresher, closed with the client. */
    public static Builder tokenSource(TokenSource source) {
        Objects.requireNonNull(source, "source");
        return new Builder(TokenRefresher.builder(source).build(), true).usernameFrom(source);
    }

    /** {@code base} with TLS SNI {@code serverName} and HTTPS host-name verification against it. */
    public static SSLParameters sslParameters(SSLParameters base, String serverName) {
        SSLParameters parameters = base == null ? new SSLParameters() : copy(base);
        parameters.setServerNames(List.of(new SNIHostName(Objects.requireNonNull(serverName, "serverName"))));
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        return parameters;
    }

    private static SSLParameters copy(SSLParameters base) {
        SSLParameters p = new SSLParameters(base.getCipherSuites(), base.getProtocols());
        p.setAlgorithmConstraints(base.getAlgorithmConstraints());
        p.setApplicationProtocols(base.getApplicationProtocols());
        p.setUseCipherSuitesOrder(base.getUseCipherSuitesOrder());
        p.setSNIMatchers(base.getSNIMatchers());
        return p;
    }

    /** The client configuration and re-authenticating cluster provider of one client; give both to Jedis's builder. */
    public record Components(JedisClientConfig clientConfig, ClusterConnectionProvider connectionProvider) {}

    /**
     * Builds a {@link RedisClusterClient} with live re-authentication of every node connection. The token, wait, client
     * and pool settings are those of {@link AbstractEntraJedisBuilder}, shared with {@link EntraJedis.Builder}.
     *
     * <p>The first token and the topology: a cluster client learns the shards from a seed's {@code CLUSTER SLOTS},
     * which needs an authenticated connection, hence a token. By default {@link #build()} waits for the first token
     * ({@link #firstTokenWait(Duration)}, 2 min) and loads the topology before returning, failing if no seed answers.
     * With {@code firstTokenWait(Duration.ZERO)} and no token yet, building returns at once without contacting the
     * cluster and the topology is loaded later, by whichever comes first: the first token's arrival (in the
     * background), the periodic {@linkplain #topologyRefreshPeriod(Duration) topology refresh}, or the first command
     * (which then loads it from a seed &mdash; what Jedis's own cluster client does when its start-up discovery
     * failed). Until a token arrives such a command fails with the token error (or waits {@link #tokenWait(Duration)}
     * for one). With zero wait and a token already there, the topology is loaded while building, as by default.
     */
    public static final class Builder extends AbstractEntraJedisBuilder<Builder> {
        private final Set<HostAndPort> nodes = new LinkedHashSet<>();
        private String tlsServerName;
        private Duration topologyRefresh = DEFAULT_TOPOLOGY_REFRESH;

        private Builder(TokenRefresher refresher, boolean ownsRefresher) {
            super(refresher, ownsRefresher, "EntraJedisCluster.Builder");
        }

        @Override
        Builder self() {
            return this;
        }

        /** A seed node (at least one): the cache's endpoint, or any node. */
        public Builder node(HostAndPort node) {
            nodes.add(Objects.requireNonNull(node, "node"));
            return this;
        }

        /** Seed nodes. */
        public Builder nodes(Set<HostAndPort> seeds) {
            seeds.forEach(this::node);
            return this;
        }

        /**
         * The cache's host name, sent as TLS SNI and verified against the certificate on every node connection (the
         * topology names shards by IP address). Needs {@code ssl(true)} in the client configuration; replaces its
         * server names and endpoint identification.
         */
        public Builder tlsServerName(String cacheHostName) {
            this.tlsServerName = Objects.requireNonNull(cacheHostName, "cacheHostName");
            return this;
        }

        /** Periodic topology refresh (default 30 s); {@code null} refreshes only on MOVED and failures. */
        public Builder topologyRefreshPeriod(Duration period) {
            this.topologyRefresh = period;
            return this;
        }

        /**
         * Waits for the first token, discovers the topology from a seed and builds the client (with a zero
         * {@link #firstTokenWait(Duration)} and no token yet: builds at once and discovers later, see {@link Builder}).
         *
         * @throws JedisAuthenticationException when no token could be had
         */
        public RedisClusterClient build() {
            return applyTo(RedisClusterClient.builder()).build();
        }

        /**
         * Sets the client configuration and the re-authenticating provider on {@code clientBuilder} and hands it back
         * for your other settings ({@code maxAttempts}, {@code keyPreProcessor}, …). Do not set another provider, pool
         * or client configuration on it afterwards.
         */
        public <B extends ClusterClientBuilder<?>> B applyTo(B clientBuilder) {
            Objects.requireNonNull(clientBuilder, "clientBuilder");
            Components components = buildComponents();
            clientBuilder
                    .nodes(Set.copyOf(nodes))
                    .clientConfig(components.clientConfig())
                    .connectionProvider(components.connectionProvider());
            return clientBuilder;
        }

        /** What {@link #build()} puts into its client, for frameworks that build the Jedis client themselves. */
        public Components buildComponents() {
            if (nodes.isEmpty()) {
                throw new IllegalStateException(
                        "EntraJedisCluster.Builder needs node(...): a seed node of the cluster");
            }
            boolean haveToken = awaitFirstToken();
            ConnectionReauthenticator reauthenticator = newReauthenticator();
            try {
                DefaultJedisClientConfig.Builder config = tokenClientConfig(reauthenticator);
                if (tlsServerName != null) {
                    config.sslParameters(sslParameters(clientConfig().getSslParameters(), tlsServerName));
                }
                JedisClientConfig built = config.build();
                EntraClusterConnectionProvider provider = EntraClusterConnectionProvider.create(
                        Set.copyOf(nodes),
                        built,
                        reauthenticatingPoolConfig(),
                        topologyRefresh,
                        reauthenticator,
                        ownedRefresher(),
                        haveToken ? null : refresher().firstToken());
                return new Components(built, provider);
            } catch (RuntimeException e) {
                reauthenticator.close();
                if (ownedRefresher() != null) {
                    ownedRefresher().close(); // the provider would have closed it; no client will
                }
                throw e;
            }
        }
    }
}
