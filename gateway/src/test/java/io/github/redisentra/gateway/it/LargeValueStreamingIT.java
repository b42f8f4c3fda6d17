package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.GatewayServer;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Large values are streamed to the cache after authentication, never buffered whole: a 100 MB {@code SET} goes
 * through while the most client input the gateway held at once stays a few hundred KiB (frame remainder plus the
 * upstream write buffer), as reported by the gateway itself.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LargeValueStreamingIT {
    static final int SIZE = 100 * 1024 * 1024;
    static final int CHUNK = 1024 * 1024;
    /** What the gateway may hold at once: a few socket reads plus the upstream high-water mark, far below SIZE. */
    static final long MAX_HELD = 2L * 1024 * 1024;

    static GatewayHarness h;
    static GatewayServer gw;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Duration.ofMinutes(10), false);
        gw = h.startGateway(GatewayHarness.sessionSettings(), new CountingEvents());
        port = gw.localAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aHundredMegabyteSetIsStreamedUpstreamNotBuffered() throws Exception {
        try (RawClient c = new RawClient(port);
                Socket raw = new Socket("127.0.0.1", port)) {
            c.timeout(120_000);
            c.send("AUTH " + h.token(h.alice) + "\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            byte[] chunk = new byte[CHUNK];
            Arrays.fill(chunk, (byte) 'v');
            chunk[0] = 'a'; // a recognisable first and last byte of the value
            // pipelined ahead of and behind the big command: replies must stay in order
            c.send("SET before 1\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + SIZE + "\r\n");
            for (int sent = 0; sent < SIZE; sent += CHUNK) {
                if (sent + CHUNK == SIZE) {
                    chunk = chunk.clone();
                    chunk[CHUNK - 1] = 'z';
                }
                c.sendBytes(chunk);
            }
            c.send("\r\nGET before\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("$1");
            assertThat(c.line()).isEqualTo("1");
            c.send("STRLEN big\r\nGETRANGE big 0 1\r\nGETRANGE big -2 -1\r\n");
            assertThat(c.line()).isEqualTo(":" + SIZE);
            assertThat(c.line()).isEqualTo("$2");
            assertThat(c.line()).isEqualTo("av");
            assertThat(c.line()).isEqualTo("$2");
            assertThat(c.line()).isEqualTo("vz");
            c.send("DEL big\r\n");
            assertThat(c.line()).isEqualTo(":1");

            long held = gw.largestClientInputBacklogBytes();
            org.slf4j.LoggerFactory.getLogger(LargeValueStreamingIT.class)
                    .info("most client input one session held while a {} byte value passed: {} bytes", SIZE, held);
            assertThat(held)
                    .as("most client input the gateway held at once")
                    .isPositive()
                    .isLessThan(MAX_HELD);

            // before authentication the same header is refused at once, nothing buffered
            OutputStream out = raw.getOutputStream();
            out.write(("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + SIZE + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String reply = new String(raw.getInputStream().readNBytes(60), StandardCharsets.US_ASCII);
            assertThat(reply).startsWith("-ERR Protocol error: unauthenticated bulk length");
        }
    }

    @Test
    void aLargeAuthArgumentIsNeverStreamedUpstream() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send("AUTH " + h.token(h.alice) + "\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            // 200 KiB password on an authenticated connection: buffered (within the limit) and judged locally
            String big = "x".repeat(200 * 1024);
            c.send("*2\r\n$4\r\nAUTH\r\n$" + big.length() + "\r\n" + big + "\r\nPING\r\n");
            assertThat(c.line()).startsWith("-WRONGPASS");
            assertThat(c.line()).isEqualTo("+PONG");
        }
    }
}
