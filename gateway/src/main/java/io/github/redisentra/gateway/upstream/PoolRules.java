package io.github.redisentra.gateway.upstream;

import io.github.redisentra.core.AccessToken;
import java.time.Duration;
import java.time.Instant;

/**
 * The warm pool's decisions, as pure functions of times and tokens (unit-tested without sockets): how many warm
 * connections each event loop keeps, whether a warm connection may still be handed out, whether a token is worth
 * dialling with, and how long to wait after failed fills.
 */
final class PoolRules {
    /** Why a warm connection is not handed out (and is closed); {@link #USABLE} when it may be. */
    enum Verdict {
        USABLE,
        /** The identity's token was renewed since this connection's AUTH: a session would re-AUTH at once. */
        RENEWED,
        /** Its authentication ends within the re-AUTH margin: a session's guard would fail it. */
        EXPIRING,
        /** It waited longer than the idle limit (the cache's idle timeout must never cut a taken connection). */
        IDLE;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    static final Duration MIN_RETRY = Duration.ofMillis(250);
    static final Duration MAX_RETRY = Duration.ofSeconds(30);

    private PoolRules() {}

    /** Warm connections kept by loop {@code index} of {@code loops} for a pool of {@code size}: an even spread. */
    static int share(int size, int loops, int index) {
        if (loops <= 0 || index < 0 || index >= loops) {
            throw new IllegalArgumentException("index " + index + " of " + loops + " loops");
        }
        return size / loops + (index < size % loops ? 1 : 0);
    }

    /**
     * Whether a warm connection the cache acknowledged {@code AUTH} with {@code authToken} on, authenticated until
     * {@code authenticatedUntil} and idle since {@code idleSince}, may be handed out at {@code now}, when the
     * identity's token is {@code current} ({@code null}: none).
     */
    static Verdict check(
            AccessToken authToken,
            Instant authenticatedUntil,
            Instant idleSince,
            AccessToken current,
            Instant now,
            Duration margin,
            Duration maxIdle) {
        if (current != null && !current.equals(authToken)) {
            return Verdict.RENEWED;
        }
        if (!now.isBefore(authenticatedUntil.minus(margin))) {
            return Verdict.EXPIRING;
        }
        if (!maxIdle.isZero() && !now.isBefore(idleSince.plus(maxIdle))) {
            return Verdict.IDLE;
        }
        return Verdict.USABLE;
    }

    /** Whether a new warm connection is worth opening with {@code token} (it would not be expiring at once). */
    static boolean worthDialling(AccessToken token, Instant now, Duration margin) {
        return token != null && now.isBefore(token.expiresAt().minus(margin));
    }

    /** The wait before the next fill after {@code failures} consecutive failed ones (doubling, 250 ms to 30 s). */
    static Duration retryAfter(int failures) {
        int doublings = Math.max(0, Math.min(failures - 1, 7));
        Duration d = MIN_RETRY.multipliedBy(1L << doublings);
        return d.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : d;
    }

    /** How often a loop's warm connections are checked (idle limit, expiry): a quarter of the idle limit, 1-30 s. */
    static Duration sweepPeriod(Duration maxIdle, Duration margin) {
        Duration d = maxIdle.isZero() ? MAX_RETRY : maxIdle.dividedBy(4);
        Duration min = Duration.ofSeconds(1).compareTo(margin) < 0 ? Duration.ofSeconds(1) : margin;
        if (d.compareTo(min) < 0) {
            d = min;
        }
        return d.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : d;
    }
}
