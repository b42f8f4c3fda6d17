package io.github.redisentra.core;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * The timing half of {@link TokenRefresher}: when a new token is renewed and how long to wait after a failed attempt,
 * following a {@link RefreshPolicy}. Holds no state but the randomness for jitter; thread-safe (the random generator is
 * only used under this object's lock).
 */
final class RefreshTiming {
    /** Added at random to a throttle's retry hint, so a fleet released by the same throttle does not retry in step. */
    private static final Duration THROTTLE_JITTER = Duration.ofMillis(100);

    private final RefreshPolicy policy;
    private final RandomGenerator random;

    RefreshTiming(RefreshPolicy policy, RandomGenerator random) {
        this.policy = policy;
        this.random = random;
    }

    /**
     * When to renew {@code token}, obtained by a request started at {@code started} and finished at {@code now}.
     */
    Instant renewalTime(AccessToken token, Instant started, Instant now) {
        Instant exp = token.expiresAt();
        Instant iat = token.issuedAt().filter(i -> i.isBefore(exp)).orElse(started);
        Duration lifetime = Duration.between(iat, exp);
        Instant target;
        if (lifetime.isNegative() || lifetime.isZero()) {
            target = now;
        } else {
            Duration offset = Duration.ofNanos((long) (lifetime.toNanos() * policy.refreshRatio()));
            Duration beforeBound = lifetime.minus(policy.lowerBound());
            // The lower bound only applies when the token lives longer than it; otherwise the ratio decides.
            if (!policy.lowerBound().isZero()
                    && beforeBound.compareTo(Duration.ZERO) > 0
                    && beforeBound.compareTo(offset) < 0) {
                offset = beforeBound;
            }
            Instant byIssuerClock = iat.plus(offset);
            // If this host's clock runs behind the issuer's, iat lies in our future: anchor to the request instead.
            Instant byLocalClock = started.plus(offset);
            target = byIssuerClock.isBefore(byLocalClock) ? byIssuerClock : byLocalClock;
        }
        Duration delay = Duration.between(now, target);
        Duration maxJitter = policy.maxJitter(delay);
        delay = delay.minusNanos((long) (maxJitter.toNanos() * nextDouble()));
        if (delay.compareTo(policy.minimumDelay()) < 0) {
            delay = policy.minimumDelay();
        }
        return now.plus(delay);
    }

    /** The wait after a client-side throttle ({@code hint}: when it allows a request again), plus a little jitter. */
    Duration throttledDelay(Duration hint) {
        return hint.plusNanos((long) (THROTTLE_JITTER.toNanos() * nextDouble()));
    }

    /**
     * The wait after the {@code backoffFailures}-th failure in a row that sent a request.
     *
     * @param sameToken the source answered with the token already held (a cache that cannot be bypassed)
     * @param held the token held when the attempt started; {@code null} when there has never been one
     * @param now when the attempt ended
     */
    Duration backoffDelay(int backoffFailures, boolean sameToken, AccessToken held, Instant now) {
        Duration ceiling = policy.backoffCeiling(backoffFailures);
        Duration delay = ceiling.dividedBy(2).plusNanos((long) (ceiling.toNanos() / 2.0 * nextDouble()));
        if (sameToken && delay.compareTo(policy.minimumDelay()) < 0) {
            return policy.minimumDelay();
        }
        // With a token that has expired (or would before the backoff ends) nothing valid is served meanwhile: retry
        // soon, still one request at a time and jittered. Without any token ever (a wrong setting, an identity
        // provider down since start) the backoff grows as usual: connection attempts fail after their token wait.
        if (!sameToken
                && held != null
                && !held.expiresAt().isAfter(now.plus(delay).plus(policy.expiringBackoff()))) {
            Duration base = policy.expiringBackoff();
            return base.plusNanos((long) (base.toNanos() / 2.0 * nextDouble()));
        }
        return delay;
    }

    private synchronized double nextDouble() {
        return random.nextDouble();
    }
}
