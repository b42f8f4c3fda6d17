package io.github.redisentra.core;

import java.time.Duration;
import java.util.Objects;

/**
 * When a {@link TokenRefresher} renews a token and how it retries after a failure. Immutable; build with
 * {@link #builder()} or take {@link #defaults()}.
 *
 * <p>A renewal is due at the earlier of
 *
 * <ul>
 *   <li>{@link Builder#refreshRatio(double) refreshRatio} of the token's lifetime, measured from the token's own
 *       issue time ({@code iat}; the time it was obtained when the token does not say), and
 *   <li>{@link Builder#lowerBound(Duration) lowerBound} before the token expires &mdash; applied only when the
 *       lower bound is shorter than the token's lifetime, so a 20-second token with a 3-minute bound renews at
 *       the ratio, not immediately and again and again.
 * </ul>
 *
 * The due time is then moved earlier by a random amount (jitter, so a fleet of processes does not renew in
 * step) and is never closer than {@link Builder#minimumDelay(Duration) minimumDelay} to the previous renewal, so
 * a token served from a cache, or one whose clock is skewed, can never make the refresher loop.
 *
 * <p>After a failure the refresher retries with exponential backoff: the n-th consecutive failure waits a random
 * time between half and all of {@code min(maxBackoff, initialBackoff × 2^(n-1))}. It never gives up. Two exceptions:
 *
 * <ul>
 *   <li>When the current token has expired, or would expire before that backoff ends (or within
 *       {@link Builder#expiringBackoff(Duration) expiringBackoff} after it), waiting long gains nothing: the delay is a
 *       random time between {@code expiringBackoff} and 1.5 × {@code expiringBackoff} instead (default 2&ndash;3 s: at
 *       most one request per 2 s per refresher, and a recovered identity provider is used within seconds). Before
 *       the first token there is nothing to keep valid: failures back off exponentially up to {@code maxBackoff}, so a
 *       process that cannot sign in at all (a wrong client id, an identity provider down since start) settles at one
 *       request every 30&ndash;60 s by default.
 *   <li>When the source was throttled on the client side (MSAL4J's {@code MsalThrottlingException}: no request was
 *       sent), the next attempt is at the time the throttle allows, and the backoff does not grow.
 * </ul>
 *
 * <p>A request to the source that has not answered after {@link Builder#requestTimeout(Duration) requestTimeout} is
 * abandoned (its thread interrupted) and counts as a failure, so a hung call cannot stall renewal.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>Setting</th><th>Default</th></tr>
 *   <tr><td>refreshRatio</td><td>0.75</td></tr>
 *   <tr><td>lowerBound</td><td>3 minutes (Microsoft's guidance for Azure caches)</td></tr>
 *   <tr><td>minimumDelay</td><td>10 seconds</td></tr>
 *   <tr><td>jitter</td><td>up to 5 % of the delay ({@code jitterRatio(0.05)})</td></tr>
 *   <tr><td>initialBackoff</td><td>1 second</td></tr>
 *   <tr><td>maxBackoff</td><td>60 seconds</td></tr>
 *   <tr><td>expiringBackoff</td><td>2 seconds</td></tr>
 *   <tr><td>requestTimeout</td><td>30 seconds</td></tr>
 * </table>
 */
public final class RefreshPolicy {
    private static final RefreshPolicy DEFAULTS = builder().build();

    private final double refreshRatio;
    private final Duration lowerBound;
    private final Duration minimumDelay;
    private final Duration jitter;
    private final double jitterRatio;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration expiringBackoff;
    private final Duration requestTimeout;

    private RefreshPolicy(Builder b) {
        this.refreshRatio = b.refreshRatio;
        this.lowerBound = b.lowerBound;
        this.minimumDelay = b.minimumDelay;
        this.jitter = b.jitter;
        this.jitterRatio = b.jitterRatio;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.expiringBackoff = b.expiringBackoff;
        this.requestTimeout = b.requestTimeout;
    }

