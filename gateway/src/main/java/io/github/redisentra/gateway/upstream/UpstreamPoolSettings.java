package io.github.redisentra.gateway.upstream;

import java.time.Duration;
import java.util.Objects;

/**
 * The warm pool of pre-authenticated upstream connections ({@code UPSTREAM_POOL_SIZE}, {@code UPSTREAM_POOL_MAX_IDLE},
 * issue #19): see {@link WarmPool}.
 *
 * @param size warm connections kept per upstream endpoint (per node listener in cluster mode), spread over the event
 *     loops; {@code 0}: no pool
 * @param maxIdle how long a warm connection may wait before it is closed and replaced (so the cache's idle timeout
 *     never cuts a connection that is handed out); {@link Duration#ZERO}: no limit
 */
public record UpstreamPoolSettings(int size, Duration maxIdle) {
    /** No pool (the default). */
    public static final UpstreamPoolSettings OFF = new UpstreamPoolSettings(0, Duration.ofMinutes(5));

    public UpstreamPoolSettings {
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0 (0: no pool), got " + size);
        }
        Objects.requireNonNull(maxIdle, "maxIdle");
        if (maxIdle.isNegative()) {
            throw new IllegalArgumentException("maxIdle must be >= 0, got " + maxIdle);
        }
    }

    public boolean enabled() {
        return size > 0;
    }
}
