package io.github.redisentra.jedis.internal;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.RedisCredentialsProvider;
import redis.clients.jedis.authentication.JedisAuthenticationException;
import redis.clients.jedis.util.Pool;

/**
 * Keeps the connections of ONE Jedis client authenticated with the refresher's current token.
 *
 * <p>It replaces Jedis's {@code AuthXManager} for our clients; none of its state is shared between clients, so one
 * client's {@link #close()} can never stop another's renewal and a closed pool leaves nothing behind in the refresher.
 * The refresher is the only renewal chain: this class never asks for tokens, it only reacts to
 * {@link TokenListener#onToken}.
 *
 * <ul>
 *   <li>New connections: the handshake takes the current token through {@link #get()}.
 *   <li>Pooled connections: re-authenticated on borrow, on return and when the pool tests idle connections, whenever
 *       the token they last authenticated with is not the current one; each renewal makes the pool test its idle
 *       connections at once ({@code evict()} with {@code testWhileIdle}).
 *   <li>Pub/sub connections: {@code AUTH} is written in-band at each renewal (RESP3 allows it while subscribed).
 * </ul>
 */
public final class ConnectionReauthenticator implements RedisCredentialsProvider, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConnectionReauthenticator.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    // The token a handshake on this thread used; read back by the connection right after its handshake.
    private final ThreadLocal<AccessToken> handshakeToken = new ThreadLocal<>();
    private final TokenRefresher refresher;
    private final Function<AccessToken, String> usernames;
    private final ReauthenticationListener listener;
    private final Duration tokenWait;
    private final Set<ReauthenticatingConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<Pool<Connection>> pools = ConcurrentHashMap.newKeySet();
    private final ExecutorService renewals;
    private final AutoCloseable subscription;
    private volatile boolean closed;

    /**
     * @param tokenWait how long a new connection's handshake waits for a valid token when there is none; zero fails
     *     at once
     */
    public ConnectionReauthenticator(
            TokenRefresher refresher,
            Function<AccessToken, String> usernames,
            ReauthenticationListener listener,
            Duration tokenWait) {
        this.refresher = refresher;
        this.usernames = usernames;
        this.listener = listener;
        this.tokenWait = tokenWait;
        // Re-authenticating idle and pub/sub connections is network I/O: never on the refresher's notification thread.
        this.renewals = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "redis-entra-jedis-reauth-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.subscription = refresher.subscribe(new TokenListener() {
            @Override
            public void onToken(AccessToken token) {
                onRenewal();
            }
        });
    }

    /** Lets renewals test the pool's idle connections at once (a cluster client attaches one pool per node). */
    public void attach(Pool<Connection> connectionPool) {
        pools.add(connectionPool);
    }

    /** Forgets a pool that was closed (a node that left the cluster topology). */
    public void detach(Pool<Connection> connectionPool) {
        pools.remove(connectionPool);
    }

    /** The credentials every connection should use now. */
    public JedisCredentials currentCredentials() {
        AccessToken token = refresher
                .current()
                .filter(t -> !t.isExpiredAt(Instant.now()))
                .orElseThrow(() -> noToken(Duration.ZERO));
        return new JedisCredentials(usernames.apply(token), token);
    }

    /** The current credentials, or the next valid ones within the token wait. */
    private JedisCredentials awaitCredentials() {
        Optional<AccessToken> now = refresher.current().filter(t -> !t.isExpiredAt(Instant.now()));
        if (now.isPresent() || tokenWait.isZero()) {
            return currentCredentials();
        }
        CompletableFuture<AccessToken> next = refresher.validToken();
        try {
            AccessToken token = next.get(tokenWait.toNanos(), TimeUnit.NANOSECONDS);
            return new JedisCredentials(usernames.apply(token), token);
        } catch (TimeoutException e) {
            throw noToken(tokenWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JedisAuthenticationException("Interrupted while waiting for a valid Entra ID token", e);
        } catch (ExecutionException e) {
            throw new JedisAuthenticationException(
                    "No valid Entra ID token for the Redis connection: " + e.getCause(), e.getCause());
        } finally {
            next.cancel(false);
        }
    }

    private JedisAuthenticationException noToken(Duration waited) {
        return new JedisAuthenticationException("No valid Entra ID token for the Redis connection"
                + (waited.isZero() ? "" : " within " + waited + " (EntraJedis.Builder.tokenWait)")
                + "; refresher status: " + refresher.status().summary()
                + ". Check the token source's settings and log, and that the identity provider is reachable.");
    }

    /**
     * Jedis calls this for each new connection's handshake; without a valid token it waits up to the token wait.
     */
    @Override
    public JedisCredentials get() {
        JedisCredentials credentials = awaitCredentials();
        handshakeToken.set(credentials.token());
        return credentials;
    }

    AccessToken takeHandshakeToken() {
        AccessToken token = handshakeToken.get();
        handshakeToken.remove();
        return token;
    }

    void register(ReauthenticatingConnection connection) {
        connections.add(connection);
    }

    void unregister(ReauthenticatingConnection connection) {
        connections.remove(connection);
    }

    /** Open connections this client tracks (for tests and diagnostics). */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Open connections whose last authentication used a token that has expired: always 0 while re-authentication
     * keeps up (for tests and health checks).
     */
    public long connectionsOnExpiredTokens() {
        Instant now = Instant.now();
        return connections.stream()
                .map(ReauthenticatingConnection::authenticatedWith)
                .filter(t -> t != null && t.isExpiredAt(now))
                .count();
    }

    /**
     * Re-authenticates a connection the caller holds exclusively, if its token is not the current one.
     *
     * @throws RuntimeException when {@code AUTH} failed (the pool then discards the connection)
     */
    void refreshIfStale(ReauthenticatingConnection connection) {
        AccessToken token =
                refresher.current().filter(t -> !t.isExpiredAt(Instant.now())).orElse(null);
        if (token == null || connection.isAuthenticatedWith(token)) {
            // No valid token (renewal failing past expiry): keep the connection as it is rather than fail every
            // borrow; the server decides whether its authentication still holds.
            return;
        }
        JedisCredentials credentials = new JedisCredentials(usernames.apply(token), token);
        try {
            connection.reauthenticate(credentials);
        } catch (RuntimeException e) {
            failed(connection, e);
            throw e;
        }
        succeeded(connection, credentials.token());
    }

    void succeeded(ReauthenticatingConnection connection, AccessToken token) {
        try {
            listener.onReauthenticated(connection.toIdentityString(), token.fingerprint());
        } catch (RuntimeException e) {
            log.warn("ReauthenticationListener threw; ignoring: {}", e.toString());
        }
    }

    void failed(ReauthenticatingConnection connection, Throwable cause) {
        try {
            listener.onReauthenticationFailed(connection.toIdentityString(), cause);
        } catch (RuntimeException e) {
            log.warn("ReauthenticationListener threw; ignoring: {}", e.toString());
        }
    }

    private void onRenewal() {
        if (closed) {
            return;
        }
        try {
            renewals.execute(this::reauthenticateAll);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private void reauthenticateAll() {
        JedisCredentials credentials;
        try {
            credentials = currentCredentials();
        } catch (RuntimeException e) {
            log.warn("Renewal notified but no valid token: {}", e.getMessage());
            return;
        }
        for (ReauthenticatingConnection connection : connections) {
            if (connection.isSubscribed() && !connection.isAuthenticatedWith(credentials.token())) {
                connection.reauthenticateInBand(credentials);
            }
        }
        for (Pool<Connection> p : pools) {
            if (p.isClosed()) {
                continue;
            }
            try {
                // With testWhileIdle, evict() validates every idle connection; validation re-authenticates stale ones.
                p.evict();
            } catch (Exception e) {
                log.warn(
                        "Could not re-authenticate idle pooled connections now (they will be on borrow): {}",
                        e.toString());
            }
        }
    }

    /** Stops reacting to renewals. Does not close the refresher. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            subscription.close();
        } catch (Exception e) {
            log.warn("Could not unsubscribe from the token refresher: {}", e.toString());
        }
        renewals.shutdownNow();
    }
}
