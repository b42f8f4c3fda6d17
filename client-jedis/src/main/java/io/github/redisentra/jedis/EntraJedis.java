package io.github.redisentra.jedis;

import io.github.redisentra.core.ClientCredentialSettings;
import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.jedis.internal.ConnectionReauthenticator;
import io.github.redisentra.jedis.internal.EntraConnectionProvider;
import io.github.redisentra.jedis.internal.ReauthenticatingConnectionFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.authentication.JedisAuthenticationException;
import redis.clients.jedis.builders.StandaloneClientBuilder;
import redis.clients.jedis.providers.ConnectionProvider;

/**
 * Builds a Jedis {@link RedisClient} (pooled) that authenticates with Entra ID access tokens and keeps every connection
 * authenticated as the tokens renew.
 *
 * <pre>{@code
 * TokenRefresher refresher = TokenRefresher.builder(tokenSource).build();
 * RedisClient redis = EntraJedis.builder(refresher)
 *         .hostAndPort(new HostAndPort("cache.redis.azure.net", 6380))
 *         .clientConfig(DefaultJedisClientConfig.builder().ssl(true).build())
 *         .build();
 * redis.set("k", "v");
 * }</pre>
 *
 * <p>How connections stay authenticated (the core {@link TokenRefresher} is the only renewal chain; Jedis's
 * {@code AuthXManager} is not used):
 *
 * <ul>
 *   <li>a new connection's handshake ({@code HELLO 3 AUTH}) uses the current token;
 *   <li>a pooled connection whose token is not the current one is re-authenticated when it is borrowed, returned, or
 *       tested while idle, and every renewal makes the pool test its idle connections at once; a connection whose
 *       {@code AUTH} fails is discarded and replaced, never handed out;
 *   <li>a connection inside a pipeline or {@code MULTI} is borrowed, so it is re-authenticated only before or after
 *       it, never in the middle;
 *   <li>a subscribed connection ({@code subscribe}/{@code psubscribe}, RESP3) gets {@code AUTH} in-band at each
 *       renewal; after the subscription ends the connection is closed rather than reused.
 * </ul>
 *
 * <p>Limits: a connection held by the application for longer than a token's remaining lifetime (a blocking command
 * waiting past expiry) is not re-authenticated until returned; Azure closes such connections at expiry. RESP3 is
 * always used.
 *
 * <p>User name: the one {@linkplain Builder#username(String) configured}, else the token's {@code oid} (what Azure
 * Cache for Redis expects), else none (Redis's {@code default} user).
 *
 * <p>Closing the client stops its own re-authentication only; other clients on the same refresher keep renewing. The
 * refresher is closed with the client only when {@link Builder#tokenSource(TokenSource)} made the builder create it.
 */
public final class EntraJedis {

    /** How long {@link Builder#build()} waits for the first token by default. */
    public static final Duration DEFAULT_FIRST_TOKEN_WAIT = Duration.ofMinutes(2);

    private EntraJedis() {}

    /**
     * For health checks: how many open connections of {@code client} are still authenticated with a token that has
     * expired. 0 while re-authentication keeps up; a server such as Azure Cache for Redis closes such connections.
     *
     * @throws IllegalArgumentException when {@code client} was not built by {@link EntraJedis}
     */
    public static long connectionsOnExpiredTokens(RedisClient client) {
        return reauthenticator(client).connectionsOnExpiredTokens();
    }

    /**
     * For health checks: how many connections {@code client} has open (pooled, borrowed and subscribed).
     *
     * @throws IllegalArgumentException when {@code client} was not built by {@link EntraJedis}
     */
    public static int openConnections(RedisClient client) {
        return reauthenticator(client).connectionCount();
    }

    private static ConnectionReauthenticator reauthenticator(RedisClient client) {
        Objects.requireNonNull(client, "client");
        if (client.getPool().getFactory() instanceof ReauthenticatingConnectionFactory factory) {
            return factory.reauthenticator();
        }
        throw new IllegalArgumentException("this RedisClient was not built by EntraJedis.builder(...).build()");
    }

