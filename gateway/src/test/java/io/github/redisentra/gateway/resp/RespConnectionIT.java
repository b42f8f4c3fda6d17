package io.github.redisentra.gateway.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.gateway.tls.TrustMaterial;
import io.github.redisentra.testkit.RedisServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The blocking RESP client of the probes against a real redis-server, in plaintext and over TLS, in RESP2 and RESP3,
 * and its errors: refused, silent server, closed connection, TLS failures, error replies, replies over the decoder's
 * limits.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RespConnectionIT {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static RedisServer redis;
    static SSLContext trustingRedisCa;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.builder()
                .tls()
                .disableDefaultUser()
                .name("resp-connection-it")
                .start();
        trustingRedisCa = TrustMaterial.load(Optional.of(redis.caFile())).sslContext();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    private static void authenticate(RespConnection c) throws IOException {
        assertThat(c.call("AUTH", redis.adminUsername(), redis.adminPassword())).isEqualTo("OK");
    }

    @Test
    void plaintextCommandsAndTheirDecodedReplies() throws Exception {
        try (RespConnection c = RespConnection.open(RedisServer.HOST, redis.port(), null, null, TIMEOUT)) {
            assertThat(c.address()).isEqualTo(RedisServer.HOST + ":" + redis.port());
            authenticate(c);
            assertThat(c.call("PING")).isEqualTo("PONG");
            assertThat(c.call("DEL", "rc:list", "rc:s")).isInstanceOf(Long.class);
            assertThat(c.call("SET", "rc:s", "h\u00e9\r\nllo")).isEqualTo("OK");
            assertThat(c.call("GET", "rc:s")).isEqualTo("h\u00e9\r\nllo");
            assertThat(c.call("GET", "rc:missing")).isNull();
            assertThat(c.call("RPUSH", "rc:list", "a", "b")).isEqualTo(2L);
            assertThat(c.call("LRANGE", "rc:list", "0", "-1")).isEqualTo(List.of("a", "b"));
        }
    }

    @Test
    void resp3RepliesDecodeToMapsListsAndScalars() throws Exception {
        try (RespConnection c = RespConnection.open(RedisServer.HOST, redis.port(), null, null, TIMEOUT)) {
            authenticate(c);
            assertThat(c.call("HELLO", "3"))
                    .isInstanceOfSatisfying(
                            Map.class,
                            hello ->
                                    assertThat(hello).containsEntry("proto", 3L).containsEntry("server", "redis"));
            c.call("DEL", "rc3:h", "rc3:set", "rc3:z");
            assertThat(c.call("HSET", "rc3:h", "f", "vé")).isEqualTo(1L);
            assertThat(c.call("HGETALL", "rc3:h")).isEqualTo(Map.of("f", "vé"));
            assertThat(c.call("SADD", "rc3:set", "a")).isEqualTo(1L);
            assertThat(c.call("SMEMBERS", "rc3:set")).isEqualTo(List.of("a"));
            assertThat(c.call("ZADD", "rc3:z", "1.5", "m")).isEqualTo(1L);
            assertThat(c.call("ZSCORE", "rc3:z", "m")).isEqualTo(1.5);
            assertThat(c.call("GET", "rc3:missing")).isNull();
            assertThatThrownBy(() -> c.call("NO-SUCH-COMMAND"))
                    .isInstanceOfSatisfying(
                            RespConnection.ErrorReply.class,
                            e -> assertThat(e.reply()).startsWith("ERR unknown command"));
            assertThat(c.call("PING")).isEqualTo("PONG");
        }
    }

    /** A server that answers the first command with {@code chunks}, flushing each, then waits for the client. */
    private static Thread answering(ServerSocket server, String... chunks) {
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                s.getInputStream().read();
                for (String chunk : chunks) {
                    s.getOutputStream().write(chunk.getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                }
                s.getInputStream().read(new byte[64]); // until the client closes
            } catch (IOException e) {
                // the client went away
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aReplyIsGatheredHoweverItsBytesArrive() throws Exception {
        String reply = "*3\r\n$5\r\nhello\r\n:7\r\n*1\r\n$-1\r\n";
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            answering(server, reply.split("(?<=.)"));
            try (RespConnection c = RespConnection.open(RedisServer.HOST, server.getLocalPort(), null, null, TIMEOUT)) {
                assertThat(c.call("PING")).isEqualTo(List.of("hello", 7L, java.util.Arrays.asList((Object) null)));
            }
        }
    }

    @Test
    void aStringOverTheLimitIsRefusedOnItsHeaderWithoutWaitingForItsBytes() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            answering(server, "*2\r\n:1\r\n$100000000\r\nabc");
            try (RespConnection c = RespConnection.open(RedisServer.HOST, server.getLocalPort(), null, null, TIMEOUT)) {
                assertThatThrownBy(() -> c.call("PING"))
                        .isInstanceOf(IOException.class)
                        .hasMessage("PING to " + c.address()
                                + " failed: string reply of 100000000 bytes is over the limit of 67108864 bytes");
                // the rest of that reply must not be taken for the next command's: the connection is closed
                assertThatThrownBy(() -> c.call("PING"))
                        .isInstanceOf(IOException.class)
                        .hasMessageStartingWith("PING to " + c.address() + " failed: ");
            }
        }
    }

    @Test
    void aReplyNestedTooDeeplyIsRefused() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            answering(server, "*1\r\n".repeat(40));
            try (RespConnection c = RespConnection.open(RedisServer.HOST, server.getLocalPort(), null, null, TIMEOUT)) {
                assertThatThrownBy(() -> c.call("PING"))
                        .isInstanceOf(IOException.class)
                        .hasMessage("PING to " + c.address() + " failed: reply nested deeper than 16 levels");
            }
        }
    }

    @Test
    void anErrorReplyIsAnErrorReplyAndTheConnectionStaysUsable() throws Exception {
        try (RespConnection c = RespConnection.open(RedisServer.HOST, redis.port(), null, null, TIMEOUT)) {
            assertThatThrownBy(() -> c.call("PING"))
                    .isInstanceOf(RespConnection.ErrorReply.class)
                    .hasMessageStartingWith("PING refused by " + c.address() + ": -NOAUTH");
            authenticate(c);
            assertThatThrownBy(() -> c.call("NO-SUCH-COMMAND", "x"))
                    .isInstanceOfSatisfying(
                            RespConnection.ErrorReply.class,
                            e -> assertThat(e.reply()).startsWith("ERR unknown command"));
            assertThat(c.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void aRefusedPasswordIsNotInTheMessage() throws Exception {
        String wrong = "not-the-password-" + System.nanoTime();
        try (RespConnection c = RespConnection.open(RedisServer.HOST, redis.port(), null, null, TIMEOUT)) {
            assertThatThrownBy(() -> c.call("AUTH", redis.adminUsername(), wrong))
                    .isInstanceOf(RespConnection.ErrorReply.class)
                    .hasMessageStartingWith("AUTH refused by " + c.address() + ": -WRONGPASS")
                    .hasMessageNotContaining(wrong);
        }
    }

    @Test
    void tlsWithTheCacheNameAndTheCa() throws Exception {
        try (RespConnection c =
                RespConnection.open(RedisServer.HOST, redis.tlsPort(), trustingRedisCa, "localhost", TIMEOUT)) {
            authenticate(c);
            assertThat(c.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void tlsFailuresNameTheHandshake() throws Exception {
        String prefix = "TLS handshake with " + RedisServer.HOST + ":" + redis.tlsPort() + " (verifying host name ";
        // a certificate that does not name the host
        assertThatThrownBy(() -> RespConnection.open(
                                RedisServer.HOST, redis.tlsPort(), trustingRedisCa, "not-the-cache.example", TIMEOUT)
                        .close())
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(prefix + "not-the-cache.example) failed: ");
        // a CA the JVM's anchors do not include
        SSLContext jvmOnly = TrustMaterial.load(Optional.empty()).sslContext();
        assertThatThrownBy(() -> RespConnection.open(RedisServer.HOST, redis.tlsPort(), jvmOnly, "localhost", TIMEOUT)
                        .close())
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(prefix + "localhost) failed: ");
        // TLS towards a plaintext port
        assertThatThrownBy(
                        () -> RespConnection.open(RedisServer.HOST, redis.port(), trustingRedisCa, "localhost", TIMEOUT)
                                .close())
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("TLS handshake with " + RedisServer.HOST + ":" + redis.port());
    }

    @Test
    void aClosedPortIsRefused() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        assertThatThrownBy(() -> RespConnection.open(RedisServer.HOST, closed, null, null, TIMEOUT))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot connect to " + RedisServer.HOST + ":" + closed + ": ")
                .hasMessageContaining("refused");
    }

    @Test
    void aSilentServerTimesOutAndAClosingOneIsNamed() throws Exception {
        Duration short_ = Duration.ofMillis(300);
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            // the kernel completes the TCP handshake from the backlog; nobody ever answers
            String address = RedisServer.HOST + ":" + silent.getLocalPort();
            try (RespConnection c = RespConnection.open(RedisServer.HOST, silent.getLocalPort(), null, null, short_)) {
                assertThatThrownBy(() -> c.call("PING"))
                        .isInstanceOf(IOException.class)
                        .hasMessage("no reply to PING from " + address + " within 300 ms");
            }
            assertThatThrownBy(() -> RespConnection.open(
                                    RedisServer.HOST, silent.getLocalPort(), trustingRedisCa, "localhost", short_)
                            .close())
                    .isInstanceOf(IOException.class)
                    .hasMessage("TLS handshake with " + address
                            + " (verifying host name localhost) failed: no answer within 300 ms");
        }
        try (ServerSocket closing = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = closing.accept()) {
                    s.getInputStream().read();
                } catch (IOException e) {
                    // the client went away
                }
            });
            t.setDaemon(true);
            t.start();
            try (RespConnection c =
                    RespConnection.open(RedisServer.HOST, closing.getLocalPort(), null, null, TIMEOUT)) {
                assertThatThrownBy(() -> c.call("PING"))
                        .isInstanceOf(IOException.class)
                        .hasMessage("PING to " + c.address() + " failed: connection closed by the server");
            }
        }
    }
}
