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

    /** A batch of reads ended: flush what was written. */
    void onReadBatchComplete();

    /** The upstream sent something that is not RESP, or the connection failed or closed. */
    void onUpstreamLost(String reason, Throwable cause);

    /** Upstream writability changed (backpressure: stop reading the client while it is not writable). */
    void onUpstreamWritabilityChanged(boolean writable);
}
