package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.config.Setting;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.RedisServer;
import io.github.redisentra.testkit.TestCertificate;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command line and the assembled gateway against the emulator and a TLS redis-server standing in for Azure. */
@Timeout(90)
class GatewayMainIT {
    static final String GROUP = "aaaaaaaa-0000-4000-8000-00000000000a";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice;
    static User bob;
    static ManagedIdentity mi;
    static RedisServer redis;
    static AzureCacheStandIn cache;
    static Path emulatorCa;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        bob = tenant.addUser(UserSpec.named("bob"));
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

    static String upstreamToken() {
        return emu.mintAccessToken(TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE));
    }

    static Map<String, String> env(String... kv) {
        Map<String, String> m =
                TestGatewaySettings.base(emu, tenant.id(), api.clientId(), emulatorCa, redis.tlsPort(), redis.caFile());
        m.put("ALLOWED_GROUP_IDS", GROUP);
        m.put("DRAIN_TIMEOUT", "2s");
        m.put("LOCAL_REDIS_TOKEN", upstreamToken());
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] == null) {
                m.remove(kv[i]);
            } else {
                m.put(kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    record Run(int status, String out, String err) {}

    static Run main(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(
                args,
                env,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                rt -> {
                    throw new AssertionError("a check must not start the listener");
                });
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void settingsComeFromTheEnvFileUnderTheEnvironment(@TempDir Path dir) throws Exception {
        Path envFile = Files.writeString(dir.resolve("gateway.env"), "LOG_FORMAT=xml\nTENNANT_ID=typo\n");
        Run fromFile = main(Map.of("ENV_FILE", envFile.toString()), "--check-config");
        assertThat(fromFile.status()).isEqualTo(2);
        assertThat(fromFile.err())
                .contains(envFile + ":2: TENNANT_ID is not a gateway setting")
                .contains("LOG_FORMAT must be json or text, got \"xml\"");
        Run example = main(Map.of(), "--env-example");
        assertThat(example.status()).isZero();
        assertThat(example.out()).isEqualTo(io.github.redisentra.gateway.config.EnvFile.example());
        Run environmentWins = main(Map.of("ENV_FILE", envFile.toString(), "LOG_FORMAT", "text"), "--check-config");
        assertThat(environmentWins.status()).isEqualTo(2);
        assertThat(environmentWins.err()).doesNotContain("LOG_FORMAT").contains("TENANT_ID");
    }

    @Test
    void helpListsEverySetting() {
        Run r = main(Map.of(), "--help");
        assertThat(r.status()).isZero();
        for (Setting s : Setting.values()) {
            assertThat(r.out()).contains(s.key());
        }
        assertThat(r.out()).contains("--check-config").contains("default: 0.0.0.0:6388");
    }

    @Test
    void unknownArgumentAndInvalidConfigurationExitWith2() {
        assertThat(main(Map.of(), "--frobnicate").status()).isEqualTo(2);
        Run r = main(env("REDIS_HOSTPORT", "cache.example"), "--check-config");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("REDIS_HOSTPORT must be host:port, got \"cache.example\"");
    }

    @Test
    void checkConfigSucceedsAgainstTheEmulatorAndTheCache() {
        Map<String, String> env = env();
        Run r = main(env, "--check-config");
        assertThat(r.out())
                .contains("configuration: valid")
                .contains("metadata: OK, issuers ")
                .contains(tenant.issuerV2())
                .contains(tenant.issuerV1())
                .contains("signing keys: OK, 1 key(s)")
                .contains("upstream credential: OK, ")
                .contains("user " + mi.objectId())
                .contains(
                        "upstream: OK, 127.0.0.1:" + redis.tlsPort() + " over TLS (127.0.0.1), AUTH and PING succeeded")
                .contains("LOCAL_REDIS_TOKEN=<redacted>")
                .contains("check-config: OK")
                .doesNotContain(env.get("LOCAL_REDIS_TOKEN"));
        assertThat(r.status()).isZero();
    }

    @Test
    void checkConfigWithAServicePrincipalSecretUsesTheConfiguredAuthority() {
        AppRegistration svc =
                tenant.registerApp(AppSpec.confidentialClient("gateway-sp").secret("sp-secret-value"));
        try (AzureCacheStandIn spCache = AzureCacheStandIn.builder(redis)
                .objectId(svc.objectId())
                .build()
                .watch(emu)) {
            Run r = main(
                    env(
                            "LOCAL_REDIS_TOKEN",
                            null,
                            "AZURE_CLIENT_ID",
                            svc.clientId(),
                            "AZURE_TENANT_ID",
                            tenant.id(),
                            "AZURE_CLIENT_SECRET",
                            "sp-secret-value"),
                    "--check-config");
            assertThat(r.out())
                    .contains("upstream credential: OK")
                    .contains("user " + svc.objectId())
                    .contains("AZURE_CLIENT_SECRET=<redacted>")
                    .doesNotContain("sp-secret-value")
                    .contains("check-config: OK");
            assertThat(r.status()).isZero();
        }
    }

    @Test
    void checkConfigAlsoChecksEachIdentityTheRolesName() throws Exception {
        ManagedIdentity reader = tenant.addManagedIdentity("role-reader-mi");
        Path script = Files.writeString(
                dir.resolve("role-reader-token.sh"),
                "#!/bin/sh\ncurl -sf -H Metadata:true '" + emu.imdsEndpoint()
                        + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://redis.azure.com"
                        + "&client_id=" + reader.clientId()
                        + "' | sed -E 's/.*\"access_token\" *: *\"([^\"]+)\".*/\\1/'\n");
        String roles = """
                roles:
                  readers:
                    match: {groups: [%s]}
                    rules: +@read ~*
                    upstream:
                      tokenCommand: sh %s
                """.formatted(GROUP, script);
        try (AzureCacheStandIn readerCache = AzureCacheStandIn.builder(redis)
                .objectId(reader.objectId())
                .rules("~* +@read +@connection")
                .build()
                .watch(emu)) {
            Path ok = Files.writeString(dir.resolve("roles-ok.yaml"), roles);
            Run r = main(env("ALLOWED_GROUP_IDS", null, "ROLES_FILE", ok.toString()), "--check-config");
            assertThat(r.out())
                    .contains("upstream: OK, ")
                    .contains("role upstream roles.readers.upstream credential: OK, ")
                    .contains("user " + reader.objectId())
                    .contains("role upstream roles.readers.upstream: OK, 127.0.0.1:" + redis.tlsPort())
                    .contains("check-config: OK");
            assertThat(r.status()).isZero();

            Path bad = Files.writeString(
                    dir.resolve("roles-bad.yaml"), roles.replace("tokenCommand: sh " + script, "tokenCommand: exit 3"));
            Run b = main(env("ALLOWED_GROUP_IDS", null, "ROLES_FILE", bad.toString()), "--check-config");
            assertThat(b.out()).contains("role upstream roles.readers.upstream credential: FAILED");
            assertThat(b.status()).isEqualTo(1);
        }
    }

    @Test
    void checkConfigNamesAnUnreachableUpstream() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Run r = main(env("REDIS_HOSTPORT", "127.0.0.1:" + closed), "--check-config");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out())
                .contains("signing keys: OK")
                .contains("upstream: FAILED: cannot connect to 127.0.0.1:" + closed)
                .contains("check-config: FAILED");
    }

    @Test
    void checkConfigQuotesTheCachesRefusal() {
        String notForRedis =
                emu.mintAccessToken(TokenRequest.forManagedIdentity(tenant, mi, "https://management.azure.com"));
        Run r = main(env("LOCAL_REDIS_TOKEN", notForRedis), "--check-config");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out())
                .contains("upstream: FAILED: AUTH as " + mi.objectId() + " refused by 127.0.0.1:" + redis.tlsPort()
                        + ": -WRONGPASS invalid username-password pair or user is disabled.")
                .doesNotContain(notForRedis);
    }

    @Test
    void checkConfigNamesTheUpstreamTlsProblem() {
        Run r = main(env("REDIS_CA_FILE", null), "--check-config");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).contains("upstream: FAILED: TLS handshake with 127.0.0.1:" + redis.tlsPort());
    }

    @Test
    void checkConfigNamesTheMetadataProblem() {
        String unknownTenant = UUID.randomUUID().toString();
        Run r = main(env("TENANT_ID", unknownTenant), "--check-config");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out())
                .contains("metadata/signing keys: FAILED reading " + emu.httpsBaseUrl() + "/" + unknownTenant
                        + "/v2.0/.well-known/openid-configuration")
                .contains("HTTP 400")
                .contains("check-config: FAILED");
    }

    @Test
    void checkConfigNamesAFailingTokenCommand() {
        Run r = main(
                env("LOCAL_REDIS_TOKEN", null, "LOCAL_REDIS_TOKEN_COMMAND", "echo no token here >&2; exit 3"),
                "--check-config");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).contains("upstream credential: FAILED (");
    }

    @Test
    void assembledGatewayAdmitsGroupMembersReportsReadinessAndMetricsAndDrainsOnShutdown() throws Exception {
        GatewayConfig config = GatewayConfig.from(env());
        GatewayRuntime runtime = GatewayRuntime.create(config, Clock.systemUTC());
        try {
            runtime.start(RespListenerWiring::start);
            int port = runtime.listener().orElseThrow().localAddress().getPort();
            URI admin = URI.create("http://127.0.0.1:"
                    + runtime.admin().orElseThrow().address().getPort());
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() ->
                            assertThat(get(http, admin, "/readyz").statusCode()).isEqualTo(200));

            try (RedisCli client = RedisCli.connect("127.0.0.1", port)) {
                assertThatThrownBy(() -> client.call("GET", "k"))
                        .isInstanceOf(RedisErrorReply.class)
                        .hasMessageContaining("NOAUTH");
                assertThatThrownBy(
                                () -> client.call("AUTH", emu.mintAccessToken(TokenRequest.forUser(tenant, bob, api))))
                        .isInstanceOf(RedisErrorReply.class)
                        .hasMessageContaining("WRONGPASS");
                assertThat(client.callString(
                                "AUTH",
                                alice.objectId(),
                                emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api))))
                        .isEqualTo("OK");
                assertThat(client.callString("SET", "gw-main-it", "v")).isEqualTo("OK");
                assertThat(client.callString("GET", "gw-main-it")).isEqualTo("v");
                // UPSTREAM_CLIENT_NAME's default (oid): the cache sees who is behind the upstream connection
                assertThat(redis.cli().callString("CLIENT", "LIST")).contains(" name=entra:" + alice.objectId() + " ");
                String node = "redis_entra_gateway_upstream_connections_open{node=\""
                        + config.upstream().address() + "\"} ";
                assertThat(get(http, admin, "/metrics").body()).contains(node + "1\n");
                try (RedisCli second = RedisCli.connect("127.0.0.1", port)) {
                    second.callString("AUTH", emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api)));
                    assertThat(get(http, admin, "/metrics").body()).contains(node + "2\n");
                }
                await().atMost(Duration.ofSeconds(10))
                        .untilAsserted(() ->
                                assertThat(get(http, admin, "/metrics").body()).contains(node + "1\n"));
            }
            String metrics = get(http, admin, "/metrics").body();
            assertThat(metrics)
                    .containsPattern("\nprocess_open_fds [1-9][0-9]*\n")
                    .containsPattern("\nprocess_max_fds [1-9][0-9]*\n")
                    .containsPattern("\njvm_memory_bytes_used\\{area=\"heap\"} [1-9][0-9]*\n")
                    .containsPattern("\njvm_gc_collection_seconds_count\\{gc=\"[^\"]+\"} [0-9]+\n")
                    .containsPattern("\njvm_threads_current [1-9][0-9]*\n")
                    .containsPattern("\nredis_entra_gateway_uptime_seconds [0-9.]+\n")
                    .containsPattern("\nredis_entra_gateway_build_info\\{java=\"[^\"]+\",netty=\"4\\.[^\"]+\","
                            + "tls_engine=\"(openssl|jdk)\",transport=\"(epoll|nio)\",version=\"[^\"]+\"} 1\n");
            assertThat(metrics)
                    .contains("redis_entra_gateway_auth_total{result=\"allowed\",reason=\"\"} 2\n")
                    .contains("redis_entra_gateway_auth_total{result=\"denied\",reason=\"missing_group\"} 1\n")
                    .contains("redis_entra_gateway_upstream_token_refreshes_total 1\n")
                    .contains("redis_entra_gateway_signing_keys 1\n");
            assertThat(get(http, admin, "/readyz").body())
                    .contains("signing keys: ok", "upstream token: ok", "upstream: ok");

            runtime.shutdown();
            assertThatThrownBy(() -> RedisCli.connect("127.0.0.1", port).call("PING"))
                    .isInstanceOf(RuntimeException.class);
        } finally {
            runtime.close();
        }
    }

    @Test
    void listenerTlsServesClientsOnANonLoopbackCapableAddress() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create("gateway-listener-ca");
        TestCertificate cert = ca.issueServerCertificate();
        Path crt = cert.writeCertificatePem(dir.resolve("listener.crt"));
        Path key = cert.writePrivateKeyPem(dir.resolve("listener.key"));
        GatewayConfig config = GatewayConfig.from(env(
                "LISTEN_ADDR",
                "0.0.0.0:0",
                "LISTEN_TLS_CERT_FILE",
                crt.toString(),
                "LISTEN_TLS_KEY_FILE",
                key.toString(),
                "ADMIN_ADDR",
                "off"));
        try (GatewayRuntime runtime = GatewayRuntime.create(config, Clock.systemUTC())) {
            runtime.start(RespListenerWiring::start);
            GatewayRuntime.RespListener listener = runtime.listener().orElseThrow();
            try (RedisCli client =
                    RedisCli.connectTls("127.0.0.1", listener.localAddress().getPort(), ca.trustingSslContext())) {
                assertThat(client.callString("AUTH", emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api))))
                        .isEqualTo("OK");
                assertThat(client.callString("PING")).isEqualTo("PONG");
            } finally {
                listener.drainAndClose(Duration.ZERO);
            }
        }
    }

    static HttpResponse<String> get(HttpClient http, URI base, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
