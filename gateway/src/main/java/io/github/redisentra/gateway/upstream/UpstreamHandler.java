package io.github.redisentra.gateway.upstream;

import io.github.redisentra.gateway.resp.ReplyFramer;
import io.github.redisentra.gateway.resp.ReplyProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Frames upstream replies and hands them to a {@link ReplySink}. Bytes of a large reply are offered to the sink
 * before the reply is complete so that a big value is streamed, not buffered. Runs of plain replies the sink claims
 * are handed on as one slice, or as the read's buffer itself when the run ends it (issue #19).
 */
public final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    /** Replies larger than this are passed on in parts. */
    static final int STREAM_THRESHOLD = 64 * 1024;

    private final ReplySink sink;
    private final ReplyFramer framer = new ReplyFramer();
    private ByteBuf cumulation;
    private boolean lost;
    /** Inside {@link #channelRead}: a release asked for meanwhile is left to its end. */
    private boolean reading;
    /**
     * The channel closed or this handler was removed. Netty's own transports report that in a later task, but an
     * {@code EmbeddedChannel} (and any channel whose close runs its inactive event at once) does it inside a sink call
     * that closes the connection (a session that fails): the read then stops, and its buffer is released at its end.
     */
    private boolean released;

    public UpstreamHandler(ReplySink sink) {
        this.sink = sink;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (lost || released) {
            in.release();
            return;
        }
        cumulation =
                cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        // Runs of plain replies the sink claimed are handed on as one slice (one write instead of one per reply).
        int runStart = -1;
        reading = true;
        try {
            while (!released) {
                int len = framer.next(cumulation);
                if (len > 0) {
                    boolean push = framer.lastWasPush();
                    if (!push && sink.claimPassThrough(cumulation.getByte(cumulation.readerIndex()))) {
                        if (runStart < 0) {
                            runStart = cumulation.readerIndex();
                        }
                        cumulation.skipBytes(len);
                        continue;
                    }
                    runStart = passRun(runStart);
                    if (!released) {
                        sink.onReply(cumulation.readRetainedSlice(len), push);
                    }
                    continue;
                }
                if (runStart >= 0 && !cumulation.isReadable()) {
                    // the read ended with the run: the cumulation itself is handed on, not a slice of it
                    ByteBuf whole = cumulation.readerIndex(runStart);
                    cumulation = null;
                    sink.onPassThrough(whole);
                    break;
                }
                runStart = passRun(runStart);
                int scanned = framer.scannedBytes();
                if (!released && scanned >= STREAM_THRESHOLD && framer.pendingTypeKnown() && !framer.pendingIsPush()) {
                    ByteBuf part = cumulation.retainedSlice(cumulation.readerIndex(), scanned);
                    if (sink.onReplyPart(part)) {
                        cumulation.skipBytes(scanned);
                        framer.consumed(scanned);
                    } else {
                        part.release();
                    }
                }
                break;
            }
        } catch (ReplyProtocolException e) {
            passRun(runStart); // the claimed replies are complete: deliver them before failing
            lost = true;
            sink.onUpstreamLost("upstream protocol error: " + e.getMessage(), e);
            ctx.close();
        } finally {
            reading = false;
            if (released) {
                release();
            } else if (cumulation != null) {
                if (!cumulation.isReadable()) {
                    cumulation.release();
                    cumulation = null;
                } else if (cumulation.refCnt() == 1) {
                    cumulation.discardSomeReadBytes();
                }
            }
        }
    }

    /** Delivers the claimed replies from {@code runStart} to the reader index, if any; returns -1 (no run). */
    private int passRun(int runStart) {
        if (runStart >= 0) {
            sink.onPassThrough(cumulation.retainedSlice(runStart, cumulation.readerIndex() - runStart));
        }
        return -1;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        sink.onReadBatchComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        sink.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        if (!lost) {
            lost = true;
            sink.onUpstreamLost("upstream connection closed", null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!lost) {
            lost = true;
            sink.onUpstreamLost(
                    "upstream connection failed: " + cause.getClass().getSimpleName(), cause);
        }
        ctx.close();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        released = true;
        if (!reading && cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
