package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.handler.CommandsQueuePubSub;
import org.redisson.client.protocol.CommandData;
import org.redisson.client.protocol.QueueCommandHolder;
import org.redisson.client.protocol.RedisCommands;

/**
 * {@link RedissonPubSubFraming} passes on whole frames only, whatever the reads look like, loses no byte, and keeps
 * push frames behind the reply Redisson's current command waits for.
 */
class RedissonPubSubFramingTest {
    static final List<String> FRAMES = List.of(
            "+OK\r\n",
            ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm1\r\n",
            "-ERR wrong\r\n",
            ":42\r\n",
            "$-1\r\n",
            "_\r\n",
            "%2\r\n+server\r\n$5\r\nredis\r\n+modules\r\n*0\r\n",
            "*2\r\n*1\r\n$4\r\na\r\nb\r\n#t\r\n", // a bulk holding CR LF: only its length ends it
            ",1.5\r\n",
            "|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
            "~1\r\n(12345678901234567890\r\n",
            "*-1\r\n",
            ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm2\r\n");

    @Test
    void everyReadIsCutAtFrameBoundariesAndTheBytesAreKeptInOrder() {
        byte[] stream = String.join("", FRAMES).getBytes(StandardCharsets.UTF_8);
        Set<Integer> boundaries = new TreeSet<>();
        int offset = 0;
        for (String frame : FRAMES) {
            offset += frame.getBytes(StandardCharsets.UTF_8).length;
            boundaries.add(offset);
        }
        // Two reads cut at every position (cut == length: one read per byte instead).
        for (int cut = 1; cut <= stream.length; cut++) {
            EmbeddedChannel channel = new EmbeddedChannel(new RedissonPubSubFraming());
            if (cut < stream.length) {
                channel.writeInbound(Unpooled.wrappedBuffer(stream, 0, cut));
                channel.writeInbound(Unpooled.wrappedBuffer(stream, cut, stream.length - cut));
            } else {
                for (int i = 0; i < stream.length; i++) {
                    channel.writeInbound(Unpooled.wrappedBuffer(stream, i, 1));
                }
            }
            ByteArrayOutputStream passed = new ByteArrayOutputStream();
            ByteBuf out;
            while ((out = channel.readInbound()) != null) {
                byte[] bytes = new byte[out.readableBytes()];
                out.readBytes(bytes);
                out.release();
                passed.writeBytes(bytes);
                assertThat(boundaries).as("cut %d", cut).contains(passed.size());
            }
            assertThat(passed.toByteArray()).as("cut %d", cut).isEqualTo(stream);
            assertThat(channel.finish()).isFalse();
        }
    }

    @Test
    void pushFramesThatArriveAheadOfThePendingReplyArePassedRightBehindIt() {
        EmbeddedChannel channel = new EmbeddedChannel(new RedissonPubSubFraming());
        channel.writeInbound(text(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm0\r\n"));
        // Redisson sends AUTH on the subscribed connection: it is the current command until its reply is decoded.
        CommandData<Void, Void> auth =
                new CommandData<>(new CompletableFuture<>(), StringCodec.INSTANCE, RedisCommands.AUTH, new Object[0]);
        channel.attr(CommandsQueuePubSub.CURRENT_COMMAND).set(new QueueCommandHolder(auth, channel.newPromise()));
        channel.writeInbound(text(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm1\r\n"));
        channel.writeInbound(text(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm2\r\n+O"));
        channel.writeInbound(text("K\r\n>3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm3\r\n"));

        assertThat(passed(channel))
                .isEqualTo(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm0\r\n"
                        + "+OK\r\n"
                        + ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm1\r\n"
                        + ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm2\r\n"
                        + ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm3\r\n");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void anUnknownTypeByteTurnsItIntoAPassThrough() {
        EmbeddedChannel channel = new EmbeddedChannel(new RedissonPubSubFraming());
        channel.writeInbound(text("+OK\r\n?odd"));
        channel.writeInbound(text("$3\r\nab"));
        assertThat(passed(channel)).isEqualTo("+OK\r\n?odd$3\r\nab");
        channel.finish();
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private static String passed(EmbeddedChannel channel) {
        StringBuilder passed = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readInbound()) != null) {
            passed.append(out.toString(StandardCharsets.UTF_8));
            out.release();
        }
        return passed.toString();
    }
}
