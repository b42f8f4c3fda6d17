package io.github.redisentra.core;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of one {@link TokenRefresher}, each isolated: an exception thrown by one is logged and reaches no
 * other listener. Ordering (one notification at a time) is the refresher's business.
 */
final class ListenerSet {
    private static final Logger log = LoggerFactory.getLogger(TokenRefresher.class);

    private final String name;
    private final List<Registration> registrations = new CopyOnWriteArrayList<>();

    /** {@code name}: the refresher's name, for logs. */
    ListenerSet(String name) {
        this.name = name;
    }

    /** Registers {@code listener}; the same listener may be registered twice and removed independently. */
    Registration add(TokenListener listener) {
        Registration r = new Registration(listener);
        registrations.add(r);
        return r;
    }

    void deliver(AccessToken token) {
        for (Registration r : registrations) {
            r.deliver(token);
        }
    }

    void fail(Throwable error, int failures, Instant next) {
        for (Registration r : registrations) {
            r.fail(error, failures, next);
        }
    }

    void clear() {
        registrations.clear();
    }

    /** One registration of a listener; closing it removes it (idempotent). */
    final class Registration implements AutoCloseable {
        private final TokenListener listener;

        private Registration(TokenListener listener) {
            this.listener = listener;
        }

        void deliver(AccessToken token) {
            try {
                listener.onToken(token);
            } catch (RuntimeException e) {
                log.warn(
                        "token refresher {}: listener {} threw on a new token; other listeners and the schedule are unaffected",
                        name,
                        listener,
                        e);
            }
        }

        void fail(Throwable error, int failures, Instant next) {
            try {
                listener.onRefreshFailure(error, failures, next);
            } catch (RuntimeException e) {
                log.warn("token refresher {}: listener {} threw on a failure report", name, listener, e);
            }
        }

        @Override
        public void close() {
            registrations.remove(this);
        }
    }
}
