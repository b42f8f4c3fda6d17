package io.github.redisentra.jedis;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Told when a Jedis connection re-authenticated with a renewed token, or failed to. Register one with
 * {@link EntraJedis.Builder#listener(ReauthenticationListener)}. Methods run on the thread that re-authenticated (a
 * borrowing application thread, the pool's evictor or the client's re-authentication thread): keep them short. An
 * exception thrown here is logged and otherwise ignored.
 */
public interface ReauthenticationListener {

    /**
     * A connection sent {@code AUTH} with a renewed token and the server accepted it.
     *
     * @param connection Jedis's identity string of the connection
     * @param tokenFingerprint the short hash of the token now in use ({@code AccessToken.fingerprint()})
     */
    default void onReauthenticated(String connection, String tokenFingerprint) {}

    /**
     * A connection's {@code AUTH} with a renewed token failed. A pooled connection that failed is discarded and
     * replaced; a pub/sub connection keeps its previous authentication until that token expires.
     *
     * @param connection Jedis's identity string of the connection
     * @param cause what failed (never contains the token)
     */
    void onReauthenticationFailed(String connection, Throwable cause);

    /** A listener that logs failures at WARN and successes at DEBUG. */
    static ReauthenticationListener logging() {
        Logger log = LoggerFactory.getLogger("io.github.redisentra.jedis.Reauthentication");
        return new ReauthenticationListener() {
            @Override
            public void onReauthenticated(String connection, String tokenFingerprint) {
                log.debug("{} re-authenticated with token sha256={}", connection, tokenFingerprint);
            }

            @Override
            public void onReauthenticationFailed(String connection, Throwable cause) {
                log.warn("{} could not re-authenticate with a renewed token: {}", connection, String.valueOf(cause));
            }
        };
    }
}
