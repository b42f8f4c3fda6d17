package io.github.redisentra.gateway.resp;

/**
 * The client sent bytes that are not a valid Redis command. {@link #getMessage()} is the exact error text Redis
 * itself replies with (without the leading {@code -}), e.g. {@code ERR Protocol error: invalid bulk length}; like
 * Redis, the gateway sends it and closes the connection.
 */
public final class RespProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public RespProtocolException(String redisErrorText) {
        super(redisErrorText, null, false, false);
    }
}
