package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
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

/**
 * ROLES_FILE through the real entry point, as a separate process: the command table learned from the upstream at
 * start, NOPERM for a reader, the audit event, and reloads on SIGHUP only ({@code ROLES_RELOAD_INTERVAL=0s}): a bad
 * file is rejected and the old policy kept, a good one applies to the open connection.
 */
@Timeout(120)
class RolesProcessIT {
    static final String READERS = "dddddddd-0000-4000-8000-00000000000d";
    static final String ROLES = "roles:\n  readers:\n    match:\n      groups: [" + READERS + "]\n    rules: %s\n";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice;
    static RedisServer redis;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(READERS));
        redis = RedisServer.start();
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

    static void sighup(Process p) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    @Test
    void rolesThroughMainWithTheUpstreamTableAndSighupReloads() throws Exception {
        Path roles = Files.writeString(dir.resolve("roles.yaml"), ROLES.formatted("+@read +@connection ~app:*"));
        int listen = freePort();
        int admin = freePort();
        Path log = dir.resolve("gateway.log");
        ProcessBuilder pb = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dlogback.configurationFile=" + RolesProcessIT.class.getResource("/logback.xml"),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.github.redisentra.gateway.Main"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AZURE_") || k.startsWith("IDENTITY_") || k.startsWith("MSI_"));
        env.put("TENANT_ID", tenant.id());
        env.put("EXPECTED_AUDIENCE", api.clientId());
        env.put("ROLES_FILE", roles.toString());
        env.put("ROLES_RELOAD_INTERVAL", "0s");
        env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        env.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
        env.put("HTTPS_CA_FILE", emu.writeCaCertificate(dir.resolve("ca.pem")).toString());
        env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
        env.put("REDIS_TLS", "false");
        env.put("REDIS_USERNAME", redis.adminUsername());
        env.put("REDIS_PASSWORD", redis.adminPassword());
        env.put("LISTEN_ADDR", "127.0.0.1:" + listen);
        env.put("ADMIN_ADDR", "127.0.0.1:" + admin);
        env.put("DRAIN_TIMEOUT", "2s");
        Process p = pb.start();
        try {
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(2))
                    .build();
            URI readyz = URI.create("http://127.0.0.1:" + admin + "/readyz");
            await().atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .untilAsserted(() -> assertThat(http.send(
                                            HttpRequest.newBuilder(readyz).build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .statusCode())
                            .isEqualTo(200));
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(Files.readString(log))
                            .contains("permissions use the upstream's command table (redis 7."));

            String token = emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api));
            redis.cli().call("SET", "app:p", "1");
            try (RedisCli client = RedisCli.connect("127.0.0.1", listen)) {
                assertThat(client.callString("AUTH", token)).isEqualTo("OK");
                assertThat(client.callString("GET", "app:p")).isEqualTo("1");
                assertThatThrownBy(() -> client.call("SET", "app:p", "2"))
                        .isInstanceOf(RedisErrorReply.class)
                        .hasMessage("NOPERM this user has no permissions to run the 'set' command");

                Files.writeString(roles, ROLES.formatted("+@read +@bogus ~app:*"));
                sighup(p);
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(() -> assertThat(Files.readString(log))
                                .contains("rejected, the previous policy stays in force"));
                assertThat(client.callString("GET", "app:p")).isEqualTo("1");
                assertThatThrownBy(() -> client.call("SET", "app:p", "2")).hasMessageStartingWith("NOPERM");

                Files.writeString(roles, ROLES.formatted("+@read +@write +@connection ~app:*"));
                sighup(p);
                await().atMost(Duration.ofSeconds(20))
                        .ignoreExceptions()
                        .untilAsserted(() -> assertThat(client.callString("SET", "app:p", "2"))
                                .isEqualTo("OK"));
            }
            assertThat(redis.cli().callString("GET", "app:p")).isEqualTo("2");

            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String out = Files.readString(log);
            assertThat(out)
                    .contains("\"event\":\"command_denied\"")
                    .contains("\"command\":\"set\"")
                    .contains("\"reason\":\"command\"")
                    .contains("roles.yaml:5:12: roles.readers.rules: ACL rule '+@bogus'")
                    .doesNotContain(token)
                    .doesNotContain(redis.adminPassword());
        } finally {
            p.destroyForcibly();
        }
    }
}