    /** Starts building a client whose tokens come from {@code refresher} (not closed with the client). */
    public static Builder builder(TokenRefresher refresher) {
        return new Builder(Objects.requireNonNull(refresher, "refresher"), false);
    }

    /**
     * Starts building a client with its own {@link TokenRefresher} (default policy) over {@code source}; the refresher
     * is closed with the client. Prefer {@link #builder(TokenRefresher)} with one shared refresher when a process has
     * several clients.
     */
    public static Builder tokenSource(TokenSource source) {
        Objects.requireNonNull(source, "source");
        return new Builder(TokenRefresher.builder(source).build(), true).usernameFrom(source);
    }

    /**
     * The client configuration (token credentials, RESP3) and the re-authenticating pooled connection provider of one
     * client; see {@link Builder#buildComponents()}.
     */
    public record Components(JedisClientConfig clientConfig, ConnectionProvider connectionProvider) {}

    /** Builds a pooled {@link RedisClient} with live re-authentication. */
    public static final class Builder {
        private final TokenRefresher refresher;
        private final boolean ownsRefresher;
        private HostAndPort hostAndPort;
        private JedisClientConfig clientConfig =
                DefaultJedisClientConfig.builder().build();
        private GenericObjectPoolConfig<Connection> poolConfig = new ConnectionPoolConfig();
        private final ClientCredentialSettings credentials = new ClientCredentialSettings(Duration.ZERO);
        private ReauthenticationListener listener = ReauthenticationListener.logging();
        private Duration firstTokenWait = DEFAULT_FIRST_TOKEN_WAIT;

        private Builder(TokenRefresher refresher, boolean ownsRefresher) {
            this.refresher = refresher;
            this.ownsRefresher = ownsRefresher;
        }

        /** The Redis server (required). */
        public Builder hostAndPort(HostAndPort hostAndPort) {
            this.hostAndPort = Objects.requireNonNull(hostAndPort, "hostAndPort");
            return this;
        }

        /**
         * Socket, TLS, timeout, client name and database settings. Its user, password, credentials provider and
         * {@code AuthXManager} are replaced by the token credentials, and its protocol by RESP3.
         */
        public Builder clientConfig(JedisClientConfig clientConfig) {
            this.clientConfig = Objects.requireNonNull(clientConfig, "clientConfig");
            return this;
        }

        /**
         * Pool settings (default: Jedis's {@link ConnectionPoolConfig}). {@code testWhileIdle} is always turned on and
         * each idle test covers all idle connections, because that is how idle connections get re-authenticated; an
         * eviction interval is set (30 s) when none is. Keep it well below the part of a token's lifetime that is left
         * after renewal (25 % by default, at least 3 min) so idle connections are re-authenticated in time even when
         * a renewal's immediate pass missed them.
         */
        public Builder poolConfig(GenericObjectPoolConfig<Connection> poolConfig) {
            this.poolConfig = Objects.requireNonNull(poolConfig, "poolConfig");
            return this;
        }

        /**
         * The Redis user name to send with every token. Default: the token's {@code oid} claim; set it when the
         * server's ACL user has another name.
         */
        public Builder username(String username) {
            credentials.username(username);
            return this;
        }

        /**
         * Takes the Redis user name from {@code source} ({@link TokenSource#redisUsername}: the user name
         * configured on the source, else the token's {@code oid}) instead of from the token alone. A
         * {@link #username(String)} still wins.
         */
        public Builder usernameFrom(TokenSource source) {
            credentials.usernameFrom(source);
            return this;
        }

