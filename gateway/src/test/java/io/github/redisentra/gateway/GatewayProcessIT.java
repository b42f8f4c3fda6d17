package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.testkit.AzureCacheStandIn;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway as a separate process, configured only through environment variables: the real azure-identity
 * managed-identity path (App Service {@code IDENTITY_ENDPOINT}/{@code IDENTITY_HEADER}, user-assigned via
 * {@code UAMI_CLIENT_ID}) for both the upstream token and the Microsoft Graph token, group overage end to end,
 * and SIGTERM.
 */
@Timeout(120)
class GatewayProcessIT {
    static final String GROUP = "cccccccc-0000-4000-8000-00000000000c";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User carol; // 250 groups including GROUP: overage
    static User dave; // 250 groups without GROUP
    static ManagedIdentity mi;
    static RedisServer redis;
    static AzureCacheStandIn cache;
    static Path emulatorCa;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        carol = tenant.addUser(UserSpec.named("carol").groupCount(250));
        carol.addGroups(GROUP);
        dave = tenant.addUser(UserSpec.named("dave").groupCount(250));
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

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static ProcessBuilder gateway(Path log, int listen, int admin, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // The production logging setup (the test classpath also carries logback-test.xml).
                "-Dlogback.configurationFile=" + GatewayProcessIT.class.getResource("/logback.xml"),
                "-cp",
                System.getProperty("java.class.path"),
                "io.github.redisentra.gateway.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AZURE_") || k.startsWith("IDENTITY_") || k.startsWith("MSI_"));
        env.put("TENANT_ID", tenant.id());
        env.put("EXPECTED_AUDIENCE", api.clientId());
        env.put("ALLOWED_GROUP_IDS", GROUP);
        env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        env.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
        env.put("HTTPS_CA_FILE", emulatorCa.toString());
        env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.tlsPort());
        env.put("REDIS_CA_FILE", redis.caFile().toString());
        env.put("LISTEN_ADDR", "127.0.0.1:" + listen);
        env.put("ADMIN_ADDR", "127.0.0.1:" + admin);
        env.put("DRAIN_TIMEOUT", "2s");
        env.put("IDENTITY_ENDPOINT", emu.appServiceIdentityEndpoint().toString());
        env.put("IDENTITY_HEADER", emu.appServiceIdentityHeader());
        env.put("UAMI_CLIENT_ID", mi.clientId());
        return pb;
    }

    @Test
    void checkConfigGetsTheUpstreamTokenThroughManagedIdentity() throws Exception {
        Path log = dir.resolve("check.log");
        Process p = gateway(log, freePort(), freePort(), "--check-config").start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(log);
        assertThat(out)
                .contains("upstream credential: OK")
                .contains("user " + mi.objectId())
                .contains("upstream: OK")
                .contains("check-config: OK");
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void overageIsResolvedThroughGraphWithTheManagedIdentityAndSigtermStopsTheGateway() throws Exception {
        int listen = freePort();
        int admin = freePort();
        Path log = dir.resolve("gateway.log");
        long graphBefore = emu.requestCount(Endpoint.GRAPH);
        Process p = gateway(log, listen, admin).start();
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

            String carolToken = emu.mintAccessToken(TokenRequest.forUser(tenant, carol, api));
            try (RedisCli client = RedisCli.connect("127.0.0.1", listen)) {
                assertThat(client.callString("AUTH", carolToken)).isEqualTo("OK");
                assertThat(client.callString("SET", "process-it", "1")).isEqualTo("OK");
                assertThat(client.callString("INCR", "process-it")).isEqualTo("2");
                assertThatThrownBy(
                                () -> client.call("AUTH", emu.mintAccessToken(TokenRequest.forUser(tenant, dave, api))))
                        .isInstanceOf(RedisErrorReply.class)
                        .hasMessageContaining("WRONGPASS");
            }
            assertThat(emu.requestCount(Endpoint.GRAPH)).isGreaterThan(graphBefore);

            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> RedisCli.connect("127.0.0.1", listen).call("PING"))
                    .isInstanceOf(RuntimeException.class);
            String out = Files.readString(log);
            assertThat(out)
                    .contains("\"logger\":\"redis-entra.audit\"")
                    .contains("\"result\":\"allowed\"")
                    .contains("\"oid\":\"" + carol.objectId() + "\"")
                    .contains("\"reason\":\"missing_group\"")
                    .contains("shutting down")
                    .doesNotContain(carolToken);
        } finally {
            p.destroyForcibly();
        }
    }
}
