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

    /**
     * One line for an error message when a connection found no valid token: whether there ever was one, how many
     * attempts failed and the last failure, and when the next attempt is. Holds no secret.
     */
    public String summary() {
        StringBuilder sb = new StringBuilder(
                tokenExpiry == null ? "no token has been obtained yet" : "the last token expired at " + tokenExpiry);
        if (consecutiveFailures > 0) {
            sb.append("; ")
                    .append(consecutiveFailures)
                    .append(consecutiveFailures == 1 ? " attempt" : " attempts in a row")
                    .append(" failed, the last with: ")
                    .append(lastFailureMessage);
        } else if (tokenExpiry == null) {
            sb.append("; the first request has not answered yet");
        }
        if (nextAttempt != null) {
            sb.append("; next attempt at ").append(nextAttempt);
        }
        return sb.toString();
    }

    /** Whether a token is held and it is not expired at {@code now}. */
    public boolean hasValidToken(Instant now) {
        return tokenExpiry != null && now.isBefore(tokenExpiry);
    }
}
