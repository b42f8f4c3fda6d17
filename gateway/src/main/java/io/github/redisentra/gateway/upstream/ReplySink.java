package io.github.redisentra.gateway.upstream;

import io.netty.buffer.ByteBuf;

/** Receives what an {@link UpstreamHandler} frames, on the upstream channel's event loop. */
public interface ReplySink {

    /**
     * One complete reply (including any attribute preceding it). Ownership of {@code frame} passes to the sink.
     *
     * @param push a RESP3 push frame (out-of-band, answers no command)
     */
    void onReply(ByteBuf frame, boolean push);

    /**
     * The first part of a large, not yet complete, non-push reply, offered so it need not be buffered whole.
     * Returns {@code true} when the sink took the bytes (then it owns {@code part}); {@code false} leaves them
     * buffered (the sink does not own {@code part} then and must not release it).
     */
    default boolean onReplyPart(ByteBuf part) {
        return false;
    }

    /**
     * Fast path for plain replies. Called for a complete, non-push reply before it is delivered: returns
     * {@code true} when the sink will pass that reply through unchanged, in which case it accounts for it now
     * (the reply is "claimed") and receives its bytes later, together with those of the replies claimed right
     * after it, in one {@link #onPassThrough} call. Returns {@code false} when the reply needs
     * {@link #onReply}; the handler then first delivers the replies claimed so far.
     */
    default boolean claimPassThrough() {
        return false;
    }

    /**
     * As {@link #claimPassThrough()}, told the reply's first byte (its RESP type; {@code -} for an error): what the
     * handler calls. A cluster gateway's session reads error replies ({@code -MOVED}, {@code -ASK}) before passing
     * them on; every other sink decides as {@link #claimPassThrough()} does.
     */
    default boolean claimPassThrough(byte firstByte) {
        return claimPassThrough();
    }

    /**
     * The bytes of one or more consecutive replies, all previously {@linkplain #claimPassThrough() claimed}, in
     * order. Ownership of {@code replies} passes to the sink.
     */
    default void onPassThrough(ByteBuf replies) {
        throw new IllegalStateException("onPassThrough without claimPassThrough");
    }

    /** A batch of reads ended: flush what was written. */
    void onReadBatchComplete();

    /** The upstream sent something that is not RESP, or the connection failed or closed. */
    void onUpstreamLost(String reason, Throwable cause);

    /** Upstream writability changed (backpressure: stop reading the client while it is not writable). */
    void onUpstreamWritabilityChanged(boolean writable);
}
