package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.ConnectionLimits;
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What an unauthenticated client can make the gateway hold, over real loopback sockets: the flood of the security
 * review (300 sockets, each {@code *10} plus nine full 64 KiB arguments and a partial tenth) is cut at the
 * per-connection budget ({@code PREAUTH_MAX_BYTES}) while a client from another address signs in and is served; a
 * flood that stays just under the budget is capped by {@code MAX_UNAUTHENTICATED_PER_ADDRESS}; {@code MAX_CLIENTS}
 * answers Redis's own error. Memory is read from the gateway's accounting (the largest input one session held) and
 * from Netty's allocator (the gateway's buffers), not from the noisy RSS of the test JVM (printed for reference).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@ExtendWith(NettyLeakCheck.class)
class ClientAdmissionIT {
    static final int FLOOD_SOCKETS = 300;
    static final int ARG = 64 * 1024;
    /** One socket read can land on top of the budget before the framer sees it. */
    static final int READ = 64 * 1024;
    /** The configuration's defaults (PREAUTH_MAX_ARGS, PREAUTH_MAX_BULK_BYTES, PREAUTH_MAX_BYTES). */
    static final RequestLimits PRE_AUTH = new RequestLimits(
            10, ARG, RequestLimits.REDIS_INLINE_MAX, false, RequestLimits.PRE_AUTH_HELD_BYTES_DEFAULT);

