package io.github.redisentra.gateway.resp;

/**
 * How much one client command may hold. Two sets are used per connection: a tight one before authentication
 * (sized for a JWT: {@code AUTH user <token>} with a token of a few hundred groups) and a Redis-like one after.
 * After authentication, a forwarded command carrying a large value is streamed to the cache (see
 * {@link RequestFramer}) and may be as large as Redis accepts; {@link #maxBulkBytes()} then bounds only the
 * commands the gateway buffers whole (those it interprets itself, such as {@code AUTH} and {@code HELLO}).
 *
 * @param maxArgs the largest multibulk count accepted ({@code *N})
 * @param maxBulkBytes the largest bulk string accepted ({@code $N})
 * @param maxInlineBytes the longest inline command line (and the longest {@code *N}/{@code $N} header line)
 * @param authenticated whether these are post-authentication limits (selects Redis's error wording)
 * @param maxHeldBytes before authentication only: the most input bytes a connection may have buffered while the
 *     gateway waits for the rest of a command (all of them: the partial command and anything pipelined before it,
 *     not one argument); {@link Integer#MAX_VALUE} for no budget. Without it, {@code *10} and nine 64 KiB arguments
 *     would hold 576 KiB per unauthenticated socket until the authentication timeout.
 */
public record RequestLimits(
        int maxArgs, int maxBulkBytes, int maxInlineBytes, boolean authenticated, int maxHeldBytes) {

    /** Redis's own inline limit (PROTO_INLINE_MAX_SIZE). */
    public static final int REDIS_INLINE_MAX = 64 * 1024;

    /**
     * Before authentication, the default budget of bytes held per connection: one argument of the default 64 KiB
     * plus 16 KiB for the rest of the command (a ~200-group JWT is ~12 KiB; one with many claims stays far below).
     */
    public static final int PRE_AUTH_HELD_BYTES_DEFAULT = 80 * 1024;

    /** Before authentication: 8 arguments, 64 KiB per argument, 80 KiB held in all. */
    public static final RequestLimits PRE_AUTH_DEFAULT =
            new RequestLimits(8, 64 * 1024, REDIS_INLINE_MAX, false, PRE_AUTH_HELD_BYTES_DEFAULT);

    /** After authentication: Redis's argument count limit, 64 MiB per value, Redis's inline limit. */
    public static final RequestLimits AUTHENTICATED_DEFAULT =
            new RequestLimits(1024 * 1024, 64 * 1024 * 1024, REDIS_INLINE_MAX, true);

    public RequestLimits {
        if (maxArgs < 3 || maxBulkBytes < 1024 || maxInlineBytes < 1024 || maxHeldBytes < 1024) {
            throw new IllegalArgumentException("request limits too small to carry AUTH user <token>: maxArgs="
                    + maxArgs + " (min 3), maxBulkBytes=" + maxBulkBytes + " (min 1024), maxInlineBytes="
                    + maxInlineBytes + " (min 1024), maxHeldBytes=" + maxHeldBytes + " (min 1024)");
        }
    }

    /** Limits without a held-bytes budget. */
    public RequestLimits(int maxArgs, int maxBulkBytes, int maxInlineBytes, boolean authenticated) {
        this(maxArgs, maxBulkBytes, maxInlineBytes, authenticated, Integer.MAX_VALUE);
    }
}