    /** The documented defaults (see the class description). */
    public static RefreshPolicy defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this policy's settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.refreshRatio = refreshRatio;
        b.lowerBound = lowerBound;
        b.minimumDelay = minimumDelay;
        b.jitter = jitter;
        b.jitterRatio = jitterRatio;
        b.initialBackoff = initialBackoff;
        b.maxBackoff = maxBackoff;
        b.expiringBackoff = expiringBackoff;
        b.requestTimeout = requestTimeout;
        return b;
    }

    /** Fraction of the token's lifetime after which it is renewed. */
    public double refreshRatio() {
        return refreshRatio;
    }

    /** Renew no later than this long before expiry (when the token lives longer than this). */
    public Duration lowerBound() {
        return lowerBound;
    }

    /** The shortest time between one renewal and the next. */
    public Duration minimumDelay() {
        return minimumDelay;
    }

    /**
     * The longest random amount a renewal is moved earlier; {@code null} when jitter is a ratio of the delay
     * ({@link #jitterRatio()}).
     */
    public Duration jitter() {
        return jitter;
    }

    /** Jitter as a fraction of the delay until renewal; used when {@link #jitter()} is {@code null}. */
    public double jitterRatio() {
        return jitterRatio;
    }

    /** Backoff after the first failure. */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /** Longest backoff between failed attempts. */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /**
     * The shortest retry delay once the current token has expired or is about to; the delay is random between this
     * and 1.5 times this.
     */
    public Duration expiringBackoff() {
        return expiringBackoff;
    }

    /** How long one request to the token source may take before it is abandoned and counted as a failure. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** The largest amount of jitter for a renewal due {@code delay} from now: never more than half the delay. */
    Duration maxJitter(Duration delay) {
        if (delay.isNegative() || delay.isZero()) {
            return Duration.ZERO;
        }
        Duration half = delay.dividedBy(2);
        Duration j = jitter != null ? jitter : Duration.ofNanos((long) (delay.toNanos() * jitterRatio));
        return j.compareTo(half) > 0 ? half : j;
    }

    /** The upper end of the backoff after {@code consecutiveFailures} (≥ 1) failures in a row. */
    Duration backoffCeiling(int consecutiveFailures) {
        int doublings = Math.min(Math.max(consecutiveFailures - 1, 0), 40);
        Duration d = initialBackoff;
        for (int i = 0; i < doublings && d.compareTo(maxBackoff) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RefreshPolicy p
                && p.refreshRatio == refreshRatio
                && p.lowerBound.equals(lowerBound)
                && p.minimumDelay.equals(minimumDelay)
                && Objects.equals(p.jitter, jitter)
                && p.jitterRatio == jitterRatio
                && p.initialBackoff.equals(initialBackoff)
                && p.maxBackoff.equals(maxBackoff)
                && p.expiringBackoff.equals(expiringBackoff)
                && p.requestTimeout.equals(requestTimeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                refreshRatio,
                lowerBound,
                minimumDelay,
                jitter,
                jitterRatio,
                initialBackoff,
                maxBackoff,
                expiringBackoff,
                requestTimeout);
    }

    @Override
    public String toString() {
        return "RefreshPolicy[refreshRatio=" + refreshRatio + ", lowerBound=" + lowerBound + ", minimumDelay="
                + minimumDelay + ", jitter=" + (jitter != null ? jitter.toString() : "ratio " + jitterRatio)
                + ", initialBackoff=" + initialBackoff + ", maxBackoff=" + maxBackoff + ", expiringBackoff="
                + expiringBackoff + ", requestTimeout=" + requestTimeout + "]";
    }

    /** Builds a {@link RefreshPolicy}; every setting starts at its documented default and is checked on set. */
    public static final class Builder {
        private double refreshRatio = 0.75;
        private Duration lowerBound = Duration.ofMinutes(3);
        private Duration minimumDelay = Duration.ofSeconds(10);
        private Duration jitter = null;
        private double jitterRatio = 0.05;
        private Duration initialBackoff = Duration.ofSeconds(1);
        private Duration maxBackoff = Duration.ofSeconds(60);
        private Duration expiringBackoff = Duration.ofSeconds(2);
        private Duration requestTimeout = Duration.ofSeconds(30);

        private Builder() {}

        /** Fraction of the lifetime (strictly between 0 and 1) after which a token is renewed. Default 0.75. */
        public Builder refreshRatio(double ratio) {
            if (!(ratio > 0.0 && ratio < 1.0)) {
                throw new IllegalArgumentException(
                        "refreshRatio must be greater than 0 and less than 1 (e.g. 0.75), got " + ratio);
            }
            this.refreshRatio = ratio;
            return this;
        }

        /** Renew no later than this long before expiry; zero disables it. Default 3 minutes. */
        public Builder lowerBound(Duration lowerBound) {
            this.lowerBound = nonNegative("lowerBound", lowerBound);
            return this;
        }

        /** The shortest time between renewals (positive). Default 10 seconds. */
        public Builder minimumDelay(Duration minimumDelay) {
            this.minimumDelay = positive("minimumDelay", minimumDelay);
            return this;
        }

        /**
         * Move each renewal earlier by a random amount up to {@code maxJitter} (capped at half the delay); zero
         * disables jitter. Replaces a {@link #jitterRatio(double) ratio}.
         */
        public Builder jitter(Duration maxJitter) {
            this.jitter = nonNegative("jitter", maxJitter);
            return this;
        }

        /**
         * Move each renewal earlier by a random amount up to {@code ratio} of the delay (0 to 0.5). Replaces a
         * {@link #jitter(Duration) fixed jitter}. Default 0.05.
         */
        public Builder jitterRatio(double ratio) {
            if (!(ratio >= 0.0 && ratio <= 0.5)) {
                throw new IllegalArgumentException("jitterRatio must be between 0 and 0.5 (e.g. 0.05), got " + ratio);
            }
            this.jitterRatio = ratio;
            this.jitter = null;
            return this;
        }

        /** Backoff after the first failure (positive). Default 1 second. */
        public Builder initialBackoff(Duration initialBackoff) {
            this.initialBackoff = positive("initialBackoff", initialBackoff);
            return this;
        }

        /** Longest backoff between failed attempts (positive). Default 60 seconds. */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = positive("maxBackoff", maxBackoff);
            return this;
        }

        /**
         * The retry delay once the current token has expired, or would expire before the regular backoff ends (not
         * before the first token): random between this and 1.5 × this (positive). Default 2 seconds, so at most one request per 2 s.
         */
        public Builder expiringBackoff(Duration expiringBackoff) {
            this.expiringBackoff = positive("expiringBackoff", expiringBackoff);
            return this;
        }

        /**
         * How long one request to the token source may take (positive); a request still running then is abandoned,
         * its thread interrupted, and the attempt counts as a failure. Default 30 seconds.
         */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = positive("requestTimeout", requestTimeout);
            return this;
        }

        /**
         * The policy.
         *
         * @throws IllegalArgumentException when maxBackoff is shorter than initialBackoff
         */
        public RefreshPolicy build() {
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("maxBackoff (" + maxBackoff
                        + ") must not be shorter than initialBackoff (" + initialBackoff + ")");
            }
            return new RefreshPolicy(this);
        }

        private static Duration nonNegative(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative, got " + d);
            }
            return d;
        }

        private static Duration positive(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive (e.g. PT10S), got " + d);
            }
            return d;
        }
    }
}
