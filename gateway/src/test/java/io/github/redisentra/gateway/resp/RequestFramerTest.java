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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(30)
class RequestFramerTest {
    private static final RequestLimits PRE = RequestLimits.PRE_AUTH_DEFAULT;
    private static final RequestLimits POST = RequestLimits.AUTHENTICATED_DEFAULT;

    private static final String STREAM = "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
            + "*0\r\n*-1\r\n"
            + "PING\r\n"
            + "\r\n"
            + "SET k \"a b\\x41\\n\" 'it\\'s'\n"
            + "*3\r\n$4\r\nAUTH\r\n$0\r\n\r\n$5\r\nt.o.k\r\n"
            + "*1\r\n$4\r\nPINGxx";

    private static final List<String> EXPECTED = List.of("GET|a", "PING", "SET|k|a bA\n|it's", "AUTH||t.o.k", "PING");

    private static List<String> frame(byte[] all, RequestLimits limits, int... cuts) throws RespProtocolException {
        RequestFramer framer = new RequestFramer();
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
                Command c;
                while ((c = framer.next(buf, limits)) != null) {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < c.argc(); i++) {
                        sb.append(i == 0 ? "" : "|").append(c.argString(i));
                    }
                    // the frame is a valid multibulk encoding of the same arguments
                    assertThat(c.frame().getByte(0)).isEqualTo((byte) '*');
                    out.add(sb.toString());
                    c.release();
                }
                if (!framer.inFrame()) {
                    buf.discardReadBytes();
                }
            }
            return out;
        } finally {
            buf.release();
        }
    }

    @Test
    void commandsOfBothShapesAreFramed() throws Exception {
        assertThat(frame(STREAM.getBytes(StandardCharsets.ISO_8859_1), POST)).containsExactlyElementsOf(EXPECTED);
    }

    @Test
    void everySplitPointYieldsTheSameCommands() throws Exception {
        byte[] all = STREAM.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 1; i < all.length; i++) {
            assertThat(frame(all, POST, i)).as("split at %d", i).containsExactlyElementsOf(EXPECTED);
        }
        int[] cuts = new int[all.length - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        assertThat(frame(all, PRE, cuts)).containsExactlyElementsOf(EXPECTED);
    }

    @Test
    void commandNamesMatchCaseInsensitively() throws Exception {
        RequestFramer framer = new RequestFramer();
        ByteBuf buf = Unpooled.copiedBuffer("auth x\r\n", StandardCharsets.US_ASCII);
        try {
            Command c = framer.next(buf, PRE);
            assertThat(c.is("AUTH")).isTrue();
            assertThat(c.is("AUT")).isFalse();
            assertThat(c.argIs(1, "X")).isTrue();
            c.release();
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "*x\\r\\n|ERR Protocol error: invalid multibulk length",
                "*3000000000\\r\\n|ERR Protocol error: invalid multibulk length",
                "*01\\r\\n|ERR Protocol error: invalid multibulk length",
                "*+1\\r\\n|ERR Protocol error: invalid multibulk length",
                "*20\\r\\n|ERR Protocol error: unauthenticated multibulk length",
                "*1\\r\\n+a\\r\\n|ERR Protocol error: expected '$', got '+'",
                "*1\\r\\n*1\\r\\n|ERR Protocol error: expected '$', got '*'",
                "*1\\r\\n:1\\r\\n|ERR Protocol error: expected '$', got ':'",
                "*1\\r\\n$-3\\r\\n|ERR Protocol error: invalid bulk length",
                "*1\\r\\n$abc\\r\\n|ERR Protocol error: invalid bulk length",
                "*1\\r\\n$ 1\\r\\n|ERR Protocol error: invalid bulk length",
                "*1\\r\\n$104857600\\r\\n|ERR Protocol error: unauthenticated bulk length",
                "*1\\r\\n$99999999999\\r\\n|ERR Protocol error: invalid bulk length",
                "GET \"a\\r\\n|ERR Protocol error: unbalanced quotes in request",
                "GET 'a'b\\r\\n|ERR Protocol error: unbalanced quotes in request",
                "GET \"a\"b\\r\\n|ERR Protocol error: unbalanced quotes in request",
                "A B C D E F G H I J\\r\\n|ERR Protocol error: unauthenticated multibulk length",
            })
    void malformedInputGetsRedisErrorText(String input, String error) {
        String raw = input.replace("\\r", "\r").replace("\\n", "\n");
        ByteBuf buf = Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
        try {
            assertThatThrownBy(() -> new RequestFramer().next(buf, PRE))
                    .isInstanceOf(RespProtocolException.class)
                    .hasMessage(error);
        } finally {
            buf.release();
        }
    }

    @Test
    void endlessInlineLineIsRefusedOnceItExceedsTheLimit() throws Exception {
        RequestFramer framer = new RequestFramer();
        ByteBuf buf = Unpooled.buffer();
        try {
            buf.writeCharSequence("A".repeat(60_000), StandardCharsets.US_ASCII);
            assertThat(framer.next(buf, PRE)).isNull();
            buf.writeCharSequence("A".repeat(10_000), StandardCharsets.US_ASCII);
            assertThatThrownBy(() -> framer.next(buf, PRE)).hasMessage("ERR Protocol error: too big inline request");
        } finally {
            buf.release();
        }
    }

    @Test
    void headerWithoutTerminatorIsRefusedOnceItExceedsTheLimit() {
        ByteBuf buf = Unpooled.buffer();
        try {
            buf.writeCharSequence("*1\r\n$" + "1".repeat(70_000), StandardCharsets.US_ASCII);
            assertThatThrownBy(() -> new RequestFramer().next(buf, PRE))
                    .hasMessage("ERR Protocol error: too big bulk count string");
        } finally {
            buf.release();
        }
    }

    @Test
    void jwtSizedArgumentFitsBeforeAuthButBiggerDoesNot() throws Exception {
        String jwt = "e".repeat(40_000);
        ByteBuf ok = Unpooled.copiedBuffer(
                "*3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$40000\r\n" + jwt + "\r\n", StandardCharsets.US_ASCII);
        ByteBuf big = Unpooled.copiedBuffer("*2\r\n$4\r\nAUTH\r\n$70000\r\n", StandardCharsets.US_ASCII);
        try {
            Command c = new RequestFramer().next(ok, PRE);
            assertThat(c.argLength(2)).isEqualTo(40_000);
            c.release();
            assertThatThrownBy(() -> new RequestFramer().next(big, PRE))
                    .hasMessage("ERR Protocol error: unauthenticated bulk length");
        } finally {
            ok.release();
            big.release();
        }
    }

    /** Feeds {@code all} in pieces of {@code step} bytes; returns what the framer handed out, in order. */
    private static List<String> stream(byte[] all, int step, java.util.function.Predicate<Command> gate)
            throws RespProtocolException {
        RequestFramer framer = new RequestFramer();
        ByteBuf buf = Unpooled.buffer();
        List<String> out = new ArrayList<>();
        java.io.ByteArrayOutputStream streamed = new java.io.ByteArrayOutputStream();
        try {
            for (int off = 0; off < all.length; off += step) {
                buf.writeBytes(all, off, Math.min(step, all.length - off));
                for (; ; ) {
                    if (framer.streaming()) {
                        ByteBuf part = framer.nextPart(buf, POST);
                        if (part == null) {
                            break;
                        }
                        assertThat(part.readableBytes()).isPositive();
                        byte[] b = new byte[part.readableBytes()];
                        part.readBytes(b);
                        part.release();
                        streamed.writeBytes(b);
                        if (!framer.streaming()) {
                            out.add("streamed:" + streamed.size() + ":" + sha(streamed.toByteArray()));
                            streamed.reset();
                        }
                        continue;
                    }
                    Command c = framer.next(buf, POST, gate);
                    if (c == null) {
                        break;
                    }
                    if (c.streaming()) {
                        out.add("head:" + c.argString(0) + ":" + c.argc());
                        ByteBuf f = c.takeFrame();
                        byte[] b = new byte[f.readableBytes()];
                        f.readBytes(b);
                        f.release();
                        streamed.writeBytes(b);
                    } else {
                        out.add(c.argString(0) + ":" + c.argc() + ":"
                                + c.frame().readableBytes());
                        c.release();
                    }
                }
                buf.discardSomeReadBytes();
            }
            return out;
        } finally {
            buf.release();
        }
    }

    private static String sha(byte[] b) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(b))
                    .substring(0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static final String PING = "*1\r\n$4\r\nPING\r\n";
    private static final String GET_K = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";

    private static byte[] bigCommands() {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] value = new byte[300_000];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) ('a' + i % 26);
        }
        String head = "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + value.length + "\r\n";
        b.writeBytes(PING.getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(value);
        b.writeBytes("\r\n$7\r\nKEEPTTL\r\n".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(GET_K.getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }

    @Test
    void aLargeBulkOfAnAcceptedCommandIsHandedOutPiecewiseAndByteExact() throws Exception {
        byte[] all = bigCommands();
        int setStart = PING.length();
        int setEnd = all.length - GET_K.length();
        byte[] set = java.util.Arrays.copyOfRange(all, setStart, setEnd);
        String expected = "streamed:" + set.length + ":" + sha(set);
        for (int step : new int[] {1, 7, 4096, 65_536, all.length}) {
            assertThat(stream(all, step, c -> c.is("SET")))
                    .as("step %d", step)
                    .containsExactly("PING:1:" + PING.length(), "head:SET:2", expected, "GET:2:" + GET_K.length());
        }
    }

    @Test
    void aLargeBulkOfARefusedCommandIsBufferedWhole() throws Exception {
        byte[] all = bigCommands();
        assertThat(stream(all, 4096, c -> false))
                .containsExactly(
                        "PING:1:" + PING.length(),
                        "SET:4:" + (all.length - PING.length() - GET_K.length()),
                        "GET:2:" + GET_K.length());
        // before authentication nothing streams: the header alone is refused
        RequestFramer framer = new RequestFramer();
        ByteBuf buf = Unpooled.copiedBuffer(all, PING.length(), 40);
        try {
            assertThatThrownBy(() -> framer.next(buf, PRE, c -> true))
                    .hasMessage("ERR Protocol error: unauthenticated bulk length");
        } finally {
            buf.release();
        }
    }

    @Test
    void aMalformedHeaderAfterAStreamedBulkIsAProtocolError() throws Exception {
        byte[] bad = ("*3\r\n$3\r\nSET\r\n$70000\r\n" + "x".repeat(70_000) + "\r\n#5\r\nhello\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> stream(bad, 8192, c -> true))
                .isInstanceOf(RespProtocolException.class)
                .hasMessage("ERR Protocol error: expected '$', got '#'");
    }

    // ---------------------------------------------------------------- the unauthenticated budget

    private static final RequestLimits BUDGET =
            new RequestLimits(10, 64 * 1024, RequestLimits.REDIS_INLINE_MAX, false, 8192);

    private static String bulk(int n) {
        return "$" + n + "\r\n" + "x".repeat(n) + "\r\n";
    }

    @Test
    void unauthenticatedPartialCommandsMayHoldNoMoreThanTheBudgetInAll() throws Exception {
        // every argument is far below maxBulkBytes; together they pass the budget while the command is incomplete
        ByteBuf buf = Unpooled.copiedBuffer("*10\r\n" + bulk(3000) + bulk(3000), StandardCharsets.US_ASCII);
        RequestFramer f = new RequestFramer();
        try {
            assertThat(f.next(buf, BUDGET)).isNull(); // 6 KiB held: waits
            buf.writeBytes(bulk(3000).getBytes(StandardCharsets.US_ASCII));
            assertThatThrownBy(() -> f.next(buf, BUDGET))
                    .isInstanceOf(RespProtocolException.class)
                    .hasMessage("ERR Protocol error: unauthenticated request larger than 8192 bytes");
        } finally {
            buf.release();
        }
    }

    @Test
    void theBudgetCountsWhatIsHeldNotCompleteCommandsHandedOut() throws Exception {
        String commands = ("*2\r\n$4\r\nECHO\r\n" + bulk(4000)).repeat(4); // 16 KiB of complete commands
        ByteBuf buf = Unpooled.copiedBuffer(commands, StandardCharsets.US_ASCII);
        RequestFramer f = new RequestFramer();
        try {
            for (int i = 0; i < 4; i++) {
                Command c = f.next(buf, BUDGET);
                assertThat(c).isNotNull();
                c.release();
            }
            assertThat(f.next(buf, BUDGET)).isNull();
        } finally {
            buf.release();
        }
    }

    @Test
    void aJwtSizedAuthFitsTheDefaultBudgetAndAuthenticatedLimitsHaveNone() throws Exception {
        String auth = "*3\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n" + bulk(64 * 1024);
        ByteBuf buf = Unpooled.copiedBuffer(auth, StandardCharsets.US_ASCII);
        RequestFramer f = new RequestFramer();
        try {
            Command c = f.next(buf, PRE);
            assertThat(c.argc()).isEqualTo(3);
            c.release();
        } finally {
            buf.release();
        }
        ByteBuf partial = Unpooled.copiedBuffer(
                "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$200000\r\n" + "x".repeat(150_000), StandardCharsets.US_ASCII);
        try {
            assertThat(new RequestFramer().next(partial, POST)).isNull();
        } finally {
            partial.release();
        }
    }
}
