package io.github.redisentra.spring;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What happened to the application's Entra ID tokens and the connections that carry them, for the health indicator
 * and the Micrometer metrics. Holds counts and instants, never a token. Thread-safe.
 */
public final class RedisEntraStatistics implements TokenListener {
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    private final AtomicLong reauthSucceeded = new AtomicLong();
    private final AtomicLong reauthFailed = new AtomicLong();
    private final List<Consumer<Duration>> acquisitionTimes = new CopyOnWriteArrayList<>();
    private volatile Instant lastRenewal;

    /** New tokens the refresher obtained, the first one included. */
    public long tokens() {
        return tokens.get();
    }

    /** New tokens after the first: the renewals. */
    public long renewals() {
        return Math.max(0, tokens.get() - 1);
    }

    /** Failed attempts to obtain a token, over the process life. */
    public long failedAttempts() {
        return failedAttempts.get();
    }

    /** Connections re-authenticated with a renewed token (as reported by the Redis client). */
    public long reauthenticationsSucceeded() {
        return reauthSucceeded.get();
    }

    /** Re-authentications the server or the client refused. */
    public long reauthenticationsFailed() {
        return reauthFailed.get();
    }

    /** When the last new token arrived, or {@code null}. */
    public Instant lastRenewal() {
        return lastRenewal;
    }

    @Override
    public void onToken(AccessToken token) {
        tokens.incrementAndGet();
        lastRenewal = Instant.now();
    }

    @Override
    public void onRefreshFailure(Throwable error, int consecutiveFailures, Instant nextAttempt) {
        failedAttempts.incrementAndGet();
    }

    void reauthenticated() {
        reauthSucceeded.incrementAndGet();
    }

    void reauthenticationFailed() {
        reauthFailed.incrementAndGet();
    }

    /** Receives the duration of every request to the token source (successful or not). */
    void onAcquisitionTime(Consumer<Duration> sink) {
        acquisitionTimes.add(sink);
    }

    /** {@code source}, timing each request to it into these statistics. */
    TokenSource timing(TokenSource source) {
        return new TimedTokenSource(source);
    }

    private final class TimedTokenSource implements TokenSource {
        private final TokenSource delegate;

        TimedTokenSource(TokenSource delegate) {
            this.delegate = delegate;
        }

        @Override
        public AccessToken getToken(boolean forceRefresh) throws Exception {
            long start = System.nanoTime();
            try {
                return delegate.getToken(forceRefresh);
            } finally {
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                for (Consumer<Duration> sink : acquisitionTimes) {
                    sink.accept(took);
                }
            }
        }

        @Override
        public String redisUsername(AccessToken token) {
            return delegate.redisUsername(token);
        }

        @Override
        public String describe() {
            return delegate.describe();
        }

        @Override
        public void close() {
            // The source is a bean of its own; the context closes it.
        }

        @Override
        public String toString() {
            return delegate.toString();
        }
    }
}
