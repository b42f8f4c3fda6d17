package io.github.redisentra.core;

import java.time.Instant;

/**
 * A snapshot of a {@link TokenRefresher}'s state, for health endpoints and logs. Holds no secret.
 *
 * @param tokenExpiry expiry of the current token, or {@code null} before the first token
 * @param lastSuccess when the last new token arrived, or {@code null} before the first token
 * @param consecutiveFailures failed attempts since the last new token (0 when the last attempt succeeded)
 * @param lastFailureMessage why the last attempt failed, or {@code null} when it succeeded; never contains a token
 * @param nextAttempt when the next attempt is scheduled, or {@code null} while one is running or after close
 */
public record RefreshStatus(
        Instant tokenExpiry,
        Instant lastSuccess,
        int consecutiveFailures,
        String lastFailureMessage,
        Instant nextAttempt) {

    /** Whether a token is held and it is not expired at {@code now}. */
    public boolean hasValidToken(Instant now) {
        return tokenExpiry != null && now.isBefore(tokenExpiry);
    }
}
