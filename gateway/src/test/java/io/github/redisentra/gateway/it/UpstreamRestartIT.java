package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.testkit.RedisCli;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The upstream redis-server is killed (SIGKILL) and restarted (three times) while clients pipeline commands through the gateway:
 * every affected client gets a clear {@code -ERR upstream unavailable …} (never a wrong or missing reply), new
 * connections fail the same way while it is down and work at the first attempt once it is back, and afterwards no
 * client or upstream channel is left open and no buffer leaked ({@link NettyLeakCheck}, paranoid detector).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(NettyLeakCheck.class)
class UpstreamRestartIT {
    static final int CLIENTS = 6;
    static final int DEPTH = 8;
    static final int CYCLES = 3;

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

    /** One client: connect, AUTH, pipelined INCRs on its own key; on a failure, note the error and reconnect. */
    final class Worker implements Runnable {
        final String key;
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong acknowledgedSinceRestart = new AtomicLong();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> silentCloses = new ConcurrentLinkedQueue<>();

        Worker(int i) {
            this.key = "restart:" + i;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(20_000);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    out.write(RedisCli.encode("AUTH", h.token(h.alice)));
                    if (!expectOk(RawLines.line(in))) {
                        continue;
                    }
                    while (!stop.get()) {
                        try {
                            for (int k = 0; k < DEPTH; k++) {
                                out.write(RedisCli.encode("INCR", key));
                            }
                            out.flush();
                        } catch (IOException e) {
                            // The gateway already failed this connection (broken pipe): its error line is still
                            // there to read, as for any client that writes before it reads.
                        }
                        for (int k = 0; k < DEPTH; k++) {
                            String l = RawLines.line(in);
                            if (l.startsWith(":")) {
                                acknowledged.incrementAndGet();
                                if (restarted.get()) {
                                    acknowledgedSinceRestart.incrementAndGet();
                                }
                            } else {
                                record(l);
                                throw new EOFException("after error");
                            }
                        }
                    }
                } catch (EOFException e) {
                    if (!"after error".equals(e.getMessage())) {
                        silentCloses.add(e.toString());
                    }
                } catch (IOException e) {
                    silentCloses.add(e.toString());
                }
                sleep(50);
            }
        }

        private boolean expectOk(String l) {
            if (l.equals("+OK")) {
                return true;
            }
            record(l);
            return false;
        }

        private void record(String l) {
            if (l.startsWith("-ERR upstream unavailable")) {
                errors.add(l);
            } else {
                unexpected.add(l);
            }
        }
    }

    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicBoolean restarted = new AtomicBoolean();

    @Test
    void killedAndRestartedUnderLoadClientsGetAClearErrorAndNewConnectionsWorkWhenItIsBack() throws Exception {
        List<Worker> workers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            Worker w = new Worker(i);
            workers.add(w);
            Thread t = new Thread(w, "restart-client-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        try {
            for (int cycle = 1; cycle <= CYCLES; cycle++) {
                restarted.set(false);
                workers.forEach(w -> w.acknowledgedSinceRestart.set(0));
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> workers.stream().allMatch(w -> w.acknowledged.get() >= 50));
                int errorsSoFar =
                        workers.stream().mapToInt(w -> w.errors.size()).min().orElse(0);

                h.redis.crash();
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> workers.stream().allMatch(w -> w.errors.size() > errorsSoFar));
                // While it is down, a new client is told so clearly.
                try (RawClient c = new RawClient(port)) {
                    c.send("AUTH " + h.token(h.bob) + "\r\n");
                    assertThat(c.line()).startsWith("-ERR upstream unavailable: cannot connect to the cache");
                    assertThat(c.closedByServer()).isTrue();
                }

                h.redis.restart();
                h.cache.reapply();
                restarted.set(true);
                // Back: the very first attempt of a new client works.
                try (RawClient c = new RawClient(port)) {
                    c.send("AUTH " + h.token(h.bob) + "\r\nSET restart:probe " + cycle + "\r\nGET restart:probe\r\n");
                    assertThat(c.line()).isEqualTo("+OK");
                    assertThat(c.line()).isEqualTo("+OK");
                    assertThat(c.line()).isEqualTo("$1");
                    assertThat(c.line()).isEqualTo(String.valueOf(cycle));
                }
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> workers.stream().allMatch(w -> w.acknowledgedSinceRestart.get() >= 50));
            }
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
        for (Worker w : workers) {
            assertThat(w.unexpected)
                    .as("replies other than INCR results and the upstream error")
                    .isEmpty();
            assertThat(w.errors).allSatisfy(e -> assertThat(e).startsWith("-ERR upstream unavailable"));
            assertThat(w.silentCloses)
                    .as("connections closed without an error line")
                    .isEmpty();
        }
        // Nothing left open: every client session and upstream connection is gone.
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.connectionCount() == 0);
        await().atMost(Duration.ofSeconds(20)).until(() -> h.upstreamConnections() == 0);
    }

    /**
     * A client that pipelined more than the gateway read (its commands wait unread in the gateway's socket, the
     * upstream blocked) still receives the error line when its upstream connection is lost.
     */
    @Test
    void aClientWithUnreadPipelinedCommandsStillGetsTheErrorLine() throws Exception {
        for (int round = 0; round < 5; round++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(20_000);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                out.write(RedisCli.encode("AUTH", h.token(h.alice)));
                assertThat(RawLines.line(in)).isEqualTo("+OK");
                // The upstream blocks on BLPOP; everything after it piles up (upstream output buffer full, the
                // gateway stops reading the client).
                out.write(RedisCli.encode("BLPOP", "restart:never", "0"));
                byte[] incr = RedisCli.encode("INCR", "restart:unread");
                byte[] batch = new byte[incr.length * 1000];
                for (int i = 0; i < 1000; i++) {
                    System.arraycopy(incr, 0, batch, i * incr.length, incr.length);
                }
                for (int i = 0; i < 20; i++) {
                    out.write(batch);
                }
                out.flush();
                sleep(300);
                h.redis.cli().call("CLIENT", "KILL", "USER", h.mi.objectId());
                sleep(300);
                String l;
                try {
                    l = RawLines.line(in);
                } catch (IOException e) {
                    throw new AssertionError("round " + round + ": no error line, " + e);
                }
                assertThat(l).startsWith("-ERR upstream unavailable");
            }
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads CRLF lines from a plain stream. */
    static final class RawLines {
        static String line(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
                    return sb.substring(0, sb.length() - 1);
                }
                sb.append((char) c);
            }
            throw new EOFException("closed after: " + sb);
        }
    }
}
