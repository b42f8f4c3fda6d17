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
import io.github.redisentra.testkit.RedisServer;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;

/**
 * Two gateway processes behind HAProxy in {@code mode tcp} with {@code /readyz} health checks — the shape of a
 * Kubernetes Service over two replicas with a PodDisruptionBudget of {@code minAvailable: 1}. A Lettuce and a Jedis
 * client write through the balancer while one gateway is drained (SIGTERM) and restarted, then the other: every
 * acknowledged write is in the cache afterwards, both clients keep writing after each roll (they reconnected through
 * the balancer), and each gateway's {@code /readyz} answers 503 before its listener stops accepting. Each roll is one
 * round; {@code -Dgateway.scale.rounds=N} repeats them (default 1).
 */
// Three processes and health-check timing: alone on the machine (the gateway pom's "serial" execution).
@Tag("serial")
@Timeout(300)
class HorizontalScaleIT {
    static final String GROUP = "dddddddd-0000-4000-8000-00000000000d";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice;
    static ManagedIdentity mi;
    static RedisServer redis;
    static AzureCacheStandIn cache;
    static Path emulatorCa;
    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        mi = tenant.addManagedIdentity("gateway-mi");
        emulatorCa = emu.writeCaCertificate(dir.resolve("emulator-ca.pem"));
        redis = RedisServer.builder().tlsOnly().start();
        cache = AzureCacheStandIn.builder(redis).objectId(mi.objectId()).build().watch(emu);
    }

    @AfterAll
    static void stop() {
        if (cache != null) {
            cache.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (emu != null) {
            emu.close();
        }
    }

    /** One gateway replica: a child JVM on fixed ports, restartable. */
    final class Replica {
        final String name;
        final int listen = freePort();
        final int admin = freePort();
        Process process;

        Replica(String name) {
            this.name = name;
        }

        void start() throws IOException {
            List<String> cmd = List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dlogback.configurationFile=" + HorizontalScaleIT.class.getResource("/logback.xml"),
                    "-XX:TieredStopAtLevel=1",
                    "-cp",
                    System.getProperty("java.class.path"),
                    "io.github.redisentra.gateway.Main");
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            dir.resolve("gateway-" + name + ".log").toFile()));
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("AZURE_") || k.startsWith("IDENTITY_") || k.startsWith("MSI_"));
            env.putAll(TestGatewaySettings.base(
                    emu, tenant.id(), api.clientId(), emulatorCa, redis.tlsPort(), redis.caFile()));
            env.put("ALLOWED_GROUP_IDS", GROUP);
            env.put(
                    "LOCAL_REDIS_TOKEN",
                    emu.mintAccessToken(TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE)));
            env.put("LISTEN_ADDR", "127.0.0.1:" + listen);
            env.put("ADMIN_ADDR", "127.0.0.1:" + admin);
            env.put("SHUTDOWN_DELAY", "1s");
            env.put("DRAIN_TIMEOUT", "5s");
            env.put("LOG_FORMAT", "text");
            process = pb.start();
        }

        void awaitReady() {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> readyz() == 200);
        }

        int readyz() throws Exception {
            return http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/readyz"))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        }

        boolean accepts() {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", listen), 500);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        /**
         * SIGTERM while watching: returns whether /readyz answered 503 strictly before the listener refused a
         * connection; waits for the process to exit.
         */
        boolean drainReportsNotReadyBeforeRefusing() throws Exception {
            process.destroy(); // SIGTERM
            long notReadyAt = 0;
            long refusedAt = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (refusedAt == 0 && System.nanoTime() < deadline) {
                int status;
                try {
                    status = readyz();
                } catch (IOException e) {
                    status = -1; // admin listener gone (after the drain)
                }
                if (status != 200 && notReadyAt == 0) {
                    notReadyAt = System.nanoTime();
                }
                if (!accepts()) {
                    refusedAt = System.nanoTime();
                }
            }
            assertThat(process.waitFor(30, TimeUnit.SECONDS))
                    .as(name + " exited")
                    .isTrue();
            return notReadyAt != 0 && refusedAt != 0 && notReadyAt < refusedAt;
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void rollingRestartOfTwoReplicasBehindHaproxyLosesNoAcknowledgedWrite() throws Exception {
        int rounds = Integer.getInteger("gateway.scale.rounds", 1);
        Replica a = new Replica("a");
        Replica b = new Replica("b");
        a.start(); // both JVMs start at once
        b.start();
        a.awaitReady();
        b.awaitReady();
        int front = freePort();
        Path cfg = Files.writeString(
                dir.resolve("haproxy.cfg"),
                String.join(
                        "\n",
                        "global",
                        "  maxconn 512",
                        "defaults",
                        "  mode tcp",
                        "  timeout connect 2s",
                        "  timeout client 60s",
                        "  timeout server 60s",
                        "  timeout check 1s",
                        "frontend gateways",
                        "  bind 127.0.0.1:" + front,
                        "  default_backend replicas",
                        "backend replicas",
                        "  balance roundrobin",
                        "  option httpchk GET /readyz",
                        "  http-check expect status 200",
                        "  default-server inter 250ms fall 1 rise 2",
                        "  server a 127.0.0.1:" + a.listen + " check port " + a.admin,
                        "  server b 127.0.0.1:" + b.listen + " check port " + b.admin,
                        ""));
        Process haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("haproxy.log").toFile())
                .start();
        String token =
                emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api).lifetime(Duration.ofHours(1)));
        io.lettuce.core.RedisClient lettuce = io.lettuce.core.RedisClient.create(RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(front)
                .withPassword(token.toCharArray())
                .withTimeout(Duration.ofSeconds(5))
                .build());
        lettuce.setOptions(ClientOptions.builder()
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(5)))
                .build());
        Writer lettuceWriter = null;
        Writer jedisWriter = null;
        RedisClient jedis = null;
        try {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                try (Socket s = new Socket("127.0.0.1", front)) {
                    return true;
                }
            });
            StatefulRedisConnection<String, String> conn = lettuce.connect();
            jedis = RedisClient.builder()
                    .hostAndPort(new HostAndPort("127.0.0.1", front))
                    .clientConfig(DefaultJedisClientConfig.builder()
                            .password(token)
                            .socketTimeoutMillis(5000)
                            .connectionTimeoutMillis(2000)
                            .build())
                    .build();
            RedisClient j = jedis;
            lettuceWriter = new Writer("lettuce", key -> "OK".equals(conn.sync().set(key, key)));
            jedisWriter = new Writer("jedis", key -> "OK".equals(j.set(key, key)));
            for (Writer w : List.of(lettuceWriter, jedisWriter)) {
                w.start();
                w.awaitProgress();
            }
            for (int round = 0; round < rounds; round++) {
                for (Replica r : List.of(a, b)) {
                    assertThat(r.drainReportsNotReadyBeforeRefusing())
                            .as("%s: /readyz 503 before the listener refused connections", r.name)
                            .isTrue();
                    // Only the other replica serves now; both clients keep writing through the balancer.
                    lettuceWriter.awaitProgress();
                    jedisWriter.awaitProgress();
                    r.start();
                    r.awaitReady();
                }
            }
            lettuceWriter.awaitProgress();
            jedisWriter.awaitProgress();
        } finally {
            for (Writer w : new Writer[] {lettuceWriter, jedisWriter}) {
                if (w != null) {
                    w.stop();
                }
            }
            if (jedis != null) {
                jedis.close();
            }
            lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            haproxy.destroy();
            for (Replica r : List.of(a, b)) {
                if (r.process != null) {
                    r.process.destroyForcibly();
                }
            }
        }
        // Every write a client saw acknowledged is in the cache.
        for (Writer w : List.of(lettuceWriter, jedisWriter)) {
            List<String> acked = new ArrayList<>(w.acked);
            System.out.printf(
                    "HorizontalScaleIT %s: %d writes acknowledged, %d failed and retried%n",
                    w.name, acked.size(), w.errors.get());
            assertThat(acked).as(w.name + " acknowledged writes").hasSizeGreaterThan(10);
            List<String> missing = new ArrayList<>();
            for (int i = 0; i < acked.size(); i += 200) {
                List<String> batch = acked.subList(i, Math.min(acked.size(), i + 200));
                String[] args = new String[batch.size() + 1];
                args[0] = "MGET";
                for (int k = 0; k < batch.size(); k++) {
                    args[k + 1] = batch.get(k);
                }
                List<?> values = (List<?>) redis.cli().call(args);
                for (int k = 0; k < batch.size(); k++) {
                    if (values.get(k) == null) {
                        missing.add(batch.get(k));
                    }
                }
            }
            assertThat(missing)
                    .as(w.name + ": acknowledged writes missing from the cache")
                    .isEmpty();
        }
    }

    /** Writes unique keys in a loop; remembers the ones acknowledged with OK; errors are retried with new keys. */
    static final class Writer {
        interface Write {
            boolean apply(String key) throws Exception;
        }

        final String name;
        final Write write;
        final ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
        final AtomicLong errors = new AtomicLong();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread;

        Writer(String name, Write write) {
            this.name = name;
            this.write = write;
            this.thread = new Thread(this::run, "writer-" + name);
        }

        void start() {
            thread.start();
        }

        private void run() {
            long seq = 0;
            while (running.get()) {
                String key = "scale:" + name + ":" + seq++;
                try {
                    if (write.apply(key)) {
                        acked.add(key);
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                    try {
                        Thread.sleep(20); // back off a little while the balancer moves us (load loop, not a sync)
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }

        /** Waits until at least 20 more writes have been acknowledged. */
        void awaitProgress() {
            int from = acked.size();
            await(name + " keeps writing").atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= from + 20);
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }
}
