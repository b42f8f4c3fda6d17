package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code LOG_LEVEL} in a running gateway process (the production logback.xml, the real entry point): two gateways,
 * one at DEBUG and one at WARN, each serve the same sign-in; the session's DEBUG line about the AUTH decision is in
 * the first log only, and the second holds nothing below WARN except the audit trail, which stays at INFO. The first
 * also runs with {@code AUDIT_COMMANDS=writes}: its {@code /metrics} exports the command audit's counters.
 */
@Timeout(120)
class LogLevelProcessIT {
    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice;
    static RedisServer redis;
    static Path ca;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2));
        alice = tenant.addUser(UserSpec.named("alice"));
        redis = RedisServer.start();
        ca = emu.writeCaCertificate(dir.resolve("ca.pem"));
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
        if (emu != null) {
            emu.close();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    record Gateway(Process process, Path log, int listen, int admin) {}

    static Gateway start(String level, String... moreEnv) throws IOException {
        int listen = freePort();
        int admin = freePort();
        Path log = dir.resolve("gateway-" + level + ".log");
        ProcessBuilder pb = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dlogback.configurationFile=" + LogLevelProcessIT.class.getResource("/logback.xml"),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.github.redisentra.gateway.Main"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AZURE_") || k.startsWith("IDENTITY_") || k.startsWith("MSI_"));
        env.put("LOG_LEVEL", level);
        env.put("LOG_FORMAT", "json");
        env.put("TENANT_ID", tenant.id());
        env.put("EXPECTED_AUDIENCE", api.clientId());
        env.put("ALLOW_ANY_TENANT_USER", "true");
        env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        env.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
        env.put("HTTPS_CA_FILE", ca.toString());
        env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
        env.put("REDIS_TLS", "false");
        env.put("REDIS_USERNAME", redis.adminUsername());
        env.put("REDIS_PASSWORD", redis.adminPassword());
        env.put("LISTEN_ADDR", "127.0.0.1:" + listen);
        env.put("ADMIN_ADDR", "127.0.0.1:" + admin);
        env.put("DRAIN_TIMEOUT", "1s");
        for (int i = 0; i < moreEnv.length; i += 2) {
            env.put(moreEnv[i], moreEnv[i + 1]);
        }
        return new Gateway(pb.start(), log, listen, admin);
    }

    /**
     * Waits for readiness, signs alice in and runs a command, reads /metrics into {@code metrics}, stops the gateway;
     * returns its log's JSON lines.
     */
    static List<Map<String, Object>> signInAndStop(Gateway g, String token, StringBuilder metrics) throws Exception {
        try {
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(2))
                    .build();
            URI readyz = URI.create("http://127.0.0.1:" + g.admin() + "/readyz");
            await().atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(http.send(
                                            HttpRequest.newBuilder(readyz).build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .statusCode())
                            .isEqualTo(200));
            try (RedisCli client = RedisCli.connect("127.0.0.1", g.listen())) {
                assertThat(client.callString("AUTH", token)).isEqualTo("OK");
                assertThat(client.callString("PING")).isEqualTo("PONG");
            }
            metrics.append(http.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.admin() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body());
            g.process().destroy(); // SIGTERM: the log is drained on the way out
            assertThat(g.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            g.process().destroyForcibly();
        }
        Yaml yaml = new Yaml(new LoaderOptions());
        return Files.readAllLines(g.log()).stream()
                .filter(l -> l.startsWith("{"))
                .map(l -> (Map<String, Object>) yaml.load(l))
                .toList();
    }

    static boolean authDebugLine(Map<String, Object> line) {
        return "DEBUG".equals(line.get("level"))
                && String.valueOf(line.get("msg")).endsWith("AUTH allowed oid=" + alice.objectId());
    }

    @Test
    void debugLinesAppearOnlyAtDebug() throws Exception {
        String token = emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api));
        Gateway debug = start("DEBUG", "AUDIT_COMMANDS", "writes");
        Gateway warn = start("WARN"); // both start at once: one start-up's wait
        StringBuilder debugMetrics = new StringBuilder();
        StringBuilder warnMetrics = new StringBuilder();
        List<Map<String, Object>> debugLog = signInAndStop(debug, token, debugMetrics);
        List<Map<String, Object>> warnLog = signInAndStop(warn, token, warnMetrics);

        assertThat(debugLog).anyMatch(LogLevelProcessIT::authDebugLine);
        assertThat(debugLog).anyMatch(l -> "INFO".equals(l.get("level")));

        assertThat(warnLog).noneMatch(LogLevelProcessIT::authDebugLine);
        assertThat(warnLog)
                .as("below WARN only the audit trail")
                .allMatch(l -> List.of("WARN", "ERROR").contains(l.get("level"))
                        || "redis-entra.audit".equals(l.get("logger")));
        assertThat(warnLog)
                .as("the audit trail stays at INFO")
                .anyMatch(l -> "redis-entra.audit".equals(l.get("logger"))
                        && "client authenticated".equals(l.get("msg"))
                        && alice.objectId().equals(l.get("oid")));
        // the command audit's counters are exported when it is on (its lines await the session hook)
        assertThat(debugMetrics.toString())
                .contains("redis_entra_gateway_audit_lines_dropped_total{reason=\"queue_full\"} 0\n")
                .contains("redis_entra_gateway_audit_lines_dropped_total{reason=\"rate_limit\"} 0\n");
        assertThat(warnMetrics.toString())
                .contains("redis_entra_gateway_uptime_seconds")
                .doesNotContain("audit_lines");
        for (Gateway g : List.of(debug, warn)) {
            assertThat(Files.readString(g.log())).doesNotContain(token).doesNotContain(redis.adminPassword());
        }
    }
}
