package io.github.redisentra.testkit;

/**
 * An error reply from Redis ({@code -WRONGPASS …}, {@code -NOAUTH …}, {@code -ERR …}), as thrown by
 * {@link RedisCli#call(String...)}. The message is the server's text without the leading {@code -}.
 *
 * <p>Redis echoes some arguments in its errors (e.g. {@code ACL SETUSER} quotes the failing rule); callers
 * that pass secrets must not let this message escape into logs ({@link AzureCacheStandIn} does not).
 */
public final class RedisErrorReply extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RedisErrorReply(String message) {
        super(message);
    }

    /** The first word of the error: {@code WRONGPASS}, {@code NOAUTH}, {@code ERR}, {@code NOPERM}… */
    public String code() {
        String message = getMessage();
        int space = message.indexOf(' ');
        return space < 0 ? message : message.substring(0, space);
    }
}
