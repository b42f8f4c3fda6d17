package io.github.redisentra.lettuce;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.ClientCredentialSettings;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.lettuce.internal.LettuceCredentials;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A Lettuce {@link RedisCredentialsProvider} that sends Entra ID access tokens as the Redis password and streams every
 * renewed token to open connections, so Lettuce re-authenticates them (live {@code AUTH}) before the old token
 * expires.
 *
 * <p>Tokens come from a core {@link TokenRefresher}, the one refresh engine of redis-entra: it decides when to renew,
 * retries with backoff and never gives up. This provider only adapts its tokens to Lettuce's credentials SPI:
 *
 * <ul>
 *   <li>{@link #resolveCredentials()} (new connections and reconnects) emits the current token's credentials at once;
 *       before the first token, or after the current one expired, it waits without blocking a thread until the
 *       refresher has a valid token, at most {@link Builder#tokenWait(Duration)}.
 *   <li>{@link #credentials()} is hot: each subscriber first receives the latest valid credentials, then one element
 *       per renewal. It completes when this provider is closed.
 * </ul>
 *
 * <p>The Redis user name is the one {@linkplain Builder#username(String) configured}, otherwise the token's {@code oid}
 * claim (what Azure Cache for Redis and Azure Managed Redis expect), otherwise none ({@code AUTH <token>}, Redis's
 * {@code default} user).
 *
 * <p>Live re-authentication also needs the client configured for it ({@code ReauthenticateBehavior.ON_NEW_CREDENTIALS}
 * and RESP3): use {@link EntraLettuce#clientOptions(io.lettuce.core.ClientOptions)} or {@link EntraLettuce#configure}.
 *
 * <pre>{@code
 * TokenRefresher refresher = TokenRefresher.builder(tokenSource).build();
 * EntraCredentialsProvider credentials = EntraCredentialsProvider.create(refresher);
 * RedisURI uri = RedisURI.builder().withHost("cache.redis.azure.net").withPort(6380).withSsl(true)
 *         .withAuthentication(credentials).build();
 * RedisClient client = EntraLettuce.configure(RedisClient.create(uri));
 * }</pre>
 *
 * <p>A provider built on a refresher the caller supplied does not close that refresher; one created by
 * {@link EntraLettuce#credentialsProvider} owns its refresher and closes it in {@link #close()}. Thread-safe.
 */
public final class EntraCredentialsProvider implements RedisCredentialsProvider, AutoCloseable {

    /** How long {@link #resolveCredentials()} waits for a valid token unless configured otherwise. */
    public static final Duration DEFAULT_TOKEN_WAIT = Duration.ofSeconds(60);

    private static final Logger log = LoggerFactory.getLogger(EntraCredentialsProvider.class);

    private final TokenRefresher refresher;
    private final boolean ownsRefresher;
    private final String username;
    private final Function<AccessToken, String> usernames;
    private final Duration tokenWait;
    // Replays the latest credentials to each new subscriber: a (re)connecting Lettuce connection subscribes after its
    // handshake and must still see the newest token if a renewal happened in between.
    private final Sinks.Many<LettuceCredentials> sink = Sinks.many().replay().latest();
    private final Object lock = new Object();
    private final AutoCloseable subscription;
    private String lastFingerprint; // guarded by lock
    private boolean closed; // guarded by lock

    private EntraCredentialsProvider(Builder builder) {
        this.refresher = builder.refresher;
        this.ownsRefresher = builder.ownsRefresher;
        this.username = builder.credentials.username();
        this.usernames = builder.credentials.usernames();
        this.tokenWait = builder.credentials.tokenWait();
        this.subscription = refresher.subscribe(new TokenListener() {
            @Override
            public void onToken(AccessToken token) {
                publish(token);
            }
        });
        // Whether subscribe() replays the current token is the refresher's business; publishing it here as well
        // costs nothing (duplicates are dropped by fingerprint).
        refresher.current().ifPresent(this::publish);
        refresher.firstToken().thenAccept(this::publish);
    }

    /** A provider for the given refresher, with the user name taken from each token's {@code oid}. */
    public static EntraCredentialsProvider create(TokenRefresher refresher) {
        return builder(refresher).build();
    }

    /** Starts building a provider for the given refresher; the provider will not close the refresher. */
    public static Builder builder(TokenRefresher refresher) {
        return new Builder(refresher);
    }

    @Override
    public Mono<RedisCredentials> resolveCredentials() {
        return Mono.defer(() -> {
            Optional<LettuceCredentials> now = currentCredentials();
            if (now.isPresent()) {
                return Mono.just(now.get());
            }
            if (isClosed()) {
                return Mono.error(
                        new IllegalStateException(
                                "EntraCredentialsProvider is closed; create a new one (or keep it open while its clients are)"));
            }
            return validCredentials()
                    .next()
                    .timeout(tokenWait, Mono.error(this::noTokenError))
                    .cast(RedisCredentials.class);
        });
    }

    /** {@code true}: renewed tokens are streamed through {@link #credentials()}. */
    @Override
    public boolean supportsStreaming() {
        return true;
    }

    @Override
    public Flux<RedisCredentials> credentials() {
        return validCredentials().cast(RedisCredentials.class);
    }

    /**
     * The Redis user name sent with the current token: the configured one, else the token's {@code oid}, else empty
     * (Redis's {@code default} user).
     */
    public Optional<String> currentUsername() {
        return refresher.current().map(this::usernameFor);
    }

    /**
     * Completes the {@link #credentials()} stream (connections keep their current authentication) and stops listening
     * to the refresher; closes the refresher only if this provider owns it. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            sink.tryEmitComplete();
        }
        try {
            subscription.close();
        } catch (Exception e) {
            log.warn("Could not unsubscribe from the token refresher: {}", e.toString());
        }
        if (ownsRefresher) {
            refresher.close();
        }
    }

    @Override
    public String toString() {
        return "EntraCredentialsProvider[user=" + (username == null ? "<token oid>" : username) + ", token="
                + refresher.current().map(AccessToken::toString).orElse("none") + "]";
    }

    private Flux<LettuceCredentials> validCredentials() {
        // A replayed element may have expired while renewal was failing; never AUTH with it.
        return sink.asFlux().filter(c -> isUsable(c.token()));
    }

    private Optional<LettuceCredentials> currentCredentials() {
        return refresher
                .current()
                .filter(EntraCredentialsProvider::isUsable)
                .map(t -> new LettuceCredentials(usernameFor(t), t));
    }

    private void publish(AccessToken token) {
        if (token == null) {
            return;
        }
        synchronized (lock) {
            if (closed || token.fingerprint().equals(lastFingerprint)) {
                return;
            }
            lastFingerprint = token.fingerprint();
            Sinks.EmitResult result = sink.tryEmitNext(new LettuceCredentials(usernameFor(token), token));
            if (result.isFailure()) {
                log.warn("Could not hand token {} to Lettuce connections: {}", token, result);
            } else {
                log.debug("New credentials for Lettuce connections: {}", token);
            }
        }
    }

    private String usernameFor(AccessToken token) {
        return username != null ? username : usernames.apply(token);
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    private static boolean isUsable(AccessToken token) {
        return !token.isExpiredAt(Instant.now());
    }

    private Throwable noTokenError() {
        return new IllegalStateException("No valid Entra ID token for the Redis connection within " + tokenWait
                + " (EntraCredentialsProvider tokenWait); refresher status: "
                + refresher.status().summary()
                + ". Check the token source's settings and log, and that the identity provider is reachable.");
    }

    /** Builds an {@link EntraCredentialsProvider}. */
    public static final class Builder {
        private final TokenRefresher refresher;
        private boolean ownsRefresher;
        private final ClientCredentialSettings credentials = new ClientCredentialSettings(DEFAULT_TOKEN_WAIT);

        private Builder(TokenRefresher refresher) {
            this.refresher = Objects.requireNonNull(refresher, "refresher");
        }

        /**
         * The Redis user name to send with every token. Default: the token's {@code oid} claim, which Azure Cache for
         * Redis expects; set it when the server's ACL user has another name (e.g. a gateway that ignores it).
         */
        public Builder username(String username) {
            credentials.username(username);
            return this;
        }

        /**
         * Takes the Redis user name from {@code source} ({@link TokenSource#redisUsername(AccessToken)}: the user name
         * configured on the source, else the token's {@code oid}) instead of from the token alone. A
         * {@link #username(String)} still wins.
         */
        public Builder usernameFrom(TokenSource source) {
            credentials.usernameFrom(source);
            return this;
        }

        /** How long a connection attempt waits for a valid token before failing; zero fails at once. Default 60 s. */
        public Builder tokenWait(Duration tokenWait) {
            credentials.tokenWait(tokenWait);
            return this;
        }

        Builder ownsRefresher(boolean owns) {
            this.ownsRefresher = owns;
            return this;
        }

        /** Creates the provider; it starts listening to the refresher at once. */
        public EntraCredentialsProvider build() {
            return new EntraCredentialsProvider(this);
        }
    }
}
