package io.github.redisentra.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A sink that closes the upstream connection in the middle of a read batch (a session that fails on an unexpected
 * reply). On an {@link EmbeddedChannel} the close runs the inactive event (and the handler's removal) inside that sink
 * call: the read must stop there, deliver nothing more, and release its buffer once, at its end. {@code channelRead}
 * is called directly: through the pipeline an exception would reach the handler's own {@code exceptionCaught} and be
 * swallowed (the connection counts as lost already).
 */
class UpstreamHandlerTest {

    /** Closes the channel on the first reply or run it is handed; claims replies starting with {@code +}. */
    static final class FailingSink implements ReplySink {
        final boolean claimSimpleStrings;
        Channel channel;
        final List<String> replies = new ArrayList<>();
        final List<String> passedThrough = new ArrayList<>();
        final List<String> lost = new ArrayList<>();

        FailingSink(boolean claimSimpleStrings) {
            this.claimSimpleStrings = claimSimpleStrings;
        }

        @Override
        public boolean claimPassThrough(byte firstByte) {
            return claimSimpleStrings && firstByte == '+';
        }

        @Override
        public void onPassThrough(ByteBuf replies) {
            passedThrough.add(replies.toString(StandardCharsets.US_ASCII));
            replies.release();
            channel.close();
        }

        @Override
        public void onReply(ByteBuf frame, boolean push) {
            replies.add(frame.toString(StandardCharsets.US_ASCII));
            frame.release();
            channel.close();
        }

        @Override
        public void onReadBatchComplete() {}

        @Override
        public void onUpstreamLost(String reason, Throwable cause) {
            lost.add(reason);
        }

        @Override
        public void onUpstreamWritabilityChanged(boolean writable) {}
    }

    private static ByteBuf read(FailingSink sink, String bytes) throws Exception {
        UpstreamHandler handler = new UpstreamHandler(sink);
        EmbeddedChannel channel = new EmbeddedChannel(handler);
        sink.channel = channel;
        ChannelHandlerContext ctx = channel.pipeline().context(handler);
        ByteBuf in = Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII);
        handler.channelRead(ctx, in);
        assertThat(channel.isOpen()).isFalse();
        channel.finishAndReleaseAll();
        return in;
    }

    @Test
    void aSinkThatClosesTheConnectionOnAReplyEndsTheReadThere() throws Exception {
        FailingSink sink = new FailingSink(false);
        ByteBuf in = read(sink, "+OK\r\n+unexpected\r\n:3\r\n");
        assertThat(sink.replies).containsExactly("+OK\r\n");
        assertThat(sink.lost).containsExactly("upstream connection closed");
        assertThat(in.refCnt()).as("the read's buffer, released once").isZero();
    }

    @Test
    void aSinkThatClosesTheConnectionOnAClaimedRunEndsTheReadThere() throws Exception {
        FailingSink sink = new FailingSink(true);
        ByteBuf in = read(sink, "+a\r\n+b\r\n:1\r\n:2\r\n");
        assertThat(sink.passedThrough).containsExactly("+a\r\n+b\r\n");
        assertThat(sink.replies).as("nothing after the close").isEmpty();
        assertThat(sink.lost).containsExactly("upstream connection closed");
        assertThat(in.refCnt()).isZero();
    }
}
