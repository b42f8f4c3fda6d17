package io.github.redisentra.spring;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.ClientCredentialSettings;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.redisson.config.Config;
import org.redisson.config.Credentials;
import org.redisson.config.CredentialsResolver;
import org.redisson.config.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redisson {@link CredentialsResolver} that sends Entra ID access tokens from a core {@link TokenRefresher} as the
 * Redis password, and makes Redisson {@code AUTH} its open connections again at each renewal.
 *
 * <ul>
 *   <li>{@link #resolve(InetSocketAddress)} (a new connection, a reconnect, a re-AUTH) answers from memory with the
 *       current token as a completed stage. Before the first token, or while the current one has expired (renewal
 *       failing), it returns a stage that completes with the next valid token, at most {@link Builder#tokenWait}
 *       later: it never blocks a thread, Netty's included.
 *   <li>{@link #nextRenewal()} completes when a new token is current (Redisson 3.52+ / 4.x): every open connection then
 *       sends {@code AUTH} with it, pub/sub connections included on RESP3. A connection inside a blocking command
 *       ({@code BLPOP} and kin) is reconnected instead, by Redisson's design.
 *   <li>A second, late {@code AUTH} round follows each renewal, halfway between the renewal and the expiry of the
 *       token it replaced. Redisson asks for {@code nextRenewal()} only once a connection is set up ({@code AUTH},
 *       {@code HELLO}, {@code PING} answered), so a connection that resolved the old token before the renewal and
 *       finished its setup after it would otherwise keep the old token until the server closes it at expiry. The late
 *       round re-AUTHs it in time; for the others it is one extra {@code AUTH} per renewal.
 * </ul>
 *
 * <p>The Redis user name is the configured one, else the token source's ({@link TokenSource#redisUsername}), else the
 * token's {@code oid} claim (what Azure Cache for Redis and Azure Managed Redis expect).
 *
 * <pre>{@code
 * RedissonEntraCredentialsResolver credentials = RedissonEntraCredentialsResolver.builder(refresher).build();
 * Config config = new Config();
 * config.useSingleServer().setAddress("rediss://cache.redis.azure.net:6380");
 * credentials.applyTo(config); // the resolver and RESP3
 * RedissonClient redisson = Redisson.create(config);
 * }</pre>
 *
 * <p>Does not close the refresher. Thread-safe.
 */
public final class RedissonEntraCredentialsResolver implements CredentialsResolver, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedissonEntraCredentialsResolver.class);

    private final TokenRefresher refresher;
    private final Function<AccessToken, String> usernames;
    private final Duration tokenWait;
    private final Object lock = new Object();
    private final AutoCloseable subscription;
    // The newest token heard of, its fingerprint, and the stage completed at the next renewal; guarded by lock.
    private AccessToken latest;
    private CompletableFuture<Void> renewal = new CompletableFuture<>();
    private CompletableFuture<AccessToken> nextValid = new CompletableFuture<>();
    private boolean closed;

    private RedissonEntraCredentialsResolver(Builder builder) {
        this.refresher = builder.refresher;
        this.tokenWait = builder.credentials.tokenWait();
        Function<AccessToken, String> names = builder.credentials.usernames();
        this.usernames = token -> {
            String name = names.apply(token);
            if (name == null) {
                throw new IllegalStateException("token " + token + " has no oid claim to use as the Redis user name;"
                        + " configure the user name explicitly");
            }
            return name;
        };
        refresher.current().ifPresent(this::onToken);
        this.subscription = refresher.subscribe(new TokenListener() {
            @Override
            public void onToken(AccessToken token) {
                RedissonEntraCredentialsResolver.this.onToken(token);
            }
        });
        refresher.firstToken().thenAccept(this::onToken);
    }

    /** Starts building a resolver on {@code refresher}; the resolver will not close it. */
    public static Builder builder(TokenRefresher refresher) {
        return new Builder(refresher);
    }

    @Override
    public CompletionStage<Credentials> resolve(InetSocketAddress address) {
        AccessToken token;
        CompletableFuture<AccessToken> waiting;
        synchronized (lock) {
            token = latest;
            waiting = nextValid;
        }
        if (token != null && !token.isExpiredAt(Instant.now())) {
            return CompletableFuture.completedFuture(credentialsFor(token));
        }
        // No valid token yet: wait for the next one without holding a thread, at most tokenWait.
        return waiting.copy()
                .orTimeout(tokenWait.toMillis(), TimeUnit.MILLISECONDS)
                .handle((t, e) -> {
                    if (e != null) {
                        throw new IllegalStateException("No valid Entra ID token for Redis connection to " + address
                                + " within " + tokenWait + " (tokenWait); refresher status: "
                                + refresher.status().summary()
                                + ". Check the token source's settings and log, and that the identity provider is"
                                + " reachable.");
                    }
                    return credentialsFor(t);
                });
    }

    /** Completes when a renewed token is current; a new stage is handed out after each renewal. */
    @Override
    public CompletionStage<Void> nextRenewal() {
        synchronized (lock) {
            return renewal;
        }
    }

    /**
     * Sets this resolver on {@code config}, and RESP3 (on RESP2 Redis refuses {@code AUTH} on a subscribed connection,
     * so Redisson's pub/sub connections could not be re-authenticated). Also wraps {@code config}'s Netty hook so that
     * Redisson's pub/sub decoder gets whole RESP frames and no message ahead of a pending reply: Redisson 4.7.0 drops
     * messages that arrive around the reply to a re-AUTH ({@link RedissonPubSubFraming} says how). Returns
     * {@code config}.
     */
    public Config applyTo(Config config) {
        return applyTo(config, Protocol.RESP3);
    }

    /** Sets this resolver and {@code protocol} on {@code config}; returns {@code config}. */
    public Config applyTo(Config config, Protocol protocol) {
        if (protocol == Protocol.RESP2) {
            log.warn("redis.entra with Redisson on RESP2: subscribed (pub/sub) connections cannot AUTH again; they"
                    + " are dropped when their token expires. Use RESP3 unless the server lacks it.");
        }
        RedissonPubSubFraming.installOn(config);
        return config.setCredentialsResolver(this).setProtocol(protocol);
    }

    /** Stops listening to the refresher (open connections keep their current authentication). Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            subscription.close();
        } catch (Exception e) {
            log.warn("Could not unsubscribe from the token refresher: {}", e.toString());
        }
    }

    @Override
    public String toString() {
        AccessToken token;
        synchronized (lock) {
            token = latest;
        }
        return "RedissonEntraCredentialsResolver[token=" + (token == null ? "none" : token) + "]";
    }

    private void onToken(AccessToken token) {
        if (token == null) {
            return;
        }
        CompletableFuture<Void> renewed;
        CompletableFuture<AccessToken> waiters;
        CompletableFuture<Void> lateRound = null;
        AccessToken previous;
        synchronized (lock) {
            if (closed || (latest != null && latest.fingerprint().equals(token.fingerprint()))) {
                return;
            }
            previous = latest;
            latest = token;
            waiters = nextValid;
            nextValid = new CompletableFuture<>();
            // The first token is no renewal: whoever holds the current stage keeps waiting for the next token.
            renewed = renewal;
            if (previous != null) {
                lateRound = new CompletableFuture<>();
                renewal = lateRound;
            }
        }
        // Outside the lock: these run Redisson's continuations (an AUTH write per open connection, no blocking).
        waiters.complete(token);
        if (previous != null) {
            log.debug("New credentials for Redisson connections: {}", token);
            renewed.complete(null);
            scheduleLateRound(lateRound, previous);
        }
    }

    /**
     * Completes {@code lateRound} (the stage handed out since the renewal) halfway to the replaced token's expiry, then
     * hands out a fresh stage for the next renewal. If the next renewal comes first, it completes the stage itself.
     */
    private void scheduleLateRound(CompletableFuture<Void> lateRound, AccessToken replaced) {
        long left = Duration.between(Instant.now(), replaced.expiresAt()).toMillis();
        Executor later = CompletableFuture.delayedExecutor(Math.max(0, left / 2), TimeUnit.MILLISECONDS);
        later.execute(() -> {
            synchronized (lock) {
                if (renewal == lateRound) {
                    renewal = new CompletableFuture<>();
                }
            }
            lateRound.complete(null);
        });
    }

    private Credentials credentialsFor(AccessToken token) {
        return new Credentials(usernames.apply(token), token.secret());
    }

    /** Builds a {@link RedissonEntraCredentialsResolver}. */
    public static final class Builder {
        private final TokenRefresher refresher;
        private final ClientCredentialSettings credentials = new ClientCredentialSettings(Duration.ofSeconds(60));

        private Builder(TokenRefresher refresher) {
            this.refresher = Objects.requireNonNull(refresher, "refresher");
        }

        /** The Redis user name to send with every token. Default: from the token source, else the token's oid. */
        public Builder username(String username) {
            credentials.username(username);
            return this;
        }

        /** Takes the Redis user name from {@code source} ({@link TokenSource#redisUsername(AccessToken)}). */
        public Builder usernameFrom(TokenSource source) {
            credentials.usernameFrom(source);
            return this;
        }

        /** How long a connection waits for a valid token before failing; zero fails at once (default 60 s). */
        public Builder tokenWait(Duration tokenWait) {
            credentials.tokenWait(tokenWait);
            return this;
        }

        public RedissonEntraCredentialsResolver build() {
            return new RedissonEntraCredentialsResolver(this);
        }
    }
}