    static GatewayHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Duration.ofMinutes(10), false);
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    GatewayServer gateway(ConnectionLimits limits, CountingEvents events) throws InterruptedException {
        return h.startGateway(
                GatewaySettings.loopback(0)
                        .withSession(GatewayHarness.sessionSettings()
                                .withAuthDeadline(Duration.ofSeconds(60))
                                .withLimits(PRE_AUTH, RequestLimits.AUTHENTICATED_DEFAULT))
                        .withDrainTimeout(Duration.ofSeconds(2))
                        .withConnectionLimits(limits),
                events,
                h.endpoint());
    }

    /** {@code *10}, {@code full} complete 64 KiB arguments, then the header of the next one and {@code partial} bytes. */
    static byte[] partialCommand(int full, int partial) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] value = new byte[ARG];
        Arrays.fill(value, (byte) 'x');
        b.writeBytes("*10\r\n".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < full; i++) {
            b.writeBytes(("$" + ARG + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(value);
            b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        b.writeBytes(("$" + ARG + "\r\n").getBytes(StandardCharsets.US_ASCII));
        b.write(value, 0, partial);
        return b.toByteArray();
    }

    /**
     * Opens {@code n} sockets from 127.0.0.1 and writes {@code bytes} on each until written, refused or closed by the
     * gateway (non-blocking: a socket the gateway stopped reading does not stall the others).
     */
    static List<SocketChannel> flood(int port, int n, byte[] bytes) throws IOException {
        List<SocketChannel> sockets = new ArrayList<>();
        List<ByteBuffer> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SocketChannel s = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
            s.configureBlocking(false);
            sockets.add(s);
            pending.add(ByteBuffer.wrap(bytes));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean progress = true;
        int idleRounds = 0;
        while (System.nanoTime() < deadline && idleRounds < 200) {
            progress = false;
            for (int i = 0; i < n; i++) {
                ByteBuffer b = pending.get(i);
                if (b == null || !b.hasRemaining()) {
                    continue;
                }
                try {
                    if (sockets.get(i).write(b) > 0) {
                        progress = true;
                    }
                } catch (IOException closedByGateway) {
                    pending.set(i, null);
                }
            }
            idleRounds = progress ? 0 : idleRounds + 1;
            if (!progress) {
                try {
                    Thread.sleep(10); // only to pace the polling of non-blocking writes, not to synchronise
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return sockets;
    }

    static long directMemory() {
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p
                ? p.metric().usedDirectMemory()
                : 0;
    }

    static long rss() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    static void signInAndPing(RawClient c) throws IOException {
        String t = h.token(h.alice);
        c.send("*2\r\n$4\r\nAUTH\r\n$" + t.length() + "\r\n" + t + "\r\n*1\r\n$4\r\nPING\r\n");
        assertThat(c.line()).isEqualTo("+OK");
        assertThat(c.line()).isEqualTo("+PONG");
    }

    static void closeAll(List<SocketChannel> sockets) {
        for (SocketChannel s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // best effort
            }
        }
    }

    @Test
    void floodOfNineFullArgumentsIsCutAtTheBudgetWhileAnotherClientIsServed() throws Exception {
        CountingEvents events = new CountingEvents();
        GatewayServer gw = gateway(ConnectionLimits.DEFAULTS, events);
        int port = gw.localAddress().getPort();
        long directBefore = directMemory();
        long rssBefore = rss();
        List<SocketChannel> sockets = flood(port, FLOOD_SOCKETS, partialCommand(9, 1000));
        try {
            long directAfter = directMemory();
            long held = gw.largestClientInputBacklogBytes();
            System.out.printf(
                    "flood of %d x %d bytes: largest input held by one unauthenticated session %d bytes;"
                            + " Netty direct memory %+d KiB; test JVM RSS %+d MiB%n",
                    FLOOD_SOCKETS,
                    partialCommand(9, 1000).length,
                    held,
                    (directAfter - directBefore) >> 10,
                    (rss() - rssBefore) >> 20);
            assertThat(held)
                    .as("bytes one unauthenticated connection made the gateway hold")
                    .isLessThanOrEqualTo(RequestLimits.PRE_AUTH_HELD_BYTES_DEFAULT + READ);
            assertThat(directAfter - directBefore).as("direct memory added").isLessThan(64L << 20);
            try (RawClient other = new RawClient("127.0.0.2", port)) {
                signInAndPing(other);
            }
            // every flood connection was answered and closed: none is left holding its bytes
            await().atMost(Duration.ofSeconds(30)).until(() -> gw.connectionCount() == 0);
        } finally {
            closeAll(sockets);
        }
    }

    @Test
    void floodJustUnderTheBudgetIsCappedPerAddressWhileAnotherAddressIsServed() throws Exception {
        CountingEvents events = new CountingEvents();
        int cap = 64;
        GatewayServer gw = gateway(new ConnectionLimits(10_000, cap), events);
        int port = gw.localAddress().getPort();
        long directBefore = directMemory();
        byte[] underBudget = partialCommand(1, 10_000); // ~75 KiB, below the 80 KiB budget: held until the deadline
        List<SocketChannel> sockets = flood(port, FLOOD_SOCKETS, underBudget);
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> gw.unauthenticatedCount() == cap);
            assertThat(gw.connectionCount()).isEqualTo(cap);
            assertThat(events.refused("unauthenticated_per_address")).isEqualTo(FLOOD_SOCKETS - cap);
            long directAfter = directMemory();
            System.out.printf(
                    "%d sockets x %d bytes, %d admitted: Netty direct memory %+d KiB%n",
                    FLOOD_SOCKETS, underBudget.length, cap, (directAfter - directBefore) >> 10);
            assertThat(directAfter - directBefore).as("direct memory added").isLessThan(64L << 20);
            // the same address is refused with a clear error; another address signs in and is served
            try (RawClient same = new RawClient("127.0.0.1", port)) {
                assertThat(same.line())
                        .startsWith("-ERR too many unauthenticated connections from 127.0.0.1 (limit 64,"
                                + " MAX_UNAUTHENTICATED_PER_ADDRESS)");
                assertThat(same.closedByServer()).isTrue();
            }
            try (RawClient other = new RawClient("127.0.0.2", port)) {
                signInAndPing(other);
            }
        } finally {
            closeAll(sockets);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.unauthenticatedCount() == 0);
    }

    @Test
    void signingInFreesTheUnauthenticatedPlaceOfItsAddress() throws Exception {
        CountingEvents events = new CountingEvents();
        GatewayServer gw = gateway(new ConnectionLimits(10_000, 2), events);
        int port = gw.localAddress().getPort();
        try (RawClient a = new RawClient(port);
                RawClient b = new RawClient(port)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> gw.unauthenticatedCount() == 2);
            try (RawClient c = new RawClient(port)) {
                assertThat(c.line()).startsWith("-ERR too many unauthenticated connections from 127.0.0.1");
            }
            signInAndPing(a);
            assertThat(gw.unauthenticatedCount()).isEqualTo(1);
            try (RawClient c = new RawClient(port)) {
                c.send("PING\r\n");
                assertThat(c.line()).isEqualTo("-NOAUTH Authentication required.");
            }
        }
    }

    @Test
    void maxClientsAnswersRedisErrorAndAdmitsAgainWhenOneCloses() throws Exception {
        CountingEvents events = new CountingEvents();
        GatewayServer gw = gateway(new ConnectionLimits(3, 0), events);
        int port = gw.localAddress().getPort();
        RawClient first = new RawClient(port);
        try (RawClient b = new RawClient(port);
                RawClient c = new RawClient(port)) {
            signInAndPing(first);
            // connections are admitted on their event loops: let all three in before the one too many
            await().atMost(Duration.ofSeconds(10)).until(() -> gw.connectionCount() == 3);
            try (RawClient over = new RawClient(port)) {
                assertThat(over.line()).isEqualTo("-ERR max number of clients reached");
                assertThat(over.closedByServer()).isTrue();
            }
            assertThat(events.refused("max_clients")).isEqualTo(1);
            first.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> gw.connectionCount() == 2);
            try (RawClient again = new RawClient(port)) {
                signInAndPing(again);
            }
        } finally {
            first.close();
        }
    }

    @Test
    void overTlsTheRefusalIsReadableAfterTheHandshake() throws Exception {
        io.github.redisentra.testkit.TestCertificateAuthority ca =
                io.github.redisentra.testkit.TestCertificateAuthority.create("admission-listener-ca");
        io.github.redisentra.testkit.TestCertificate cert = ca.issueServerCertificate();
        io.netty.handler.ssl.SslContext serverTls = io.netty.handler.ssl.SslContextBuilder.forServer(
                        cert.privateKey(), cert.chain().toArray(new java.security.cert.X509Certificate[0]))
                .sslProvider(io.github.redisentra.gateway.tls.TlsContexts.provider())
                .build();
        CountingEvents events = new CountingEvents();
        GatewayServer gw = h.startGateway(
                GatewaySettings.loopback(0)
                        .withSession(GatewayHarness.sessionSettings())
                        .withListenerTls(serverTls)
                        .withDrainTimeout(Duration.ofSeconds(2))
                        .withConnectionLimits(new ConnectionLimits(1, 0)),
                events,
                h.endpoint());
        javax.net.ssl.SSLSocketFactory tls = ca.trustingSslContext().getSocketFactory();
        try (java.net.Socket first =
                tls.createSocket("localhost", gw.localAddress().getPort())) {
            ((javax.net.ssl.SSLSocket) first).startHandshake();
            // connections are admitted on their event loops: let the first in before the one too many
            await().atMost(Duration.ofSeconds(10)).until(() -> gw.connectionCount() == 1);
            java.net.Socket over =
                    tls.createSocket("localhost", gw.localAddress().getPort());
            over.setSoTimeout(20_000);
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(over.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("-ERR max number of clients reached");
            assertThat(in.read()).as("then closed").isEqualTo(-1);
            over.close();
        }
        assertThat(events.refused("max_clients")).isEqualTo(1);
    }
}
