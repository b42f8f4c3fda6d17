package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.GatewayServer;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** Backpressure, loss of one upstream connection, the cache going away, graceful shutdown. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpstreamFaultsIT {
    static GatewayHarness h;
    static CountingEvents events = new CountingEvents();
    static GatewayServer gw;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Duration.ofMinutes(10), false);
        gw = h.startGateway(GatewayHarness.sessionSettings(), events);
        port = gw.localAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    private static long upstreamId(RawClient c) throws Exception {
        c.send("CLIENT ID\r\n");
        return Long.parseLong(c.line().substring(1));
    }

    @Test
    @Order(1)
    void aSlowReaderLeavesItsBacklogInTheCacheNotInTheGateway() throws Exception {
        int valueSize = 1024 * 1024;
        int count = 60;
        try (RawClient c = new RawClient(port)) {
            c.send("AUTH " + h.token(h.alice) + "\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            c.send("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + valueSize + "\r\n" + "v".repeat(valueSize) + "\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            long id = upstreamId(c);
            c.send("GET big\r\n".repeat(count)); // 60 MiB owed; the client reads nothing yet
            await().atMost(Duration.ofSeconds(30)).until(() -> outputMemoryInCache(id) > 8L * valueSize);
            assertThat(PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() + usedHeap())
                    .as("gateway buffers while the client does not read")
                    .isLessThan(40L * valueSize);
            for (int i = 0; i < count; i++) {
                assertThat(c.line()).isEqualTo("$" + valueSize);
                assertThat(c.read(valueSize + 2)).startsWith("vvvv").endsWith("v\r\n");
            }
            c.send("PING\r\n");
            assertThat(c.line()).isEqualTo("+PONG");
        }
    }

    private static long usedHeap() {
        return PooledByteBufAllocator.DEFAULT.metric().usedHeapMemory();
    }

    private static long outputMemoryInCache(long id) {
        String list = h.redis.cli().callString("CLIENT", "LIST", "ID", Long.toString(id));
        for (String field : list.trim().split(" ")) {
            if (field.startsWith("omem=")) {
                return Long.parseLong(field.substring(5));
            }
        }
        return 0;
    }

    @Test
    @Order(2)
    void losingOneUpstreamConnectionFailsOnlyThatClientWithAClearError() throws Exception {
        try (RawClient victim = new RawClient(port);
                RawClient bystander = new RawClient(port)) {
            String t = h.token(h.alice);
            victim.send("AUTH " + t + "\r\n");
            bystander.send("AUTH " + t + "\r\n");
            assertThat(victim.line()).isEqualTo("+OK");
            assertThat(bystander.line()).isEqualTo("+OK");
            long id = upstreamId(victim);
            h.redis.cli().call("CLIENT", "KILL", "ID", Long.toString(id));
            assertThat(victim.line()).startsWith("-ERR upstream unavailable: upstream connection closed");
            assertThat(victim.closedByServer()).isTrue();
            bystander.send("PING\r\n");
            assertThat(bystander.line()).isEqualTo("+PONG");
        }
        try (RawClient next = new RawClient(port)) {
            next.send("AUTH " + h.token(h.alice) + "\r\nPING\r\n");
            assertThat(next.line()).isEqualTo("+OK");
            assertThat(next.line()).isEqualTo("+PONG");
        }
    }

    @Test
    @Order(3)
    void shutdownDrainsOwedRepliesAndRefusesNewConnections() throws Exception {
        GatewayServer g = h.startGateway(GatewayHarness.sessionSettings(), new CountingEvents());
        int p = g.localAddress().getPort();
        try (RawClient c = new RawClient(p)) {
            c.send("AUTH " + h.token(h.alice) + "\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            c.send("DEL drain:l\r\nBLPOP drain:l 2\r\n"); // in flight while the gateway shuts down
            assertThat(c.line()).isEqualTo(":0");
            Thread closer = new Thread(g::close);
            closer.start();
            assertThat(c.line()).isEqualTo("*-1"); // BLPOP timed out normally: the owed reply was delivered
            assertThat(c.closedByServer()).isTrue();
            closer.join(20_000);
            assertThat(closer.isAlive()).isFalse();
        }
        assertThat(canConnect(p)).isFalse();
    }

    private static boolean canConnect(int p) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", p)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    @Order(4)
    void whenTheCacheIsDownAuthenticatedClientsGetAClearErrorAndTheGatewayKeepsRunning() throws Exception {
        try (RawClient live = new RawClient(port)) {
            live.send("AUTH " + h.token(h.alice) + "\r\n");
            assertThat(live.line()).isEqualTo("+OK");
            h.redis.close();
            assertThat(live.line()).startsWith("-ERR upstream unavailable");
            assertThat(live.closedByServer()).isTrue();
        }
        try (RawClient late = new RawClient(port)) {
            late.send("PING\r\nAUTH " + h.token(h.alice) + "\r\n");
            assertThat(late.line()).isEqualTo("-NOAUTH Authentication required.");
            String err = late.line();
            assertThat(err).startsWith("-ERR upstream unavailable: cannot connect to the cache");
            assertThat(err).doesNotContain("eyJ");
            assertThat(late.closedByServer()).isTrue();
        }
        assertThat(events.upstreamFailed.get()).isGreaterThanOrEqualTo(2);
    }
}
