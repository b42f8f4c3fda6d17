package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.testkit.RedisCli;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed RESP through the real gateway over sockets, one row per case: each gets exactly the defined replies
 * (Redis's own error texts), then a close where Redis would close, and never disturbs an authenticated bystander.
 * {@code {AUTH}} in an input stands for a valid {@code AUTH <token>} (post-authentication limits apply after it).
 * Related cases elsewhere: thousands of pipelined AUTHs and the half-frame slowloris in {@code GatewaySessionIT},
 * arbitrary bytes in {@code RequestFramerFuzzTest} and {@code PreAuthSessionFuzzTest}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@ExtendWith(NettyLeakCheck.class)
class MalformedRespIT {
    static final String NOAUTH = "-NOAUTH Authentication required.";
    static final String CLOSE = "<close>";
    static final String OPEN = "<open>";

    static GatewayHarness h;
    static GatewayServer gw;
    static int port;
    static RedisCli bystander;
    static long bystanderCount;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Duration.ofMinutes(10), false);
        gw = h.startGateway(GatewayHarness.sessionSettings(), new CountingEvents());
        port = gw.localAddress().getPort();
        bystander = GatewayHarness.connect(gw);
        assertThat(bystander.callString("AUTH", h.token(h.bob))).isEqualTo("OK");
        bystander.call("DEL", "malformed:bystander");
    }

    @AfterAll
    static void stop() {
        if (bystander != null) {
            bystander.close();
        }
        if (h != null) {
            h.close();
        }
    }

    static Arguments row(String name, String input, String... replies) {
        return Arguments.of(name, input, List.of(replies));
    }

    static String proto(String what) {
        return "-ERR Protocol error: " + what;
    }

    static Stream<Arguments> malformed() {
        String big = "9".repeat(70_000);
        return Stream.of(
                // multibulk counts
                row("non-digit multibulk count", "*x\r\n", proto("invalid multibulk length"), CLOSE),
                row("digits then letters", "*1a\r\n", proto("invalid multibulk length"), CLOSE),
                row("negative count is ignored like Redis", "*-5\r\nPING\r\n", NOAUTH, OPEN),
                row("zero count is ignored like Redis", "*0\r\nPING\r\n", NOAUTH, OPEN),
                row("count above 2^31", "*2147483648\r\n", proto("invalid multibulk length"), CLOSE),
                row("count overflowing 64 bits", "*99999999999999999999\r\n", proto("invalid multibulk length"), CLOSE),
                row("count with a plus sign", "*+1\r\n", proto("invalid multibulk length"), CLOSE),
                row("count with a space", "* 1\r\n", proto("invalid multibulk length"), CLOSE),
                row("pre-auth count above the limit", "*20\r\n", proto("unauthenticated multibulk length"), CLOSE),
                row(
                        "post-auth count above Redis's limit",
                        "{AUTH}*2000000\r\n",
                        "+OK",
                        proto("invalid multibulk length"),
                        CLOSE),
                row("count line without end past 64 KiB", "*" + big, proto("too big mbulk count string"), CLOSE),
                row("lone LF after the count", "*1\n$4\r\nPING\r\n", proto("invalid multibulk length"), CLOSE),
                // bulk lengths
                row("negative bulk length", "*1\r\n$-3\r\n", proto("invalid bulk length"), CLOSE),
                row("non-digit bulk length", "*1\r\n$abc\r\n", proto("invalid bulk length"), CLOSE),
                row("bulk length with a leading zero", "*1\r\n$04\r\nPING\r\n", proto("invalid bulk length"), CLOSE),
                row("empty bulk length", "*1\r\n$\r\n", proto("invalid bulk length"), CLOSE),
                row(
                        "pre-auth 100 MB bulk",
                        "*2\r\n$4\r\nAUTH\r\n$104857600\r\n",
                        proto("unauthenticated bulk length"),
                        CLOSE),
                row(
                        "post-auth bulk beyond 512 MB",
                        "{AUTH}*2\r\n$3\r\nGET\r\n$600000000\r\n",
                        "+OK",
                        proto("invalid bulk length"),
                        CLOSE),
                row(
                        "bulk length line without end past 64 KiB",
                        "*1\r\n$" + big,
                        proto("too big bulk count string"),
                        CLOSE),
                // element types where a command is expected
                row("simple string inside a command", "*1\r\n+a\r\n", proto("expected '$', got '+'"), CLOSE),
                row("nested array", "*1\r\n*1\r\n$4\r\nPING\r\n", proto("expected '$', got '*'"), CLOSE),
                row("integer element", "*1\r\n:1\r\n", proto("expected '$', got ':'"), CLOSE),
                row("RESP3 map", "*1\r\n%1\r\n", proto("expected '$', got '%'"), CLOSE),
                row("RESP3 set", "*1\r\n~1\r\n", proto("expected '$', got '~'"), CLOSE),
                row("RESP3 null", "*1\r\n_\r\n", proto("expected '$', got '_'"), CLOSE),
                row("RESP3 boolean", "*1\r\n#t\r\n", proto("expected '$', got '#'"), CLOSE),
                row("RESP3 double", "*1\r\n,1.5\r\n", proto("expected '$', got ','"), CLOSE),
                row("RESP3 big number", "*1\r\n(1\r\n", proto("expected '$', got '('"), CLOSE),
                row("RESP3 verbatim string", "*1\r\n=5\r\ntxt:a\r\n", proto("expected '$', got '='"), CLOSE),
                row("RESP3 attribute", "*1\r\n|1\r\n", proto("expected '$', got '|'"), CLOSE),
                row("RESP3 push", "*1\r\n>1\r\n", proto("expected '$', got '>'"), CLOSE),
                row(
                        "RESP3 map after authentication",
                        "{AUTH}*1\r\n%0\r\n",
                        "+OK",
                        proto("expected '$', got '%'"),
                        CLOSE),
                row(
                        "nested array after authentication",
                        "{AUTH}*2\r\n$3\r\nGET\r\n*1\r\n",
                        "+OK",
                        proto("expected '$', got '*'"),
                        CLOSE),
                // line endings and inline commands
                row("bytes after a bulk are skipped unchecked like Redis", "*1\r\n$4\r\nPINGxx", NOAUTH, OPEN),
                row("inline command ended by a lone LF", "PING\n", NOAUTH, OPEN),
                row("empty lines are ignored", "\r\n\n\r\nPING\r\n", NOAUTH, OPEN),
                row("unbalanced double quote", "GET \"a\r\n", proto("unbalanced quotes in request"), CLOSE),
                row("unbalanced single quote", "AUTH 'a\r\n", proto("unbalanced quotes in request"), CLOSE),
                row(
                        "closing quote followed by a letter",
                        "GET \"a\"b\r\n",
                        proto("unbalanced quotes in request"),
                        CLOSE),
                row("inline line without end past 64 KiB", "A".repeat(70_000), proto("too big inline request"), CLOSE),
                row(
                        "inline command with too many arguments",
                        "AUTH a b c d e f g h i\r\n",
                        proto("unauthenticated multibulk length"),
                        CLOSE),
                row("binary garbage with a LF", "\u00ff\u00fe\u0000\u0001\n", NOAUTH, OPEN),
                row("AUTH with too many arguments", "AUTH a b c\r\n", "-ERR syntax error", OPEN),
                row("QUIT in the middle of a pipeline", "PING\r\nQUIT\r\nPING\r\n", NOAUTH, "+OK", CLOSE),
                row(
                        "CR LF inside a quoted argument is not echoed as a frame",
                        "*3\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$8\r\nFOO\r\n+OK\r\nPING\r\n",
                        "-ERR Syntax error in HELLO option 'FOO  +OK'",
                        NOAUTH,
                        OPEN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void isAnsweredAsDefinedAndDisturbsNoOne(String name, String input, List<String> expected) throws Exception {
        String raw = input.replace("{AUTH}", "AUTH " + h.token(h.alice) + "\r\n");
        int connectionsBefore = gw.connectionCount();
        try (RawClient c = new RawClient(port)) {
            c.send(raw);
            for (String e : expected) {
                if (e.equals(CLOSE)) {
                    assertThat(c.closedByServer()).as("closed").isTrue();
                } else if (e.equals(OPEN)) {
                    c.timeout(300);
                    assertThat(c.closedByServer())
                            .as("still open, nothing more to read")
                            .isFalse();
                } else {
                    assertThat(c.line()).isEqualTo(e);
                }
            }
        }
        try (RawClient other = new RawClient(port)) {
            other.send("PING\r\n");
            assertThat(other.line()).isEqualTo(NOAUTH);
        }
        assertThat(bystander.call("INCR", "malformed:bystander")).isEqualTo(++bystanderCount);
        await().atMost(Duration.ofSeconds(10)).until(() -> gw.connectionCount() <= connectionsBefore);
    }

    @Test
    void theCaseTableHasAtLeastThirtyDistinctCases() {
        List<Arguments> rows = malformed().toList();
        assertThat(rows).hasSizeGreaterThanOrEqualTo(30);
        assertThat(rows.stream().map(a -> a.get()[0]).distinct()).hasSameSizeAs(rows);
    }

    /**
     * Bounded memory: a client streaming an endless line (no LF) or an endless bulk header is cut off after about
     * the 64 KiB inline limit, however much it tries to send; the gateway never buffers the stream.
     */
    @Test
    void anEndlessStreamIsCutOffAfterTheInlineLimitNotBuffered() throws Exception {
        for (String prefix : new String[] {"", "*1\r\n$", "*1\r\n$4\r\nPING\r\n*"}) {
            long written = 0;
            byte[] chunk = "7".repeat(8192).getBytes(StandardCharsets.US_ASCII);
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                out.write(prefix.getBytes(StandardCharsets.US_ASCII));
                try {
                    while (written < 64L * 1024 * 1024) {
                        out.write(chunk);
                        written += chunk.length;
                    }
                } catch (IOException e) {
                    // the gateway closed the connection: expected
                }
                assertThat(written).as("bytes accepted before the close").isLessThan(16L * 1024 * 1024);
            }
        }
        assertThat(bystander.call("INCR", "malformed:bystander")).isEqualTo(++bystanderCount);
    }
}
