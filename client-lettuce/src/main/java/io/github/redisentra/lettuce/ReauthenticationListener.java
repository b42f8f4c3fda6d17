package io.github.redisentra.lettuce;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Told when Lettuce re-authenticated a connection with a renewed token, or failed to. Register one with
 * {@link EntraLettuce#watchReauthentication}. Methods run on a Lettuce I/O thread: do not block in them.
 */
public interface ReauthenticationListener {

    /**
     * A connection sent {@code AUTH} with new credentials and the server accepted it.
     *
     * @param endpointId Lettuce's id of the connection's endpoint (may be {@code null})
     */
    default void onReauthenticated(String endpointId) {}

    /**
     * A connection's {@code AUTH} with new credentials failed, or the credentials stream failed. The connection keeps
     * its previous authentication, which ends when that token expires.
     *
     * @param endpointId Lettuce's id of the connection's endpoint (may be {@code null})
     * @param cause what failed (never contains the token)
     */
    void onReauthenticationFailed(String endpointId, Throwable cause);

    /** A listener that logs failures at WARN (and successes at DEBUG) to {@code io.github.redisentra.lettuce}. */
    static ReauthenticationListener logging() {
        Logger log = LoggerFactory.getLogger("io.github.redisentra.lettuce.Reauthentication");
        return new ReauthenticationListener() {
            @Override
            public void onReauthenticated(String endpointId) {
                log.debug("Connection {} re-authenticated with a renewed token", endpointId);
            }

            @Override
            public void onReauthenticationFailed(String endpointId, Throwable cause) {
                log.warn(
                        "Connection {} could not re-authenticate with a renewed token; it stays authenticated until"
                                + " its previous token expires: {}",
                        endpointId,
                        String.valueOf(cause));
            }
        };
    }
}
