package io.github.redisentra.core;

/**
 * Where tokens come from: MSAL user sign-in, an azure-identity credential, a static value, a command, or (later)
 * an AWS IAM signer.
 *
 * <p>{@link #getToken(boolean)} blocks; it is called by {@link TokenRefresher} on its own worker thread, one call
 * at a time, never on a Netty event loop. Implementations must not run interactive flows from it: interactive
 * sign-in happens once, before the refresher starts.
 */
public interface TokenSource extends AutoCloseable {

    /**
     * Obtains a token.
     *
     * @param forceRefresh bypass any cache the source keeps (MSAL returns a cached token until it is within five
     *     minutes of expiry; a refresher that renews earlier must force it)
     * @return a token that is valid now
     * @throws Exception when no token can be had; the message must not contain a secret
     */
    AccessToken getToken(boolean forceRefresh) throws Exception;

    /**
     * The Redis user name to send with {@code token}: by default the token's {@code oid} claim (what Azure Cache for
     * Redis and Azure Managed Redis expect). Sources configured with another user name override this.
     *
     * @throws IllegalStateException when the token has no {@code oid} and no user name was configured
     */
    default String redisUsername(AccessToken token) {
        return token.objectId()
                .orElseThrow(() -> new IllegalStateException("token " + token + " has no oid claim to use as the"
                        + " Redis user name; configure the user name explicitly"));
    }

    /** A short description for logs and health output, e.g. {@code "managed identity (client id 1234…)"}. */
    String describe();

    /** Releases what the source holds. Idempotent. */
    @Override
    default void close() {}
}
