package io.github.redisentra.core;

import java.time.Instant;

/**
 * Receives renewed tokens from a {@link TokenRefresher}. Each listener is isolated: an exception it throws is
 * logged and affects neither other listeners nor the refresh schedule.
 */
public interface TokenListener {

    /** A new token is current. Called on the refresher's notification thread; do not block. */
    void onToken(AccessToken token);

    /**
     * A renewal attempt failed; the refresher keeps the current token (while valid) and retries at
     * {@code nextAttempt}.
     */
    default void onRefreshFailure(Throwable error, int consecutiveFailures, Instant nextAttempt) {}
}
