package io.github.redisentra.gateway.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ReplyFramerTest {

    /** Frames of every RESP2/RESP3 type; a '!' prefix marks a frame expected to be flagged as push. */
    private static final List<String> FRAMES = List.of(
            "+OK\r\n",
            "-ERR wrong\r\n",
            ":42\r\n",
            "$5\r\nhello\r\n",
            "$0\r\n\r\n",
            "$-1\r\n",
            "*-1\r\n",
            "*0\r\n",
            "*3\r\n$1\r\na\r\n:1\r\n*2\r\n+x\r\n$2\r\n\r\n\r\n",
            "_\r\n",
            "#t\r\n",
            ",3.14\r\n",
            "(3492890328409238509324850943850943825024385\r\n",
            "!21\r\nSYNTAX invalid syntax\r\n",
            "=15\r\ntxt:Some string\r\n",
            "%2\r\n+first\r\n:1\r\n+second\r\n*2\r\n:2\r\n:3\r\n",
            "~2\r\n+a\r\n+b\r\n",
            "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
            "!>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n",
            "*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n",
            "$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n",
            "*?\r\n:1\r\n:2\r\n*1\r\n+x\r\n.\r\n",
            "%0\r\n",
            "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
            "!>4\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nkey\r\n$1\r\nx\r\n$1\r\ny\r\n");

    private static String stream() {
        StringBuilder sb = new StringBuilder();
        for (String f : FRAMES) {
            sb.append(f.startsWith("!>") ? f.substring(1) : f);
        }
        return sb.toString();
    }

    private static List<String> expected() {
        List<String> out = new ArrayList<>();
        for (String f : FRAMES) {
            out.add(f.startsWith("!>") ? "push:" + f.substring(1) : f);
        }
        return out;
    }

    /** Feeds the stream in pieces cut at the given points, reading frames as they complete. */
    private static List<String> frame(byte[] all, int... cuts) throws ReplyProtocolException {
        ReplyFramer framer = new ReplyFramer();
        ByteBuf buf = Unpooled.buffer();
        List<String> out = new ArrayList<>();
        int prev = 0;
        int[] points = new int[cuts.length + 1];
        System.arraycopy(cuts, 0, points, 0, cuts.length);
        points[cuts.length] = all.length;
        try {
            for (int cut : points) {
                buf.writeBytes(all, prev, cut - prev);
                prev = cut;
                int len;
                while ((len = framer.next(buf)) > 0) {
                    String s = buf.readCharSequence(len, StandardCharsets.ISO_8859_1)
                            .toString();
                    out.add(framer.lastWasPush() ? "push:" + s : s);
                }
                buf.discardReadBytes();
            }
            assertThat(buf.readableBytes()).isZero();
            return out;
        } finally {
            buf.release();
        }
    }

    @Test
    void everyFrameTypeIsDelimitedInOnePiece() throws Exception {
        assertThat(frame(stream().getBytes(StandardCharsets.ISO_8859_1))).containsExactlyElementsOf(expected());
    }

    @Test
    void everySplitPointYieldsTheSameFrames() throws Exception {
        byte[] all = stream().getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 1; i < all.length; i++) {
            assertThat(frame(all, i)).as("split at %d", i).containsExactlyElementsOf(expected());
        }
    }

    @Test
    void byteByByteFeedingYieldsTheSameFrames() throws Exception {
        byte[] all = stream().getBytes(StandardCharsets.ISO_8859_1);
        int[] cuts = new int[all.length - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        assertThat(frame(all, cuts)).containsExactlyElementsOf(expected());
    }

    @Test
    void largeBulkCanBePassedOnBeforeItIsComplete() throws Exception {
        ReplyFramer framer = new ReplyFramer();
        ByteBuf buf = Unpooled.buffer();
        try {
            buf.writeCharSequence("$100\r\n" + "x".repeat(40), StandardCharsets.US_ASCII);
            assertThat(framer.next(buf)).isEqualTo(-1);
            assertThat(framer.pendingTypeKnown()).isTrue();
            assertThat(framer.pendingIsPush()).isFalse();
            int scanned = framer.scannedBytes();
            assertThat(scanned).isEqualTo(46);
            buf.skipBytes(scanned);
            framer.consumed(scanned);
            buf.writeCharSequence("x".repeat(60) + "\r\n:1\r\n", StandardCharsets.US_ASCII);
            assertThat(framer.next(buf)).isEqualTo(62);
            buf.skipBytes(62);
            assertThat(framer.next(buf)).isEqualTo(4);
        } finally {
            buf.release();
        }
    }

    @Test
    void unknownTypeByteIsAProtocolError() {
        ByteBuf buf = Unpooled.copiedBuffer("?what\r\n", StandardCharsets.US_ASCII);
        try {
            assertThatThrownBy(() -> new ReplyFramer().next(buf)).isInstanceOf(ReplyProtocolException.class);
        } finally {
            buf.release();
        }
    }
}
