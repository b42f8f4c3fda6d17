package io.github.redisentra.gateway.resp;

/** The upstream sent bytes that are not RESP2/RESP3. The upstream connection cannot be trusted any more. */
public final class ReplyProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public ReplyProtocolException(String message) {
        super(message, null, false, false);
    }
}
