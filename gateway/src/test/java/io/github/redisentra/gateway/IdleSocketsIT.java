package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 concurrent idle unauthenticated sockets against a gateway process with a small, fixed heap: all are held
 * open at once, every one is closed at the authentication deadline with the gateway's error line, the process's
 * resident memory per idle socket stays small, and the gateway serves an authenticated client afterwards.
 *
 * <p>The gateway runs as its own process so that the 10,000 client and 10,000 server sockets do not share one file
 * descriptor table; the test is skipped (with the reason) when the soft limit cannot hold them. Count:
 * {@code -Dgateway.idle.sockets=N} (default 10000).
 */
// 10,000 sockets and a resident-memory measurement: alone on the machine (the gateway pom's "serial" execution).
@Tag("serial")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class IdleSocketsIT {
    static final String GROUP = "aaaaaaaa-0000-4000-8000-0000000000c1";
    static final String DEADLINE_ERROR = "-ERR gateway: authentication timeout";
    /** Resident memory the gateway process may add per idle unauthenticated socket. */
    static final long MAX_BYTES_PER_IDLE_SOCKET = 24 * 1024;

    @TempDir
    Path dir;

    private static boolean listening(Path log, int port) throws IOException {
        String text = Files.readString(log, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("gateway listening on");
        return at >= 0 && text.indexOf(":" + port + " ", at) > at;
    }

    @Test
    void tenThousandIdleUnauthenticatedSocketsAreAllClosedAtTheDeadlineWithBoundedMemory() throws Exception {
        int n = Integer.getInteger("gateway.idle.sockets", 10_000);
        long limit = openFilesLimit();
        Assumptions.assumeTrue(
                limit >= n + 2_000L,
                "skipped: the open-files limit (" + limit + ") cannot hold " + n
                        + " sockets plus the JVM's own files; raise it with ulimit -n "
                        + (n + 2_000));

        try (EntraEmulator emu = EntraEmulator.builder().build().start();
                RedisServer redis =
                        RedisServer.builder().tlsOnly().name("idle-sockets").start()) {
            Tenant tenant = emu.createTenant("contoso");
            AppRegistration api = tenant.registerApp(
                    AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
            User alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
            ManagedIdentity mi = tenant.addManagedIdentity("gateway-mi");
            try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                    .objectId(mi.objectId())
                    .build()
                    .watch(emu)) {
                int listen = freePort();
                int admin = freePort();
                Path log = dir.resolve("gateway.log");
                ProcessBuilder pb = new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java")
                                        .toString(),
                                "-Xmx160m",
                                "-XX:MaxDirectMemorySize=64m",
                                "-Dlogback.configurationFile=" + IdleSocketsIT.class.getResource("/logback.xml"),
                                "-cp",
                                System.getProperty("java.class.path"),
                                "io.github.redisentra.gateway.Main")
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                Map<String, String> env = pb.environment();
                env.keySet().removeIf(k -> k.startsWith("AZURE_") || k.startsWith("IDENTITY_") || k.startsWith("MSI_"));
                env.put("TENANT_ID", tenant.id());
                env.put("EXPECTED_AUDIENCE", api.clientId());
                env.put("ALLOWED_GROUP_IDS", GROUP);
                env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
                env.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
                env.put(
                        "HTTPS_CA_FILE",
                        emu.writeCaCertificate(dir.resolve("ca.pem")).toString());
                env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.tlsPort());
                env.put("REDIS_CA_FILE", redis.caFile().toString());
                env.put("LISTEN_ADDR", "127.0.0.1:" + listen);
                env.put("ADMIN_ADDR", "127.0.0.1:" + admin);
                env.put("AUTH_TIMEOUT", "15s"); // opening 10,000 sockets takes ~4 s here; margin for slow machines
                // all n sockets come from 127.0.0.1 and stay unauthenticated: lift the per-address cap and make room
                // for them plus the authenticated client at the end
                env.put("MAX_UNAUTHENTICATED_PER_ADDRESS", "0");
                env.put("MAX_CLIENTS", Integer.toString(n + 10));
                env.put(
                        "LOCAL_REDIS_TOKEN",
                        emu.mintAccessToken(
                                TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE)));
                Process p = pb.start();
                List<SocketChannel> sockets = new ArrayList<>(n);
                try (Selector selector = Selector.open()) {
                    HttpClient http = HttpClient.newHttpClient();
                    URI readyz = URI.create("http://127.0.0.1:" + admin + "/readyz");
                    await().atMost(Duration.ofSeconds(60))
                            .ignoreExceptions()
                            .until(() -> http.send(
                                                    HttpRequest.newBuilder(readyz)
                                                            .build(),
                                                    HttpResponse.BodyHandlers.discarding())
                                            .statusCode()
                                    == 200);
                    // Free ports are picked before the gateway binds them: make sure the answers above came from
                    // our gateway (it logs its listener), not from another process that took the port meanwhile.
                    await().atMost(Duration.ofSeconds(30)).until(() -> !p.isAlive() || listening(log, listen));
                    assertThat(p.isAlive())
                            .as("the gateway process is running (see %s)", log)
                            .isTrue();
                    long rssBefore = rssBytes(p.pid());

                    long openStart = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        SocketChannel s = SocketChannel.open(new InetSocketAddress("127.0.0.1", listen));
                        s.configureBlocking(false);
                        s.register(selector, SelectionKey.OP_READ, new StringBuilder());
                        sockets.add(s);
                    }
                    double openSeconds = (System.nanoTime() - openStart) / 1e9;
                    // All held at once: the gateway counts them as open connections.
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> metric(http, admin, "redis_entra_gateway_client_connections") >= n);
                    long rssPeak = rssBytes(p.pid());
                    long perSocket = Math.max(0, rssPeak - rssBefore) / n;
                    System.out.printf(
                            "%d sockets opened in %.1f s; gateway RSS %d MiB -> %d MiB (%d bytes per idle socket)%n",
                            n, openSeconds, rssBefore >> 20, rssPeak >> 20, perSocket);
                    assertThat(perSocket).as("resident bytes per idle socket").isLessThan(MAX_BYTES_PER_IDLE_SOCKET);

                    // Every one is closed at the deadline, after the gateway's error line.
                    int closedWithError = 0;
                    int closedOtherwise = 0;
                    ByteBuffer buf = ByteBuffer.allocate(512);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    while (closedWithError + closedOtherwise < n && System.nanoTime() < deadline) {
                        selector.select(1000);
                        for (SelectionKey k : selector.selectedKeys()) {
                            SocketChannel s = (SocketChannel) k.channel();
                            StringBuilder got = (StringBuilder) k.attachment();
                            buf.clear();
                            int r;
                            try {
                                r = s.read(buf);
                            } catch (IOException e) {
                                r = -1;
                            }
                            if (r > 0) {
                                got.append(new String(buf.array(), 0, r, StandardCharsets.ISO_8859_1));
                            } else if (r < 0) {
                                if (got.toString().startsWith(DEADLINE_ERROR)) {
                                    closedWithError++;
                                } else {
                                    closedOtherwise++;
                                }
                                k.cancel();
                                s.close();
                            }
                        }
                        selector.selectedKeys().clear();
                    }
                    assertThat(closedOtherwise)
                            .as("closed without the deadline error")
                            .isZero();
                    assertThat(closedWithError).as("closed at the deadline").isEqualTo(n);
                    await().atMost(Duration.ofSeconds(20))
                            .until(() -> metric(http, admin, "redis_entra_gateway_client_connections") == 0);

                    try (RedisCli c = RedisCli.connect("127.0.0.1", listen)) {
                        assertThat(c.callString("AUTH", emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api))))
                                .isEqualTo("OK");
                        assertThat(c.callString("PING")).isEqualTo("PONG");
                    }
                    assertThat(p.isAlive()).isTrue();
                    assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
                } finally {
                    for (SocketChannel s : sockets) {
                        s.close();
                    }
                    p.destroy();
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
            }
        }
    }

    static long metric(HttpClient http, int admin, String name) throws Exception {
        String body = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        return body.lines()
                .filter(l -> l.startsWith(name + " "))
                .mapToLong(l ->
                        (long) Double.parseDouble(l.substring(name.length() + 1).trim()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name));
    }

    static long rssBytes(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    static long openFilesLimit() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (l.startsWith("Max open files")) {
                    String soft = l.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: unknown
        }
        return 0;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
