package io.github.redisentra.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Told when a client connection re-authenticated with a renewed token, or failed to: one interface for every client
 * integration (Lettuce's {@code EntraLettuce.watchReauthentication}, Jedis's {@code EntraJedis.Builder.listener}).
 * Methods run on the thread that re-authenticated (a client I/O thread, a borrowing application thread, a pool's
 * evictor): keep them short and do not block. An exception thrown here is logged and otherwise ignored.
 */
public interface ReauthenticationListener {

    /**
     * A connection sent {@code AUTH} with a renewed token and the server accepted it.
     *
     * @param connection the client library's id of the connection (Lettuce: the endpoint id; Jedis: the connection's
     *     identity string); may be {@code null}
     * @param tokenFingerprint the short hash of the token now in use ({@link AccessToken#fingerprint()}), or
     *     {@code null} when the client library does not say which token it sent (Lettuce)
     */
    default void onReauthenticated(String connection, String tokenFingerprint) {}

    /**
     * A connection's {@code AUTH} with a renewed token failed. What happens next depends on the client: a pooled Jedis
     * connection is discarded and replaced; a Lettuce or subscribed connection keeps its previous authentication until
     * that token expires.
     *
     * @param connection the client library's id of the connection; may be {@code null}
     * @param cause what failed (never contains the token)
     */
    void onReauthenticationFailed(String connection, Throwable cause);

    /** A listener that logs failures at WARN and successes at DEBUG to {@code io.github.redisentra.Reauthentication}. */
    static ReauthenticationListener logging() {
        Logger log = LoggerFactory.getLogger("io.github.redisentra.Reauthentication");
        return new ReauthenticationListener() {
            @Override
            public void onReauthenticated(String connection, String tokenFingerprint) {
                log.debug(
                        "Connection {} re-authenticated with a renewed token{}",
                        connection,
                        tokenFingerprint == null ? "" : " (sha256 " + tokenFingerprint + ")");
            }

            @Override
            public void onReauthenticationFailed(String connection, Throwable cause) {
                log.warn(
                        "Connection {} could not re-authenticate with a renewed token: {}",
                        connection,
                        String.valueOf(cause));
            }

            @Override
            public String toString() {
                return "ReauthenticationListener.logging()";
            }
        };
    }
}