        /** Receives each connection's re-authentication outcome. Default: {@link ReauthenticationListener#logging()}. */
        public Builder listener(ReauthenticationListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * How long {@link #build()} waits for the refresher's first token. Default 2 min. Zero builds without waiting
         * (for frameworks that wait for the first token themselves): until a token arrives, opening a connection fails,
         * or waits {@link #tokenWait(Duration)}.
         */
        public Builder firstTokenWait(Duration wait) {
            Objects.requireNonNull(wait, "wait");
            if (wait.isNegative()) {
                throw new IllegalArgumentException("firstTokenWait must be zero or positive, got " + wait);
            }
            this.firstTokenWait = wait;
            return this;
        }

        /**
         * How long opening a connection waits for a valid token when there is none (the renewal is failing past
         * expiry, e.g. during an identity-provider outage). Default zero: fail at once with a
         * {@link JedisAuthenticationException}, so commands fail fast while no token is valid. With a wait, a command
         * that needs a new connection blocks (at most this long) and goes through as soon as the refresher has a
         * token again &mdash; what Lettuce does with its {@code tokenWait} (60 s there). Keep it below the
         * application's own request timeout; it holds the calling thread.
         */
        public Builder tokenWait(Duration tokenWait) {
            credentials.tokenWait(tokenWait);
            return this;
        }

        /**
         * Waits for the first token (blocking the calling thread, at most {@link #firstTokenWait(Duration)}) and
         * builds the client. Connections are opened lazily by the pool.
         *
         * @throws JedisAuthenticationException when no token could be had
         */
        public RedisClient build() {
            return applyTo(RedisClient.builder()).build();
        }

        /**
         * Makes the {@link RedisClient} you build yourself re-authenticate: sets this builder's server, its client
         * configuration (yours, given to {@link #clientConfig}, with the token credentials and RESP3) and its
         * re-authenticating pooled connection provider (your {@link #poolConfig}) on {@code clientBuilder}, and hands
         * it back for the rest of your settings ({@code keyPreProcessor}, {@code jsonObjectMapper},
         * {@code searchDialect}, …) and {@code build()}. Do not set another connection provider, pool or client
         * configuration on it afterwards: they would replace the re-authenticating ones. Waits for the first token
         * like {@link #build()}.
         *
         * <pre>{@code
         * RedisClient redis = EntraJedis.builder(refresher)
         *         .hostAndPort(hostAndPort)
         *         .clientConfig(myClientConfig)       // TLS, timeouts, client name, database
         *         .poolConfig(myPoolConfig)           // your pool sizes and idle settings
         *         .applyTo(RedisClient.builder())
         *         .searchDialect(2)
         *         .build();
         * }</pre>
         *
         * @throws JedisAuthenticationException when no token could be had
         */
        public <B extends StandaloneClientBuilder<?>> B applyTo(B clientBuilder) {
            Objects.requireNonNull(clientBuilder, "clientBuilder");
            Components components = buildComponents();
            clientBuilder
                    .hostAndPort(hostAndPort)
                    .clientConfig(components.clientConfig())
                    .connectionProvider(components.connectionProvider());
            return clientBuilder;
        }

        /**
         * What {@link #build()} puts into its {@link RedisClient}, for frameworks that build the Jedis client
         * themselves (Spring Data Redis's {@code JedisClientBuilderCustomizer}): give the client both. Waits for the
         * first token like {@link #build()}. Closing the provider (the client closes it) ends this client's
         * re-authentication.
         *
         * @throws JedisAuthenticationException when no token could be had
         */
        public Components buildComponents() {
            if (hostAndPort == null) {
                throw new IllegalStateException("EntraJedis.Builder needs hostAndPort(...): the Redis server to use");
            }
            awaitFirstToken();
            ConnectionReauthenticator reauthenticator = new ConnectionReauthenticator(
                    refresher, credentials.usernames(), listener, credentials.tokenWait());
            try {
                JedisClientConfig config = DefaultJedisClientConfig.builder()
                        .from(clientConfig)
                        .user(null)
                        .password(null)
                        .authXManager(null)
                        .credentialsProvider(reauthenticator)
                        .protocol(RedisProtocol.RESP3)
                        .build();
                ReauthenticatingConnectionFactory factory =
                        new ReauthenticatingConnectionFactory(hostAndPort, config, reauthenticator);
                EntraConnectionProvider provider = new EntraConnectionProvider(
                        factory, reauthenticatingPoolConfig(), reauthenticator, ownsRefresher ? refresher : null);
                return new Components(config, provider);
            } catch (RuntimeException e) {
                reauthenticator.close();
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
            if (firstTokenWait.isZero()) {
                return;
            }
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
                        + " (EntraJedis.Builder.firstTokenWait); refresher status: "
                        + refresher.status().summary());
            }
        }
    }
}
