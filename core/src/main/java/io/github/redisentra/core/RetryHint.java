package io.github.redisentra.core;

import com.microsoft.aad.msal4j.MsalThrottlingException;
import java.time.Duration;
import java.util.Optional;

/**
 * Recognizes a failure that sent no request because the client library throttles itself, and how long it asks to
 * wait. MSAL4J (used directly and inside azure-identity) throttles a public client for the server's
 * {@code Retry-After}, or 5 s after a 429 or 5xx answer without one, and throws {@link MsalThrottlingException} with
 * the time left; it may arrive wrapped by the source, so the cause chain is searched.
 */
final class RetryHint {
    /** Never retry sooner than this, even if the throttle claims it is (almost) over. */
    private static final Duration FLOOR = Duration.ofMillis(100);
    /** MSAL4J's own ceiling for a throttle. */
    private static final Duration CEILING = Duration.ofHours(1);

    private RetryHint() {}

    /** How long to wait before the next attempt, when {@code error} is client-side throttling. */
    static Optional<Duration> of(Throwable error) {
        Throwable t = error;
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (t instanceof MsalThrottlingException throttled) {
                Duration d = Duration.ofMillis(throttled.retryInMs());
                return Optional.of(d.compareTo(FLOOR) < 0 ? FLOOR : d.compareTo(CEILING) > 0 ? CEILING : d);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return Optional.empty();
    }
}
