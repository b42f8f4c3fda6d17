package io.github.redisentra.gateway.logging;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Bounds how many log lines of one kind are written (a token bucket: {@code perSecond} on average, bursts of five
 * seconds' worth), so a client sending refused commands or failed sign-ins in a loop cannot turn each into a log
 * line. What is left out is counted: the next line written carries the count ({@code suppressed=N}), and
 * {@link #suppressedTotal()} feeds {@code log_lines_suppressed_total} in {@code /metrics}. The events themselves
 * (metrics, audit listeners) are never suppressed, only their lines.
 */
public final class LineRateLimiter {
    /** Lines per second per kind when nothing else is configured. */
    public static final int DEFAULT_PER_SECOND = 20;

    private final String kind;
    private final double perNano;
    private final double burst;
    private final LongSupplier nanoTime;
    private final LongAdder suppressedTotal = new LongAdder();
    private double tokens;
    private long last;
    private long suppressedSinceLastLine;

    /** @param perSecond average lines per second; {@code 0} writes every line */
    public LineRateLimiter(String kind, int perSecond) {
        this(kind, perSecond, System::nanoTime);
    }

    /** With a given time source (tests). */
    public LineRateLimiter(String kind, int perSecond, LongSupplier nanoTime) {
        if (perSecond < 0) {
            throw new IllegalArgumentException("perSecond must be >= 0, got " + perSecond);
        }
        this.kind = kind;
        this.perNano = perSecond / 1e9;
        this.burst = perSecond * 5.0;
        this.nanoTime = nanoTime;
        this.tokens = burst;
        this.last = nanoTime.getAsLong();
    }

    /** The kind of line ({@code auth_denied}, {@code command_denied}), as the metrics label it. */
    public String kind() {
        return kind;
    }

    /**
     * Whether a line may be written now: {@code -1} when it must be left out (and is counted), otherwise the number
     * of lines left out since the previous one written (to report on this one).
     */
    public synchronized long acquire() {
        if (perNano == 0) {
            return 0;
        }
        long now = nanoTime.getAsLong();
        tokens = Math.min(burst, tokens + (now - last) * perNano);
        last = now;
        if (tokens < 1) {
            suppressedSinceLastLine++;
            suppressedTotal.increment();
            return -1;
        }
        tokens -= 1;
        long s = suppressedSinceLastLine;
        suppressedSinceLastLine = 0;
        return s;
    }

    /** Lines left out since this limiter was made. */
    public long suppressedTotal() {
        return suppressedTotal.sum();
    }
}
