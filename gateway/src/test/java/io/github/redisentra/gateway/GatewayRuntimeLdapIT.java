package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.auth.ldap.TestDirectory;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway assembled from settings with LDAP sign-in on (GatewayRuntime wiring): directory users and Entra users
 * on one listener, LDAP metrics on {@code /metrics}, the admin API behind {@code ADMIN_API_TOKEN}.
 */
@Timeout(120)
class GatewayRuntimeLdapIT {
    static final String GROUP = "bbbbbbbb-0000-4000-8000-00000000000b";

    @TempDir
    Path dir;

    @Test
    void directoryAndEntraUsersOnOneGatewayWithAdminApi() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create("runtime-ldap-ca");
        try (EntraEmulator emu = EntraEmulator.builder().build().start();
                RedisServer redis = RedisServer.builder().tlsOnly().start();
                TestDirectory ldap = new TestDirectory(ca)) {
            Tenant tenant = emu.createTenant("contoso");
            AppRegistration api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2));
            User alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
            ManagedIdentity mi = tenant.addManagedIdentity("gateway-mi");
            try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                    .objectId(mi.objectId())
                    .build()
                    .watch(emu)) {
                Map<String, String> env = new HashMap<>();
                env.put("TENANT_ID", tenant.id());
                env.put("EXPECTED_AUDIENCE", api.clientId());
                env.put("ALLOWED_GROUP_IDS", GROUP);
                env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
                env.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
                env.put(
                        "HTTPS_CA_FILE",
                        emu.writeCaCertificate(dir.resolve("emu.pem")).toString());
                env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.tlsPort());
                env.put("REDIS_CA_FILE", redis.caFile().toString());
                env.put("LISTEN_ADDR", "127.0.0.1:0");
                env.put("ADMIN_ADDR", "127.0.0.1:0");
                env.put("DRAIN_TIMEOUT", "2s");
                env.put(
                        "LOCAL_REDIS_TOKEN",
                        emu.mintAccessToken(
                                TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE)));
                env.put("LDAP_SERVERS", ldap.ldapUrl());
                env.put("LDAP_STARTTLS", "true");
                env.put(
                        "LDAP_CA_FILE",
                        ca.writeCertificatePem(dir.resolve("ldap-ca.pem")).toString());
                env.put("LDAP_BIND_DN_TEMPLATE", "uid={user}," + TestDirectory.PEOPLE);
                env.put("LDAP_REQUIRED_GROUPS", TestDirectory.USERS_GROUP);
                env.put("ADMIN_API_TOKEN", "runtime-admin-token");
                GatewayConfig config = GatewayConfig.from(env);
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                assertThat(ConfigCheck.run(config, new java.io.PrintStream(out, true), Clock.systemUTC()))
                        .as(out.toString())
                        .isZero();
                assertThat(out.toString()).contains("ldap " + ldap.ldapUrl() + ": OK, WhoAmI answered");
                Map<String, String> dead = new HashMap<>(env);
                dead.put("LDAP_SERVERS", "ldap://localhost:" + TestDirectory.freePort());
                out.reset();
                assertThat(ConfigCheck.run(
                                GatewayConfig.from(dead), new java.io.PrintStream(out, true), Clock.systemUTC()))
                        .isEqualTo(1);
                assertThat(out.toString()).contains("ldap ldap://localhost:").contains(": FAILED: ");
                try (GatewayRuntime runtime = GatewayRuntime.create(config, Clock.systemUTC())) {
                    runtime.start(RespListenerWiring::start);
                    org.awaitility.Awaitility.await()
                            .atMost(java.time.Duration.ofSeconds(30))
                            .until(() -> runtime.authenticator().keyStatus().keysLoaded());
                    int port = runtime.listener().orElseThrow().localAddress().getPort();
                    String admin = "http://127.0.0.1:"
                            + runtime.admin().orElseThrow().address().getPort();
                    try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                        assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                        assertThat(c.callString("SET", "runtime:ldap", "1")).isEqualTo("OK");
                        assertThatThrownBy(() -> c.call("AUTH", "bob", "bob-pw"))
                                .hasMessageContaining("WRONGPASS");
                        String jwt = emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api));
                        assertThat(c.callString("AUTH", jwt)).isEqualTo("OK");
                        assertThat(c.callString("GET", "runtime:ldap")).isEqualTo("1");
                    }
                    HttpClient http = HttpClient.newHttpClient();
                    HttpResponse<String> metrics = http.send(
                            HttpRequest.newBuilder(URI.create(admin + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(metrics.body())
                            .contains("redis_entra_gateway_ldap_auth_total{result=\"allowed\",reason=\"\"} 1")
                            .contains(
                                    "redis_entra_gateway_ldap_auth_total{result=\"denied\",reason=\"missing_group\"} 1")
                            .contains("redis_entra_gateway_auth_total{result=\"allowed\",reason=\"\"} 2");
                    HttpResponse<String> status = http.send(
                            HttpRequest.newBuilder(URI.create(admin + "/admin/ldap/status"))
                                    .header("Authorization", "Bearer runtime-admin-token")
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(status.statusCode()).isEqualTo(200);
                    assertThat(status.body()).contains("\"allowed\":1");
                    HttpResponse<String> anonymous = http.send(
                            HttpRequest.newBuilder(URI.create(admin + "/admin/ldap/status"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(anonymous.statusCode()).isEqualTo(401);
                }
            }
        }
    }

    @Test
    void aDirectorySessionGetsNoauthAfterLdapSessionMaxAgeUntilTheUserSignsInAgain() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create("ldap-age-ca");
        try (RedisServer redis =
                        RedisServer.builder().requirePass("upstream-pw").start();
                TestDirectory ldap = new TestDirectory(ca)) {
            Map<String, String> env = new HashMap<>();
            env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
            env.put("REDIS_TLS", "false");
            env.put("REDIS_PASSWORD", "upstream-pw");
            env.put("LISTEN_ADDR", "127.0.0.1:0");
            env.put("ADMIN_ADDR", "off");
            env.put("DRAIN_TIMEOUT", "1s");
            env.put("CLOCK_SKEW", "0s");
            env.put("LDAP_SERVERS", ldap.ldapUrl()); // ldap://localhost: clear text is fine on loopback
            env.put("LDAP_BIND_DN_TEMPLATE", "uid={user}," + TestDirectory.PEOPLE);
            env.put("LDAP_ALLOWED_GROUPS", "name:Redis Users");
            env.put("LDAP_SESSION_MAX_AGE", "2s");
            try (GatewayRuntime runtime = GatewayRuntime.create(GatewayConfig.from(env), Clock.systemUTC())) {
                runtime.start(RespListenerWiring::start);
                int port = runtime.listener().orElseThrow().localAddress().getPort();
                try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                    long signedIn = System.nanoTime();
                    assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                    assertThat(c.callString("SET", "ldap-age", "1")).isEqualTo("OK");
                    org.awaitility.Awaitility.await()
                            .atMost(java.time.Duration.ofSeconds(20))
                            .pollInterval(java.time.Duration.ofMillis(100))
                            .untilAsserted(() -> assertThatThrownBy(() -> c.call("GET", "ldap-age"))
                                    .hasMessage("NOAUTH Authentication required."));
                    assertThat(System.nanoTime() - signedIn)
                            .as("not before the maximum age")
                            .isGreaterThanOrEqualTo(2_000_000_000L);
                    assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                    assertThat(c.callString("GET", "ldap-age")).isEqualTo("1");
                }
            }
        }
    }

    @Test
    void ldapOnlyGatewayNeedsNoEntraSettings() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create("ldap-only-ca");
        try (RedisServer redis =
                        RedisServer.builder().requirePass("upstream-pw").start();
                TestDirectory ldap = new TestDirectory(ca)) {
            Map<String, String> env = new HashMap<>();
            env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
            env.put("REDIS_TLS", "false");
            env.put("REDIS_PASSWORD", "upstream-pw");
            env.put("LISTEN_ADDR", "127.0.0.1:0");
            env.put("ADMIN_ADDR", "127.0.0.1:0");
            env.put("DRAIN_TIMEOUT", "2s");
            env.put("LDAP_SERVERS", ldap.ldapsUrl());
            env.put(
                    "LDAP_CA_FILE",
                    ca.writeCertificatePem(dir.resolve("ca.pem")).toString());
            env.put("LDAP_MODE", "search+bind");
            env.put("LDAP_BIND_DN", TestDirectory.SVC_DN);
            env.put("LDAP_BIND_PASSWORD", TestDirectory.SVC_PW);
            env.put("LDAP_SEARCH_BASE", TestDirectory.PEOPLE);
            env.put("LDAP_ALLOWED_GROUPS", "name:Redis Users");
            GatewayConfig config = GatewayConfig.from(env);
            assertThat(config.entra().enabled()).isFalse();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            assertThat(ConfigCheck.run(config, new java.io.PrintStream(out, true), Clock.systemUTC()))
                    .as(out.toString())
                    .isZero();
            assertThat(out.toString()).contains("entra: off").contains(": OK, WhoAmI answered");
            try (GatewayRuntime runtime = GatewayRuntime.create(config, Clock.systemUTC())) {
                runtime.start(RespListenerWiring::start);
                int port = runtime.listener().orElseThrow().localAddress().getPort();
                try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                    assertThatThrownBy(() -> c.call("AUTH", "alice", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"))
                            .hasMessageContaining("WRONGPASS");
                    assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                    assertThat(c.callString("SET", "ldap-only", "1")).isEqualTo("OK");
                    assertThat(c.callString("GET", "ldap-only")).isEqualTo("1");
                }
                assertThat(ldap.userBinds("alice"))
                        .as("the token never reached the directory")
                        .isEqualTo(1);
                HttpResponse<String> ready = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                                + runtime.admin()
                                                        .orElseThrow()
                                                        .address()
                                                        .getPort() + "/readyz"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                HttpResponse<String> metrics = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                                + runtime.admin()
                                                        .orElseThrow()
                                                        .address()
                                                        .getPort() + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertThat(metrics.body())
                        .contains(
                                "redis_entra_gateway_auth_total{result=\"denied\",reason=\"entra_not_configured\"} 1");
            }
        }
    }
}
