package io.github.redisentra.gateway.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one RESP2/RESP3 value decoder: every type, round trips, plain values, limits and incomplete input. */
class RespValueTest {
    private static ByteBuf buf(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Decodes a complete reply and checks it encodes back to the same bytes. */
    private static RespValue roundTrip(String s) throws ReplyProtocolException {
        ByteBuf b = buf(s);
        RespValue v = RespValue.decode(b);
        assertThat(v).as("complete reply %s", s).isNotNull();
        assertThat(b.isReadable()).as("all of it consumed").isFalse();
        assertThat(v.toString()).isEqualTo(s);
        return v;
    }

    private static Object plain(String s) throws ReplyProtocolException {
        return roundTrip(s).plain();
    }

    @Test
    void resp2TypesDecodeToThePlainValuesOfTheProbes() throws Exception {
        assertThat(plain("+OK\r\n")).isEqualTo("OK");
        assertThat(plain(":-42\r\n")).isEqualTo(-42L);
        assertThat(plain("$5\r\nh\u00c3\u00a9\r\n\r\n")).isEqualTo("h\u00e9\r\n"); // UTF-8 bytes, CRLF inside
        assertThat(plain("$0\r\n\r\n")).isEqualTo("");
        assertThat(plain("$-1\r\n")).isNull();
        assertThat(plain("*-1\r\n")).isNull();
        assertThat(plain("*0\r\n")).isEqualTo(List.of());
        assertThat(plain("*3\r\n$1\r\na\r\n:1\r\n*1\r\n+b\r\n")).isEqualTo(List.of("a", 1L, List.of("b")));
        assertThat(plain("*2\r\n$1\r\na\r\n$-1\r\n")).isEqualTo(Arrays.asList("a", null));
    }

    @Test
    void errorsAreErrorValuesWithTheirText() throws Exception {
        RespValue e = roundTrip("-ERR unknown command 'x'\r\n");
        assertThat(e.isError()).isTrue();
        assertThat(e.errorText()).isEqualTo("ERR unknown command 'x'");
        RespValue blob = roundTrip("!22\r\nSYNTAX invalid\r\nsyntax\r\n");
        assertThat(blob.isError()).isTrue();
        assertThat(blob.errorText()).isEqualTo("SYNTAX invalid\r\nsyntax");
        Object nested = plain("*2\r\n:1\r\n-MOVED 3999 127.0.0.1:6381\r\n");
        assertThat(((List<?>) nested).get(1))
                .isInstanceOfSatisfying(
                        RespValue.class, v -> assertThat(v.errorText()).isEqualTo("MOVED 3999 127.0.0.1:6381"));
    }

    @Test
    void resp3ScalarTypes() throws Exception {
        assertThat(plain("_\r\n")).isNull();
        assertThat(roundTrip("_\r\n").isNull()).isTrue();
        assertThat(plain("#t\r\n")).isEqualTo(true);
        assertThat(plain("#f\r\n")).isEqualTo(false);
        assertThat(plain(",3.25\r\n")).isEqualTo(3.25);
        assertThat(plain(",-1.5e3\r\n")).isEqualTo(-1500.0);
        assertThat(plain(",inf\r\n")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(plain(",-inf\r\n")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat((Double) plain(",nan\r\n")).isNaN();
        assertThat(plain("(3492890328409238509324850943850943825024385\r\n"))
                .isEqualTo(new BigInteger("3492890328409238509324850943850943825024385"));
        assertThat(plain("(-12\r\n")).isEqualTo(BigInteger.valueOf(-12));
    }

    @Test
    void aVerbatimStringKeepsItsPrefixInTheTreeAndDropsItInPlainValues() throws Exception {
        RespValue v = roundTrip("=15\r\ntxt:Some string\r\n");
        assertThat(v.type()).isEqualTo((byte) '=');
        assertThat(v.text()).isEqualTo("txt:Some string");
        assertThat(v.string()).isEqualTo("Some string");
        assertThat(v.plain()).isEqualTo("Some string");
        v.string("other");
        assertThat(v.toString()).isEqualTo("=9\r\ntxt:other\r\n");
    }

    @Test
    void resp3Aggregates() throws Exception {
        Map<Object, Object> expected = new LinkedHashMap<>();
        expected.put("first", 1L);
        expected.put("second", List.of("x"));
        RespValue map = roundTrip("%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n*1\r\n+x\r\n");
        assertThat(map.items()).hasSize(4); // keys and values alternate
        assertThat(map.plain()).isEqualTo(expected);
        assertThat(plain("%0\r\n")).isEqualTo(Map.of());
        assertThat(plain("~3\r\n+a\r\n:2\r\n#t\r\n")).isEqualTo(List.of("a", 2L, true));
        RespValue push = roundTrip(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        assertThat(push.type()).isEqualTo((byte) '>');
        assertThat(push.plain()).isEqualTo(List.of("message", "ch", "hi"));
    }

    @Test
    void anAttributeBelongsToTheValueItDecorates() throws Exception {
        String s = "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n";
        RespValue v = roundTrip(s);
        assertThat(v.type()).isEqualTo((byte) '*');
        assertThat(v.attribute()).isNotNull();
        assertThat(v.attribute().items().get(0).string()).isEqualTo("key-popularity");
        assertThat(v.plain()).isEqualTo(List.of(2039123L, 9543892L));
        // inside an aggregate the attribute and its value are one element
        RespValue nested = roundTrip("*2\r\n|1\r\n+ttl\r\n:3\r\n+a\r\n+b\r\n");
        assertThat(nested.items()).hasSize(2);
        assertThat(nested.items().get(0).attribute()).isNotNull();
        assertThat(nested.plain()).isEqualTo(List.of("a", "b"));
    }

    @Test
    void decodingTakesOneReplyAndLeavesTheNext() throws Exception {
        ByteBuf b = buf("+one\r\n:2\r\n$5\r\nthr");
        assertThat(RespValue.decode(b).plain()).isEqualTo("one");
        assertThat(RespValue.decode(b).plain()).isEqualTo(2L);
        int at = b.readerIndex();
        assertThat(RespValue.decode(b)).isNull();
        assertThat(b.readerIndex()).isEqualTo(at);
        b = Unpooled.wrappedBuffer(b, buf("ee\r\n"));
        assertThat(RespValue.decode(b).plain()).isEqualTo("three");
        assertThat(b.isReadable()).isFalse();
    }

    @Test
    void everyTruncationOfAReplyIsNotCompleteRatherThanAnError() throws Exception {
        String reply = "*4\r\n%1\r\n+k\r\n=7\r\ntxt:v\r\n\r\n|1\r\n+a\r\n#t\r\n~1\r\n(12\r\n"
                + "*3\r\n,1.5\r\n_\r\n$-1\r\n>1\r\n!3\r\nE x\r\n";
        byte[] bytes = reply.getBytes(StandardCharsets.ISO_8859_1);
        for (int n = 0; n < bytes.length; n++) {
            ByteBuf b = Unpooled.wrappedBuffer(bytes, 0, n);
            assertThat(RespValue.decode(b)).as("first %d bytes", n).isNull();
            assertThat(b.readerIndex()).isZero();
        }
        assertThat(roundTrip(reply).items()).hasSize(4);
        assertThatThrownBy(() -> RespValue.parse(buf("*2\r\n:1\r\n")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("incomplete reply");
        assertThatThrownBy(() -> RespValue.parse(buf(":1\r\n:2\r\n")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("trailing bytes after a reply");
    }

    @Test
    void endFindsAValueWithoutBuildingIt() throws Exception {
        ByteBuf b = buf("*2\r\n%1\r\n+a\r\n:1\r\n$2\r\nxy\r\n-ERR\r\n");
        assertThat(RespValue.end(b, 4)).isEqualTo(16); // the map
        assertThat(RespValue.end(b, 16)).isEqualTo(24); // the bulk string
        assertThat(RespValue.end(b, 0)).isEqualTo(24); // the array, not the error after it
        assertThat(RespValue.end(b, 24)).isEqualTo(30);
        assertThat(RespValue.end(buf("*2\r\n:1\r\n"), 0)).isEqualTo(-1);
        assertThat(b.readerIndex()).isZero();
    }

    @Test
    void nestingUpToTheLimitIsDecodedAndDeeperIsRefused() throws Exception {
        assertThat(RespValue.MAX_DEPTH).isEqualTo(16);
        String ok = "*1\r\n".repeat(RespValue.MAX_DEPTH) + ":1\r\n";
        assertThat(RespValue.decode(buf(ok))).isNotNull();
        // refused on the header, with no element of the innermost array there yet
        String deep = "*1\r\n".repeat(RespValue.MAX_DEPTH + 1) + "*1\r\n";
        assertThatThrownBy(() -> RespValue.decode(buf(deep)))
                .isInstanceOf(ReplyProtocolException.class)
                .hasMessage("reply nested deeper than 16 levels");
        // a chain of attributes counts as nesting too
        String attributes = "|1\r\n+a\r\n+b\r\n".repeat(RespValue.MAX_DEPTH + 1) + "+x\r\n";
        assertThatThrownBy(() -> RespValue.decode(buf(attributes))).isInstanceOf(ReplyProtocolException.class);
    }

    @Test
    void aStringOverTheLimitIsRefusedOnItsHeaderBeforeItsBytes() throws Exception {
        assertThat(RespValue.MAX_BULK).isEqualTo(64 * 1024 * 1024);
        ByteBuf atLimit = buf("$" + RespValue.MAX_BULK + "\r\n");
        assertThat(RespValue.decode(atLimit)).isNull(); // allowed, waiting for its bytes
        for (String type : List.of("$", "=", "!")) {
            assertThatThrownBy(() -> RespValue.decode(buf(type + (RespValue.MAX_BULK + 1) + "\r\n")))
                    .isInstanceOf(ReplyProtocolException.class)
                    .hasMessage("string reply of 67108865 bytes is over the limit of 67108864 bytes");
        }
        assertThatThrownBy(() -> RespValue.decode(buf("*99999999999\r\n"))).isInstanceOf(ReplyProtocolException.class);
    }

    @Test
    void anAnnouncedHugeArrayWithFewElementsIsOnlyIncomplete() throws Exception {
        ByteBuf b = buf("*1000000000\r\n:1\r\n:2\r\n");
        assertThat(RespValue.decode(b)).isNull();
    }

    @Test
    void aLineWithoutItsEndIsIncompleteUntilItIsLongerThanTheLimit() throws Exception {
        String partial = "+" + "a".repeat(RespValue.MAX_LINE);
        assertThat(RespValue.decode(buf(partial))).isNull();
        assertThatThrownBy(() -> RespValue.decode(buf(partial + "a")))
                .isInstanceOf(ReplyProtocolException.class)
                .hasMessage("reply line longer than 65536 bytes");
    }

    @Test
    void malformedRepliesAreRefusedWithTheirReason() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("?\r\n", "unknown RESP type byte 0x3f");
        cases.put("+OK\rX", "reply line not terminated by CRLF");
        cases.put(":12a\r\n", "malformed integer in reply");
        cases.put(":99999999999999999999\r\n", "integer reply out of range");
        cases.put(":\r\n", "empty integer in reply");
        cases.put("(1.5\r\n", "malformed big number in reply");
        cases.put(",1x\r\n", "malformed double in reply");
        cases.put(",1d\r\n", "malformed double in reply");
        cases.put("#x\r\n", "boolean reply is neither #t nor #f");
        cases.put("_x\r\n", "null reply with a payload");
        cases.put("$3\r\nabcXY", "string reply not terminated by CRLF");
        cases.put("$-2\r\n", "bad length in reply");
        cases.put("%-1\r\n", "bad length in reply");
        cases.put("$x\r\n", "bad length in reply");
        cases.put("=2\r\nab\r\n", "verbatim string reply without its format prefix");
        cases.put("$?\r\n", "streamed RESP3 replies are not supported");
        cases.put("*?\r\n", "streamed RESP3 replies are not supported");
        cases.forEach((reply, reason) -> assertThatThrownBy(() -> RespValue.decode(buf(reply)))
                .as(reply)
                .isInstanceOf(ReplyProtocolException.class)
                .hasMessage(reason));
    }

    @Test
    void editedTreesEncodeInTheirOwnShapes() throws Exception {
        RespValue v = roundTrip("*2\r\n+a\r\n%1\r\n+port\r\n:6379\r\n");
        v.items().get(1).items().set(1, RespValue.integer(7000));
        v.items().set(0, RespValue.bulk("b"));
        v.items().add(RespValue.error("ERR x"));
        assertThat(v.encode().toString(StandardCharsets.ISO_8859_1))
                .isEqualTo("*3\r\n$1\r\nb\r\n%1\r\n+port\r\n:7000\r\n-ERR x\r\n");
        assertThat(v.items().get(1).items().get(1).integer()).isEqualTo(7000L);
    }
}
