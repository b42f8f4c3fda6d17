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
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incident response over real sockets: an administrator locks a user through {@code /admin/locks}; the user's open
 * session is closed at once (another user's stays), credentials issued before the lock are refused on a new
 * connection, newer ones are admitted, the lock survives a restart of the gateway, and lifting it lets the old
 * credential in again.
 */
@Timeout(120)
class UserLockIT {
    static final String GROUP = "bbbbbbbb-0000-4000-8000-00000000000b";
    static final String ADMIN_TOKEN = "incident-admin-token";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice;
    static User carol;
    static ManagedIdentity mi;
    static RedisServer redis;
    static AzureCacheStandIn cache;
    static Path emulatorCa;
    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        carol = tenant.addUser(UserSpec.named("carol").groups(GROUP));
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

    GatewayRuntime startGateway(Path locksFile) throws Exception {
        Map<String, String> m =
                TestGatewaySettings.base(emu, tenant.id(), api.clientId(), emulatorCa, redis.tlsPort(), redis.caFile());
        m.put("ALLOWED_GROUP_IDS", GROUP);
        m.put("DRAIN_TIMEOUT", "2s");
        m.put(
                "LOCAL_REDIS_TOKEN",
                emu.mintAccessToken(TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE)));
        m.put("ADMIN_API_TOKEN", ADMIN_TOKEN);
        m.put("USER_LOCKS_FILE", locksFile.toString());
        GatewayRuntime runtime = GatewayRuntime.create(GatewayConfig.from(m), Clock.systemUTC());
        runtime.start(RespListenerWiring::start);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() ->
                        assertThat(get(runtime, "/readyz", null).statusCode()).isEqualTo(200));
        return runtime;
    }

    String token(User u, Instant issuedAt) {
        return emu.mintAccessToken(TokenRequest.forUser(tenant, u, api).issuedAt(issuedAt));
    }

    static RedisCli client(GatewayRuntime runtime) {
        return RedisCli.connect(
                "127.0.0.1", runtime.listener().orElseThrow().localAddress().getPort());
    }

    @Test
    void lockClosesTheUsersSessionsRefusesOlderTokensAndSurvivesARestart() throws Exception {
        Path locks = dir.resolve("locks.json");
        Instant beforeLock = Instant.now().minusSeconds(60);
        String aliceOld = token(alice, beforeLock);
        GatewayRuntime gw = startGateway(locks);
        try (RedisCli aliceSession = client(gw);
                RedisCli carolSession = client(gw)) {
            assertThat(aliceSession.callString("AUTH", aliceOld)).isEqualTo("OK");
            assertThat(aliceSession.callString("SET", "lock-it", "v")).isEqualTo("OK");
            assertThat(carolSession.callString("AUTH", token(carol, beforeLock)))
                    .isEqualTo("OK");

            assertThat(post(gw, "/admin/locks?user=" + alice.objectId(), "wrong-token")
                            .statusCode())
                    .isEqualTo(401);
            HttpResponse<String> locked = post(
                    gw, "/admin/locks?user=" + alice.objectId().toUpperCase() + "&reason=stolen%20laptop", ADMIN_TOKEN);
            assertThat(locked.statusCode()).isEqualTo(200);
            assertThat(locked.body())
                    .contains("\"user\":\"" + alice.objectId() + "\"")
                    .contains("\"reason\":\"stolen laptop\"")
                    .contains("\"sessions_closed\":1");

            // Alice's open session is closed with a line saying why; Carol's goes on.
            assertThatThrownBy(() -> aliceSession.call("GET", "lock-it"))
                    .isInstanceOf(RedisErrorReply.class)
                    .hasMessageContaining("an administrator locked this user out");
            await().atMost(Duration.ofSeconds(10)).until(aliceSession::isClosedByServer);
            assertThat(carolSession.callString("GET", "lock-it")).isEqualTo("v");
        }
        // A token issued before the lock is refused on a new connection; one issued after it is admitted.
        try (RedisCli again = client(gw)) {
            assertThatThrownBy(() -> again.call("AUTH", aliceOld))
                    .isInstanceOf(RedisErrorReply.class)
                    .hasMessageStartingWith("WRONGPASS");
            assertThat(again.callString("AUTH", token(alice, Instant.now().plusSeconds(2))))
                    .isEqualTo("OK");
        }
        assertThat(get(gw, "/admin/locks", ADMIN_TOKEN).body()).contains("\"user\":\"" + alice.objectId() + "\"");
        assertThat(get(gw, "/metrics", null).body())
                .contains("redis_entra_gateway_auth_total{result=\"denied\",reason=\"user_locked\"} 1\n")
                .contains("redis_entra_gateway_user_locks 1\n")
                .contains("redis_entra_gateway_user_lock_sessions_closed_total 1\n");
        gw.shutdown();

        // The lock is in the file and in force in the next process, until lifted.
        assertThat(Files.readString(locks)).contains(alice.objectId()).doesNotContain(aliceOld);
        GatewayRuntime restarted = startGateway(locks);
        try (RedisCli afterRestart = client(restarted)) {
            assertThatThrownBy(() -> afterRestart.call("AUTH", aliceOld))
                    .isInstanceOf(RedisErrorReply.class)
                    .hasMessageStartingWith("WRONGPASS");
            HttpResponse<String> lifted = delete(restarted, "/admin/locks?user=" + alice.objectId());
            assertThat(lifted.body()).contains("\"unlocked\":true");
            assertThat(afterRestart.callString("AUTH", aliceOld)).isEqualTo("OK");
            assertThat(get(restarted, "/admin/locks", ADMIN_TOKEN).body()).contains("\"locks\":[]");
        } finally {
            restarted.shutdown();
        }
    }

    HttpResponse<String> get(GatewayRuntime rt, String path, String bearer) throws Exception {
        return send(rt, path, "GET", bearer);
    }

    HttpResponse<String> post(GatewayRuntime rt, String path, String bearer) throws Exception {
        return send(rt, path, "POST", bearer);
    }

    HttpResponse<String> delete(GatewayRuntime rt, String path) throws Exception {
        return send(rt, path, "DELETE", ADMIN_TOKEN);
    }

    HttpResponse<String> send(GatewayRuntime rt, String path, String method, String bearer) throws Exception {
        URI uri = URI.create(
                "http://127.0.0.1:" + rt.admin().orElseThrow().address().getPort() + path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
