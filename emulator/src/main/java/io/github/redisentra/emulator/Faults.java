package io.github.redisentra.emulator;

import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Fault injection for tests: outages, latency, throttling and clock skew. All settings apply immediately to
 * the next request and can be changed at any time from any thread.
 */
public final class Faults {
    /** How an outage shows itself to a client. */
    public enum OutageMode {
        /** HTTP 503 with an Entra-shaped error body (temporarily_unavailable). */
        HTTP_503,
        /** The connection is closed without any response. */
        CONNECTION_DROP
    }

    private final Map<Endpoint, OutageMode> outages = new EnumMap<>(Endpoint.class);
    private final Map<Endpoint, Duration> latencies = new EnumMap<>(Endpoint.class);
    private final Set<Endpoint> throttled = EnumSet.noneOf(Endpoint.class);
    private Duration retryAfter = Duration.ofSeconds(1);
    private Duration clockSkew = Duration.ZERO;

    Faults() {}

    /** Turns an outage (HTTP 503) of {@code endpoint} on or off. */
    public Faults outage(Endpoint endpoint, boolean on) {
        return outage(endpoint, on ? OutageMode.HTTP_503 : null);
    }

    /** Turns an outage of {@code endpoint} on in the given mode, or off when {@code mode} is null. */
    public synchronized Faults outage(Endpoint endpoint, OutageMode mode) {
        Objects.requireNonNull(endpoint, "endpoint");
        if (mode == null) {
            outages.remove(endpoint);
        } else {
            outages.put(endpoint, mode);
        }
        return this;
    }

    /** Delays every response of {@code endpoint} by {@code delay} ({@link Duration#ZERO} removes it). */
    public synchronized Faults latency(Endpoint endpoint, Duration delay) {
        Objects.requireNonNull(endpoint, "endpoint");
        if (delay == null || delay.isZero() || delay.isNegative()) {
            latencies.remove(endpoint);
        } else {
            latencies.put(endpoint, delay);
        }
        return this;
    }

    /** Answers every request of {@code endpoint} with 429 and {@code Retry-After} while on. */
    public synchronized Faults throttle(Endpoint endpoint, boolean on) {
        Objects.requireNonNull(endpoint, "endpoint");
        if (on) {
            throttled.add(endpoint);
        } else {
            throttled.remove(endpoint);
        }
        return this;
    }

    /** The {@code Retry-After} a throttled endpoint sends (whole seconds, at least 1; default 1 s). */
    public synchronized Faults retryAfter(Duration retryAfter) {
        if (retryAfter == null || retryAfter.toSeconds() < 1) {
            throw new IllegalArgumentException("retryAfter must be at least 1 second, got " + retryAfter);
        }
        this.retryAfter = retryAfter;
        return this;
    }

    /**
     * Shifts iat/nbf/exp of every token issued from now on by {@code skew} (negative: tokens look as if
     * issued by a clock that is behind).
     */
    public synchronized Faults clockSkew(Duration skew) {
        this.clockSkew = skew == null ? Duration.ZERO : skew;
        return this;
    }

    /** Removes every fault. */
    public synchronized Faults reset() {
        outages.clear();
        latencies.clear();
        throttled.clear();
        retryAfter = Duration.ofSeconds(1);
        clockSkew = Duration.ZERO;
        return this;
    }

    public synchronized OutageMode outageOf(Endpoint endpoint) {
        return outages.get(endpoint);
    }

    public synchronized Duration latencyOf(Endpoint endpoint) {
        return latencies.getOrDefault(endpoint, Duration.ZERO);
    }

    public synchronized boolean isThrottled(Endpoint endpoint) {
        return throttled.contains(endpoint);
    }

    public synchronized Duration retryAfter() {
        return retryAfter;
    }

    public synchronized Duration clockSkew() {
        return clockSkew;
    }
}
