package io.github.redisentra.gateway.upstream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The schedule of new upstream connections under an {@link UpstreamConnectRate}: a token bucket of {@code burst}
 * connections refilled at {@code perSecond}, kept as one number (the generic cell rate algorithm's theoretical
 * arrival time), so that asking is a few arithmetic operations under a lock and never blocks.
 *
 * <p>{@link #reserve} gives each connect its slot: now while the bucket has room, else the earliest time the rate
 * allows, one interval ({@code 1/perSecond}) after the previous slot. A connect whose slot is further away than the
 * caller may wait is refused and takes no slot. So the connections waiting are at most {@code burst + perSecond x
 * maxWait}: the queue is bounded by the wait bound. Slots are taken in asking order.
 *
 * <p>Pure logic with an injected clock (nanoseconds, as {@link System#nanoTime()}); {@link RateLimitedDialer} does the
 * waiting on the event loop's timer.
 */
public final class ConnectRateLimiter {
    private final UpstreamConnectRate rate;
    private final LongSupplier nanoClock;
    private final long intervalNanos;
    private final long burstToleranceNanos;
    private final LongAdder immediate = new LongAdder();
    private final LongAdder delayed = new LongAdder();
    private final LongAdder refused = new LongAdder();
    final AtomicInteger waiting = new AtomicInteger(); // connects scheduled for a later slot, not yet dialled
    private long theoreticalArrival; // guarded by this; the time the bucket would be full again, minus one interval
    private boolean started; // guarded by this

    public ConnectRateLimiter(UpstreamConnectRate rate, LongSupplier nanoClock) {
        this.rate = rate;
        this.nanoClock = nanoClock;
        this.intervalNanos = rate.unlimited() ? 0 : Math.max(1, 1_000_000_000L / rate.perSecond());
        this.burstToleranceNanos = (rate.burst() - 1) * intervalNanos;
    }

    public UpstreamConnectRate rate() {
        return rate;
    }

    /**
     * Takes the next connect slot if it is at most {@code maxWaitNanos} away.
     *
     * @return how long to wait before connecting (nanoseconds, {@code 0}: now), or {@code -1} when the slot would be
     *     further away than {@code maxWaitNanos} (refused: nothing was taken)
     */
    public long reserve(long maxWaitNanos) {
        if (rate.unlimited()) {
            immediate.increment();
            return 0;
        }
        long wait;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            if (!started || now - theoreticalArrival > 0) {
                theoreticalArrival = now; // idle long enough: the bucket is full
                started = true;
            }
            long slot = theoreticalArrival - burstToleranceNanos;
            wait = slot - now > 0 ? slot - now : 0;
            if (wait > maxWaitNanos) {
                refused.increment();
                return -1;
            }
            theoreticalArrival += intervalNanos;
        }
        (wait == 0 ? immediate : delayed).increment();
        return wait;
    }

    /** Connects allowed at once. */
    public long immediate() {
        return immediate.sum();
    }

    /** Connects that had to wait for their slot. */
    public long delayed() {
        return delayed.sum();
    }

    /** Connects refused because their slot was further away than the connect timeout. */
    public long refused() {
        return refused.sum();
    }

    /** Connects waiting for their slot now (on an event loop's timer). */
    public int waiting() {
        return waiting.get();
    }

    /** Prometheus lines for a limiter: connects by outcome and those waiting now. */
    public String renderMetrics(String prefix) {
        UpstreamConnectRate r = rate;
        String name = prefix + "upstream_connect_rate_total";
        return "# HELP " + name + " New upstream connections by what the connect rate limit"
                + " (UPSTREAM_CONNECT_RATE) did: immediate, delayed (waited for a slot), refused (the wait would"
                + " have exceeded REDIS_CONNECT_TIMEOUT; the client got an error)\n"
                + "# TYPE " + name + " counter\n"
                + name + "{result=\"immediate\"} " + immediate() + "\n"
                + name + "{result=\"delayed\"} " + delayed() + "\n"
                + name + "{result=\"refused\"} " + refused() + "\n"
                + "# HELP " + prefix + "upstream_connect_waiting New upstream connections waiting for a slot under"
                + " the connect rate limit\n"
                + "# TYPE " + prefix + "upstream_connect_waiting gauge\n"
                + prefix + "upstream_connect_waiting " + waiting() + "\n"
                + "# HELP " + prefix + "upstream_connect_rate_limit New upstream connections allowed per second"
                + " (0: unlimited)\n"
                + "# TYPE " + prefix + "upstream_connect_rate_limit gauge\n"
                + prefix + "upstream_connect_rate_limit " + r.perSecond() + "\n";
    }
}
