package io.github.redisentra.jedis;

import io.github.redisentra.core.ClientCredentialSettings;
import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.jedis.internal.ConnectionReauthenticator;
import io.github.redisentra.jedis.internal.EntraClusterConnectionProvider;
import io.github.redisentra.jedis.internal.ReauthenticatingConnectionFactory;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisProtocol;
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

    /** Like {@link EntraJedis#connectionsOnExpiredTokens}, over all nodes of {@code client}. */
    public static long connectionsOnExpiredTokens(RedisClusterClient client) {
        return reauthenticator(client).connectionsOnExpiredTokens();
    }

    /** How many connections {@code client} has open over all nodes (pooled, borrowed and subscribed). */
    public static int openConnections(RedisClusterClient client) {
        return reauthenticator(client).connectionCount();
    }

    private static ConnectionReauthenticator reauthenticator(RedisClusterClient client) {
        Objects.requireNonNull(client, "client");
        for (ConnectionPool pool : client.getClusterNodes().values()) {
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

    /** Builds a {@link RedisClusterClient} with live re-authentication of every node connection. */
    public static final class Builder {
        private final TokenRefresher refresher;
        private final boolean ownsRefresher;
        private final Set<HostAndPort> nodes = new LinkedHashSet<>();
        private JedisClientConfig clientConfig =
                DefaultJedisClientConfig.builder().build();
        private String tlsServerName;
        private GenericObjectPoolConfig<Connection> poolConfig = new ConnectionPoolConfig();
        private Duration topologyRefresh = DEFAULT_TOPOLOGY_REFRESH;
        private final ClientCredentialSettings credentials = new ClientCredentialSettings(Duration.ZERO);
        private ReauthenticationListener listener = ReauthenticationListener.logging();
        private Duration firstTokenWait = EntraJedis.DEFAULT_FIRST_TOKEN_WAIT;

        private Builder(TokenRefresher refresher, boolean ownsRefresher) {
            this.refresher = refresher;
            this.ownsRefresher = ownsRefresher;
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

        /** As {@link EntraJedis.Builder#clientConfig}; applies to the connections of every node. */
        public Builder clientConfig(JedisClientConfig clientConfig) {
            this.clientConfig = Objects.requireNonNull(clientConfig, "clientConfig");
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

        /** Pool settings for each node's pool, adjusted as in {@link EntraJedis.Builder#poolConfig}. */
        public Builder poolConfig(GenericObjectPoolConfig<Connection> poolConfig) {
            this.poolConfig = Objects.requireNonNull(poolConfig, "poolConfig");
            return this;
        }

        /** Periodic topology refresh (default 30 s); {@code null} refreshes only on MOVED and failures. */
        public Builder topologyRefreshPeriod(Duration period) {
            this.topologyRefresh = period;
            return this;
        }

        /** As {@link EntraJedis.Builder#username}. */
        public Builder username(String username) {
            credentials.username(username);
            return this;
        }

        /** As {@link EntraJedis.Builder#usernameFrom}. */
        public Builder usernameFrom(TokenSource source) {
            credentials.usernameFrom(source);
            return this;
        }

        /** Receives each connection's re-authentication outcome. */
        public Builder listener(ReauthenticationListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** How long building waits for the refresher's first token. Default 2 min. */
        public Builder firstTokenWait(Duration wait) {
            Objects.requireNonNull(wait, "wait");
            if (wait.isNegative() || wait.isZero()) {
                throw new IllegalArgumentException("firstTokenWait must be positive, got " + wait);
            }
            this.firstTokenWait = wait;
            return this;
        }

        /** As {@link EntraJedis.Builder#tokenWait}. */
        public Builder tokenWait(Duration tokenWait) {
            credentials.tokenWait(tokenWait);
            return this;
        }

        /**
         * Waits for the first token, discovers the topology from a seed and builds the client.
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
            awaitFirstToken();
            ConnectionReauthenticator reauthenticator = new ConnectionReauthenticator(
                    refresher, credentials.usernames(), listener, credentials.tokenWait());
            try {
                DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                        .from(clientConfig)
                        .user(null)
                        .password(null)
                        .authXManager(null)
                        .credentialsProvider(reauthenticator)
                        .protocol(RedisProtocol.RESP3);
                if (tlsServerName != null) {
                    config.sslParameters(sslParameters(clientConfig.getSslParameters(), tlsServerName));
                }
                JedisClientConfig built = config.build();
                EntraClusterConnectionProvider provider = new EntraClusterConnectionProvider(
                        Set.copyOf(nodes),
                        built,
                        reauthenticatingPoolConfig(),
                        topologyRefresh,
                        reauthenticator,
                        ownsRefresher ? refresher : null);
                return new Components(built, provider);
            } catch (RuntimeException e) {
                reauthenticator.close();
                if (ownsRefresher) {
                    refresher.close(); // the provider would have closed it; no client will
                }
                throw e;
            }
        }

        private GenericObjectPoolConfig<Connection> reauthenticatingPoolConfig() {
            GenericObjectPoolConfig<Connection> config = poolConfig.clone();
            config.setTestWhileIdle(true);
            config.setNumTestsPerEvictionRun(-1);
            if (config.getDurationBetweenEvictionRuns().isNegative()
                    || config.getDurationBetweenEvictionRuns().isZero()) {
                config.setTimeBetweenEvictionRuns(Duration.ofSeconds(30));
            }
            return config;
        }

        private void awaitFirstToken() {
            try {
                refresher.firstToken().get(firstTokenWait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JedisAuthenticationException("Interrupted while waiting for the first Entra ID token", e);
            } catch (ExecutionException e) {
                throw new JedisAuthenticationException(
                        "Could not obtain an Entra ID token for Redis: " + e.getCause(), e.getCause());
            } catch (TimeoutException e) {
                throw new JedisAuthenticationException("No Entra ID token for Redis within " + firstTokenWait
                        + " (refresher status: " + refresher.status() + ")");
            }
        }
    }
}
