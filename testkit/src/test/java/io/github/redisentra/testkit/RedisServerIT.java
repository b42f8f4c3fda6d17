package io.github.redisentra.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RedisServerIT {

    @Test
    void plaintextServerAnswersAndIsGoneAfterClose() {
        RedisServer server = RedisServer.start();
        int port = server.port();
        Path dir = server.directory();
        try (RedisCli cli = server.connect()) {
            assertThat(cli.call("PING")).isEqualTo("PONG");
            assertThat(cli.call("SET", "k", "v")).isEqualTo("OK");
            assertThat(cli.call("GET", "k")).isEqualTo("v");
        }
        assertThat(server.cli().call("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
        assertThat(server.cli().call("CONFIG", "GET", "appendonly")).isEqualTo(List.of("appendonly", "no"));

        server.close();

        assertThat(server.isRunning()).isFalse();
        assertThat(dir).doesNotExist();
        assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress(RedisServer.HOST, port), 2000))
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void tlsOnlyServerServesJedisOverTlsAndHasNoPlaintextPort() {
        try (RedisServer server = RedisServer.builder().tlsOnly().start()) {
            assertThat(server.hasPlaintext()).isFalse();
            assertThatThrownBy(server::port).hasMessageContaining("no plaintext port");
            assertThat(server.tlsUri()).isEqualTo("rediss://127.0.0.1:" + server.tlsPort());
            assertThat(server.caCertificatePem()).startsWith("-----BEGIN CERTIFICATE-----");
            assertThat(server.caFile()).exists();
            assertThat(server.cli().call("CONFIG", "GET", "port")).isEqualTo(List.of("port", "0"));

            try (Jedis jedis = new Jedis(
                    new HostAndPort(server.host(), server.tlsPort()),
                    DefaultJedisClientConfig.builder()
                            .ssl(true)
                            .sslSocketFactory(server.trustingSslContext().getSocketFactory())
                            .build())) {
                assertThat(jedis.set("tls-key", "tls-value")).isEqualTo("OK");
                assertThat(jedis.get("tls-key")).isEqualTo("tls-value");
            }
        }
    }

    @Test
    void plaintextAndTlsPortsServeTheSameData() {
        try (RedisServer server = RedisServer.builder().tls().start();
                RedisCli plain = server.connect();
                RedisCli tls = server.connectTls()) {
            assertThat(server.port()).isNotEqualTo(server.tlsPort());
            plain.call("SET", "shared", "1");
            assertThat(tls.call("GET", "shared")).isEqualTo("1");
        }
    }

    @Test
    void requiredClientCertificateRefusesClientsWithoutOne() {
        try (RedisServer server = RedisServer.builder()
                .tlsOnly()
                .tlsAuthClients(RedisServer.TlsAuthClients.YES)
                .start()) {
            try (RedisCli withCert = server.connectTls()) {
                assertThat(withCert.call("PING")).isEqualTo("PONG");
            }
            // TLS 1.3: the server's rejection may surface at the handshake or at the first read.
            assertThatThrownBy(() -> {
                        try (RedisCli withoutCert =
                                RedisCli.connectTls(server.host(), server.tlsPort(), server.trustingSslContext())) {
                            withoutCert.call("PING");
                        }
                    })
                    .satisfiesAnyOf(
                            e -> assertThat(e).hasRootCauseInstanceOf(SSLException.class),
                            e -> assertThat(e).hasMessageContaining("connection closed"),
                            e -> assertThat(e).hasMessageContaining("Connection reset"),
                            e -> assertThat(e).hasMessageContaining("Broken pipe"));
        }
    }

    @Test
    void aclUserWorksAndWrongPasswordIsRefused() {
        try (RedisServer server = RedisServer.builder()
                .disableDefaultUser()
                .user("app", "app-secret")
                .userWithRules("reader", "on >reader-secret ~* +@read +@connection")
                .start()) {
            try (Jedis jedis = new Jedis(
                    new HostAndPort(server.host(), server.port()),
                    DefaultJedisClientConfig.builder()
                            .user("app")
                            .password("app-secret")
                            .build())) {
                assertThat(jedis.set("k", "v")).isEqualTo("OK");
                assertThat(jedis.aclWhoAmI()).isEqualTo("app");
            }
            // Jedis authenticates while connecting, so the refusal surfaces from the constructor.
            assertThatThrownBy(() -> new Jedis(
                                    new HostAndPort(server.host(), server.port()),
                                    DefaultJedisClientConfig.builder()
                                            .user("app")
                                            .password("not-the-password")
                                            .build())
                            .close())
                    .isInstanceOf(JedisAccessControlException.class)
                    .hasMessageContaining("WRONGPASS");
            try (RedisCli raw = server.connect()) {
                assertThatThrownBy(() -> raw.call("PING"))
                        .isInstanceOfSatisfying(
                                RedisErrorReply.class, e -> assertThat(e.code()).isEqualTo("NOAUTH"));
                assertThatThrownBy(() -> raw.call("AUTH", "default", ""))
                        .isInstanceOfSatisfying(
                                RedisErrorReply.class, e -> assertThat(e.code()).isEqualTo("WRONGPASS"));
                assertThat(raw.call("AUTH", "reader", "reader-secret")).isEqualTo("OK");
                assertThat(raw.call("GET", "k")).isEqualTo("v");
                assertThatThrownBy(() -> raw.call("SET", "k", "w"))
                        .isInstanceOfSatisfying(
                                RedisErrorReply.class, e -> assertThat(e.code()).isEqualTo("NOPERM"));
            }
        }
    }

    @Test
    void requirePassProtectsTheDefaultUser() {
        try (RedisServer server =
                        RedisServer.builder().requirePass("default-secret").start();
                RedisCli raw = server.connect()) {
            assertThatThrownBy(() -> raw.call("PING")).hasMessageStartingWith("NOAUTH");
            assertThat(raw.call("AUTH", "default-secret")).isEqualTo("OK");
            assertThat(raw.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void adminCliReconnectsAfterItsConnectionIsKilled() {
        try (RedisServer server = RedisServer.start()) {
            Object killed = server.cli().call("CLIENT", "KILL", "USER", server.adminUsername(), "SKIPME", "no");
            assertThat(killed).isEqualTo(1L);
            assertThat(server.cli().call("ACL", "WHOAMI")).isEqualTo(server.adminUsername());
        }
    }

    @Test
    void crashDropsConnectionsAndRestartComesBackOnTheSamePorts() {
        try (RedisServer server =
                RedisServer.builder().tls().user("app", "app-secret").start()) {
            int port = server.port();
            int tlsPort = server.tlsPort();
            long firstPid = server.pid();
            server.cli().call("ACL", "SETUSER", "runtime-user", "on", ">pw", "~*", "+@all");
            try (RedisCli client = server.connect()) {
                client.call("AUTH", "app", "app-secret");
                server.crash();
                assertThat(server.isRunning()).isFalse();
                assertThatThrownBy(() -> client.call("PING")).isInstanceOf(java.io.UncheckedIOException.class);
            }

            server.restart();

            assertThat(server.pid()).isNotEqualTo(firstPid);
            assertThat(server.port()).isEqualTo(port);
            assertThat(server.tlsPort()).isEqualTo(tlsPort);
            try (RedisCli client = server.connectTls()) {
                assertThat(client.call("AUTH", "app", "app-secret")).isEqualTo("OK");
                assertThatThrownBy(() -> client.call("AUTH", "runtime-user", "pw"))
                        .hasMessageStartingWith("WRONGPASS");
            }
            server.restart(); // also from a running server
            assertThat(server.cli().call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void badConfigurationFailsWithTheLogTailAndMasksPasswords() {
        assertThatThrownBy(() -> RedisServer.builder()
                        .userWithRules("broken", "on >hunter2-secret no-such-rule")
                        .start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code")
                .hasMessageContaining("Last lines of its log")
                .hasMessageContaining("no-such-rule")
                .hasMessageNotContaining("hunter2-secret");
    }

    @Test
    void missingRedisServerNamesThePackageToInstall() {
        assertThatThrownBy(() ->
                        RedisServer.locateExecutable(Map.of("PATH", "/nonexistent-bin"), new Properties(), List.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("redis-server was not found")
                .hasMessageContaining("apt-get install redis-server")
                .hasMessageContaining("REDIS_SERVER");
        assertThatThrownBy(() -> RedisServer.locateExecutable(
                        Map.of("REDIS_SERVER", "/nonexistent/redis-server"), new Properties(), List.of()))
                .hasMessageContaining("REDIS_SERVER is set to \"/nonexistent/redis-server\"")
                .hasMessageContaining("apt-get install redis-server");
        assertThatThrownBy(() -> RedisServer.builder()
                        .executable(Path.of("/nonexistent/redis-server"))
                        .start())
                .hasMessageContaining("apt-get install redis-server");
    }

    @Test
    void watchdogKillsTheServerWhenItsJvmIsKilled() throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(javaBin.toString(), "-cp", classpath, WatchdogChild.class.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            String ready = readReadyLine(child);
            assertThat(ready).as("child JVM output").startsWith("READY ");
            String[] parts = ready.split(" ", 3);
            long redisPid = Long.parseLong(parts[1]);
            Path dir = Path.of(parts[2]);
            assertThat(ProcessHandle.of(redisPid))
                    .hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
            assertThat(dir).exists();

            child.destroyForcibly(); // SIGKILL: no shutdown hook runs in the child
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(ProcessHandle.of(redisPid).map(ProcessHandle::isAlive))
                            .isNotEqualTo(java.util.Optional.of(true)));
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(Files.exists(dir)).isFalse());
        } finally {
            child.destroyForcibly();
        }
    }

    private static String readReadyLine(Process child) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("READY ")) {
                return line;
            }
        }
        return "child exited with " + (child.isAlive() ? "?" : child.exitValue()) + " before READY";
    }
}
