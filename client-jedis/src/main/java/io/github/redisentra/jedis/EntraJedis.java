package io.github.redisentra.jedis;

import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.jedis.internal.ConnectionReauthenticator;
import io.github.redisentra.jedis.internal.EntraConnectionProvider;
import io.github.redisentra.jedis.internal.ReauthenticatingConnectionFactory;
import java.time.Duration;
import java.util.Objects;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
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

    /**
     * Builds a pooled {@link RedisClient} with live re-authentication. The token, wait, client and pool settings are
     * those of {@link AbstractEntraJedisBuilder}, shared with {@link EntraJedisCluster.Builder}.
     */
    public static final class Builder extends AbstractEntraJedisBuilder<Builder> {
        private HostAndPort hostAndPort;

        private Builder(TokenRefresher refresher, boolean ownsRefresher) {
            super(refresher, ownsRefresher, "EntraJedis.Builder");
        }

        @Override
        Builder self() {
            return this;
        }

        /** The Redis server (required). */
        public Builder hostAndPort(HostAndPort hostAndPort) {
            this.hostAndPort = Objects.requireNonNull(hostAndPort, "hostAndPort");
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
            ConnectionReauthenticator reauthenticator = newReauthenticator();
            try {
                JedisClientConfig config = tokenClientConfig(reauthenticator).build();
                ReauthenticatingConnectionFactory factory =
                        new ReauthenticatingConnectionFactory(hostAndPort, config, reauthenticator);
                EntraConnectionProvider provider = new EntraConnectionProvider(
                        factory, reauthenticatingPoolConfig(), reauthenticator, ownedRefresher());
                return new Components(config, provider);
            } catch (RuntimeException e) {
                reauthenticator.close();
                throw e;
            }
        }
    }
}
