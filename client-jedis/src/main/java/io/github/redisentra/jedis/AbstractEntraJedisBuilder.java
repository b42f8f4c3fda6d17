package io.github.redisentra.jedis;

import io.github.redisentra.core.ClientCredentialSettings;
import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.jedis.internal.ConnectionReauthenticator;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.authentication.JedisAuthenticationException;

/**
 * The settings {@link EntraJedis.Builder} and {@link EntraJedisCluster.Builder} share: where tokens come from and
 * whose user name goes with them, how long building and connecting wait for a token, the Jedis client and pool
 * configuration, and who hears about re-authentication. Not meant to be extended outside this package.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract sealed class AbstractEntraJedisBuilder<B extends AbstractEntraJedisBuilder<B>>
        permits EntraJedis.Builder, EntraJedisCluster.Builder {

    /** Default eviction-run interval of the pools when the caller's pool configuration has none. */
    private static final Duration IDLE_TEST_INTERVAL = Duration.ofSeconds(30);

    private final TokenRefresher refresher;
    private final boolean ownsRefresher;
    private final String name;
    private final ClientCredentialSettings credentials = new ClientCredentialSettings(Duration.ZERO);
    private JedisClientConfig clientConfig = DefaultJedisClientConfig.builder().build();
    private GenericObjectPoolConfig<Connection> poolConfig = new ConnectionPoolConfig();
    private ReauthenticationListener listener = ReauthenticationListener.logging();
    private Duration firstTokenWait = EntraJedis.DEFAULT_FIRST_TOKEN_WAIT;

    AbstractEntraJedisBuilder(TokenRefresher refresher, boolean ownsRefresher, String name) {
        this.refresher = Objects.requireNonNull(refresher, "refresher");
        this.ownsRefresher = ownsRefresher;
        this.name = name;
    }

    abstract B self();

    /**
     * Socket, TLS, timeout, client name and database settings, for every connection. Its user, password, credentials
     * provider and {@code AuthXManager} are replaced by the token credentials, and its protocol by RESP3.
     */
    public B clientConfig(JedisClientConfig clientConfig) {
        this.clientConfig = Objects.requireNonNull(clientConfig, "clientConfig");
        return self();
    }

    /**
     * Pool settings (default: Jedis's {@link ConnectionPoolConfig}; for a cluster, each node's pool).
     * {@code testWhileIdle} is always turned on and each idle test covers all idle connections, because that is how
     * idle connections get re-authenticated; an eviction interval is set (30 s) when none is. Keep it well below the
     * part of a token's lifetime that is left after renewal (25 % by default, at least 3 min) so idle connections are
     * re-authenticated in time even when a renewal's immediate pass missed them.
     */
    public B poolConfig(GenericObjectPoolConfig<Connection> poolConfig) {
        this.poolConfig = Objects.requireNonNull(poolConfig, "poolConfig");
        return self();
    }

    /**
     * The Redis user name to send with every token. Default: the token's {@code oid} claim; set it when the server's
     * ACL user has another name.
     */
    public B username(String username) {
        credentials.username(username);
        return self();
    }

    /**
     * Takes the Redis user name from {@code source} ({@link TokenSource#redisUsername}: the user name configured on
     * the source, else the token's {@code oid}) instead of from the token alone. A {@link #username(String)} still
     * wins.
     */
    public B usernameFrom(TokenSource source) {
        credentials.usernameFrom(source);
        return self();
    }

    /** Receives each connection's re-authentication outcome. Default: {@link ReauthenticationListener#logging()}. */
    public B listener(ReauthenticationListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return self();
    }

    /**
     * How long building waits for the refresher's first token. Default 2 min. Zero builds without waiting (for
     * frameworks that wait for the first token themselves, or start-ups that must not block on the identity
     * provider): until a token arrives, opening a connection fails, or waits {@link #tokenWait(Duration)}. What else
     * zero means for a cluster client (its topology) is said on {@link EntraJedisCluster.Builder}.
     */
    public B firstTokenWait(Duration wait) {
        Objects.requireNonNull(wait, "wait");
        if (wait.isNegative()) {
            throw new IllegalArgumentException("firstTokenWait must be zero or positive, got " + wait);
        }
        this.firstTokenWait = wait;
        return self();
    }

    /**
     * How long opening a connection waits for a valid token when there is none (no first token yet, or the renewal is
     * failing past expiry, e.g. during an identity-provider outage). Default zero: fail at once with a
     * {@link JedisAuthenticationException}, so commands fail fast while no token is valid. With a wait, a command that
     * needs a new connection blocks (at most this long) and goes through as soon as the refresher has a token again
     * &mdash; what Lettuce does with its {@code tokenWait} (60 s there). Keep it below the application's own request
     * timeout; it holds the calling thread.
     */
    public B tokenWait(Duration tokenWait) {
        credentials.tokenWait(tokenWait);
        return self();
    }

    final TokenRefresher refresher() {
        return refresher;
    }

    /** The refresher to close with the client, or null when the caller owns it. */
    final TokenRefresher ownedRefresher() {
        return ownsRefresher ? refresher : null;
    }

    final JedisClientConfig clientConfig() {
        return clientConfig;
    }

    /**
     * Waits for the first token as {@link #firstTokenWait(Duration)} says.
     *
     * @return whether the refresher has a token (false only with a zero wait and no token yet)
     * @throws JedisAuthenticationException when the wait ended without a token
     */
    final boolean awaitFirstToken() {
        if (firstTokenWait.isZero()) {
            return refresher.firstToken().isDone() && !refresher.firstToken().isCompletedExceptionally();
        }
        try {
            refresher.firstToken().get(firstTokenWait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JedisAuthenticationException("Interrupted while waiting for the first Entra ID token", e);
        } catch (ExecutionException e) {
            throw new JedisAuthenticationException(
                    "Could not obtain an Entra ID token for Redis: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new JedisAuthenticationException("No Entra ID token for Redis within " + firstTokenWait + " ("
                    + name + ".firstTokenWait); refresher status: "
                    + refresher.status().summary());
        }
    }

    /** A new re-authentication state for one client; the caller closes it if building fails. */
    final ConnectionReauthenticator newReauthenticator() {
        return new ConnectionReauthenticator(refresher, credentials.usernames(), listener, credentials.tokenWait());
    }

    /**
     * The caller's client configuration with the token credentials of {@code reauthenticator} and RESP3, still open for
     * more settings.
     */
    final DefaultJedisClientConfig.Builder tokenClientConfig(ConnectionReauthenticator reauthenticator) {
        return DefaultJedisClientConfig.builder()
                .from(clientConfig)
                .user(null)
                .password(null)
                .authXManager(null)
                .credentialsProvider(reauthenticator)
                .protocol(RedisProtocol.RESP3);
    }

    /** The caller's pool configuration (a copy) with the idle testing re-authentication relies on. */
    final GenericObjectPoolConfig<Connection> reauthenticatingPoolConfig() {
        GenericObjectPoolConfig<Connection> config = poolConfig.clone();
        config.setTestWhileIdle(true);
        config.setNumTestsPerEvictionRun(-1);
        if (config.getDurationBetweenEvictionRuns().isNegative()
                || config.getDurationBetweenEvictionRuns().isZero()) {
            config.setTimeBetweenEvictionRuns(IDLE_TEST_INTERVAL);
        }
        return config;
    }
}
