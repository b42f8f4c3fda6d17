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
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.testkit.RedisServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The validated-token cache through the assembled gateway (GatewayRuntime, real sockets, the emulator's keys and a
 * real redis-server): 200 connections opened with one token cost one signature check, counted on {@code /metrics};
 * an expired token is refused although it was cached; a roles-file reload applies to a cached token at its next
 * sign-in; a token whose signing key left the JWKS is refused at its next sign-in.
 */
@Timeout(120)
class TokenCacheGatewayIT {
    static final String READERS = "aaaaaaaa-0000-4000-8000-00000000c001";
    static final String WRITERS = "aaaaaaaa-0000-4000-8000-00000000c002";
    static final String ROLES = "roles:\n  readers:\n    match: {groups: [%s]}\n    rules: +@read +@connection ~*\n";
    static final String WRONGPASS = "-WRONGPASS invalid username-password pair or user is disabled.";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice; // readers
    static User bob; // writers
    static RedisServer redis;
    static GatewayRuntime runtime;
    static Path roles;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(
                AppSpec.api("gateway-api").acceptedTokenVersion(2).groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(READERS));
        bob = tenant.addUser(UserSpec.named("bob").groups(WRITERS));
        redis = RedisServer.start();
        roles = Files.writeString(dir.resolve("roles.yaml"), ROLES.formatted(READERS + ", " + WRITERS));
        Map<String, String> env = new HashMap<>();
        env.put("TENANT_ID", tenant.id());
        env.put("EXPECTED_AUDIENCE", api.clientId());
        env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        env.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
        env.put("HTTPS_CA_FILE", emu.writeCaCertificate(dir.resolve("ca.pem")).toString());
        env.put("ROLES_FILE", roles.toString());
        env.put("ROLES_RELOAD_INTERVAL", "200ms");
        env.put("JWKS_REFRESH_INTERVAL", "1s");
        env.put("CLOCK_SKEW", "1s");
        env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
        env.put("REDIS_TLS", "false");
        env.put("REDIS_USERNAME", redis.adminUsername());
        env.put("REDIS_PASSWORD", redis.adminPassword());
        env.put("LISTEN_ADDR", "127.0.0.1:0");
        env.put("ADMIN_ADDR", "127.0.0.1:0");
        env.put("DRAIN_TIMEOUT", "2s");
        env.put("AUTH_FAILURES_PER_ADDRESS", "0");
        env.put("AUTH_FAILURE_DELAY", "0s");
        runtime = GatewayRuntime.create(GatewayConfig.from(env), Clock.systemUTC());
        runtime.start(RespListenerWiring::start);
        port = runtime.listener().orElseThrow().localAddress().getPort();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> runtime.authenticator().keyStatus().keysLoaded());
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {runtime, redis, emu}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static String token(User u, Duration lifetime) {
        return emu.mintAccessToken(TokenRequest.forUser(tenant, u, api).lifetime(lifetime));
    }

    static String authCommand(String token) {
        return "*2\r\n$4\r\nAUTH\r\n$" + token.length() + "\r\n" + token + "\r\n";
    }

    static String authCommand(String user, String token) {
        return "*3\r\n$4\r\nAUTH\r\n$" + user.length() + "\r\n" + user + "\r\n$" + token.length() + "\r\n" + token
                + "\r\n";
    }

    /** One connection: AUTH with {@code token}, then PING when admitted; returns the AUTH reply line. */
    static String signIn(String token) throws Exception {
        return signIn(authCommand(token), true);
    }

    /** As {@link #signIn(String)}, with {@code AUTH user token}. */
    static String signIn(String user, String token) throws Exception {
        return signIn(authCommand(user, token), true);
    }

    private static String signIn(String authCommand, boolean ping) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            s.getOutputStream().write(authCommand.getBytes(StandardCharsets.US_ASCII));
            String reply = in.readLine();
            if (ping && reply.equals("+OK")) {
                s.getOutputStream().write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).isEqualTo("+PONG");
            }
            return reply;
        }
    }

    static String metrics() throws Exception {
        int admin = runtime.admin().orElseThrow().address().getPort();
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    static long metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^redis_entra_gateway_" + Pattern.quote(name) + " (\\d+)$")
                .matcher(text);
        assertThat(m.find()).as(name + " on /metrics").isTrue();
        return Long.parseLong(m.group(1));
    }

    static long signatureChecks() throws Exception {
        return metric(metrics(), "token_signature_checks_total");
    }

    @Test
    void twoHundredConnectionsWithOneTokenCostOneSignatureCheck() throws Exception {
        String token = token(alice, Duration.ofMinutes(30));
        String before = metrics();
        long checks = metric(before, "token_signature_checks_total");
        long hits = metric(before, "token_cache_lookups_total{result=\"hit\"}");
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout(30_000);
                sockets.add(s);
            }
            for (Socket s : sockets) { // all sign in at once
                s.getOutputStream().write(authCommand(token).getBytes(StandardCharsets.US_ASCII));
            }
            for (Socket s : sockets) {
                BufferedReader in =
                        new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                assertThat(in.readLine()).isEqualTo("+OK");
                s.getOutputStream().write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).isEqualTo("+PONG");
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        String after = metrics();
        assertThat(metric(after, "token_signature_checks_total") - checks).isEqualTo(1);
        assertThat(metric(after, "token_cache_lookups_total{result=\"hit\"}") - hits)
                .isEqualTo(199);
        assertThat(after).doesNotContain(token).doesNotContain(token.substring(token.lastIndexOf('.') + 1));

        // a hit still checks what belongs to the request: the user name must be empty, default or the token's oid
        assertThat(signIn(bob.objectId(), token)).isEqualTo(WRONGPASS);
        assertThat(signIn(alice.objectId(), token)).isEqualTo("+OK");
        assertThat(signatureChecks() - checks).isEqualTo(1);

        // one byte more or less is another token: checked (and refused), never a hit
        // (a character in the middle of the signature: the last one may carry only padding bits, which base64url
        // decoding drops, so changing it can leave the signature bytes, and the token's validity, unchanged)
        int mid = token.lastIndexOf('.') + (token.length() - token.lastIndexOf('.')) / 2;
        String forged = token.substring(0, mid) + (token.charAt(mid) == 'A' ? 'B' : 'A') + token.substring(mid + 1);
        assertThat(signIn(forged)).isEqualTo(WRONGPASS);
        assertThat(signatureChecks() - checks).isEqualTo(2);
    }

    @Test
    void aCachedTokenIsRefusedOnceItExpires() throws Exception {
        String token = token(alice, Duration.ofSeconds(3));
        long checks = signatureChecks();
        assertThat(signIn(token)).isEqualTo("+OK");
        assertThat(signIn(token)).isEqualTo("+OK");
        assertThat(signatureChecks() - checks).isEqualTo(1);
        // exp (3 s) + CLOCK_SKEW (1 s), rounded to whole seconds
        Thread.sleep(5_500);
        assertThat(signIn(token)).isEqualTo(WRONGPASS);
        assertThat(signatureChecks() - checks)
                .as("the expired entry is dropped: the token is checked again (and refused as expired)")
                .isEqualTo(2);
    }

    @Test
    void aRolesReloadAppliesToACachedTokenAtItsNextSignIn() throws Exception {
        String token = token(bob, Duration.ofMinutes(30));
        long checks = signatureChecks();
        assertThat(signIn(token)).isEqualTo("+OK");
        AccessControl access = runtime.accessControl().orElseThrow();
        try {
            Path next = Files.writeString(dir.resolve("roles.yaml.new"), ROLES.formatted(READERS));
            Files.move(next, roles, StandardCopyOption.ATOMIC_MOVE);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !access.current().groupsOfInterest().contains(WRITERS));
            await().atMost(Duration.ofSeconds(10)).until(() -> signIn(token).equals(WRONGPASS));
            assertThat(signatureChecks() - checks)
                    .as("the claims came from the cache; the decision was made again")
                    .isEqualTo(1);
        } finally {
            Path back = Files.writeString(dir.resolve("roles.yaml.back"), ROLES.formatted(READERS + ", " + WRITERS));
            Files.move(back, roles, StandardCopyOption.ATOMIC_MOVE);
            await().atMost(Duration.ofSeconds(30)).until(() -> signIn(token).equals("+OK"));
        }
    }

    @Test
    void aTokenWhoseKeyLeftTheJwksIsRefusedAtItsNextSignIn() throws Exception {
        String oldKid = tenant.signingKeys().currentKeyId();
        String token = token(alice, Duration.ofMinutes(30));
        assertThat(signIn(token)).isEqualTo("+OK");
        long checks = signatureChecks();
        assertThat(signIn(token)).isEqualTo("+OK");
        assertThat(signatureChecks()).isEqualTo(checks); // a hit

        tenant.signingKeys().rotate();
        tenant.signingKeys().retire(oldKid);
        // the periodic refresh (JWKS_REFRESH_INTERVAL=1s) drops the retired key; the cached token goes with it
        await().atMost(Duration.ofSeconds(30)).until(() -> signIn(token).equals(WRONGPASS));
        String fresh = token(alice, Duration.ofMinutes(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> signIn(fresh).equals("+OK"));
    }
}
