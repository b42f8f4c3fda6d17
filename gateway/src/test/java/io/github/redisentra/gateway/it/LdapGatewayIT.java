package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.auth.AuditEvent;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.RoutingAuthenticator;
import io.github.redisentra.gateway.auth.ldap.LdapAuthenticator;
import io.github.redisentra.gateway.auth.ldap.TestDirectory;
import io.github.redisentra.gateway.config.LdapConfig;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.TestCertificateAuthority;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * LDAP sign-in through the gateway, all real: an in-memory LDAP directory over LDAPS, the Entra emulator, a TLS
 * redis-server upstream, and redis-cli-style raw clients, Lettuce (RESP2 and RESP3 / HELLO AUTH) and Jedis sending
 * {@code AUTH <user> <password>}. Entra tokens and directory passwords are accepted on the same listener.
 */
@Timeout(180)
class LdapGatewayIT {
    static GatewayHarness h;
    static TestDirectory dir;
    static LdapAuthenticator ldap;
    static GatewayServer gateway;
    static int port;
    static final List<AuditEvent> audit = new CopyOnWriteArrayList<>();

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Duration.ofMinutes(30), false);
        TestCertificateAuthority ca = TestCertificateAuthority.create("ldap-it-ca");
        dir = new TestDirectory(ca);
        Map<String, String> env = new HashMap<>();
        env.put("LDAP_SERVERS", dir.ldapsUrl());
        env.put("LDAP_CA_FILE", ca.writeCertificatePem(tmp.resolve("ca.pem")).toString());
        env.put("LDAP_MODE", "search+bind");
        env.put("LDAP_BIND_DN", TestDirectory.SVC_DN);
        env.put("LDAP_BIND_PASSWORD", TestDirectory.SVC_PW);
        env.put("LDAP_SEARCH_BASE", TestDirectory.PEOPLE);
        env.put("LDAP_ALLOWED_GROUPS", "name:Redis Users");
        ldap = LdapAuthenticator.create(
                LdapConfig.read(env).orElseThrow(), new AuditLog(List.of(audit::add)), Clock.systemUTC());
        gateway = new GatewayServer(
                        GatewaySettings.loopback(0)
                                .withSession(GatewayHarness.sessionSettings())
                                .withDrainTimeout(Duration.ofSeconds(5)),
                        new RoutingAuthenticator(h.authenticator, ldap),
                        h.endpoint(),
                        h.credentials,
                        new CountingEvents())
                .start();
        port = gateway.localAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (ldap != null) {
            ldap.close();
        }
        if (dir != null) {
            dir.close();
        }
        if (h != null) {
            h.close();
        }
    }

    static RedisCli client() {
        return RedisCli.connect("127.0.0.1", port);
    }

    static AuditEvent lastAuditOf(String user) {
        for (int i = audit.size() - 1; i >= 0; i--) {
            if (user.equals(audit.get(i).objectId())) {
                return audit.get(i);
            }
        }
        throw new AssertionError("no audit event for " + user);
    }

    @Test
    void directoryUserReachesTheUpstreamThroughTheGateway() {
        try (RedisCli c = client()) {
            assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
            assertThat(c.callString("SET", "ldap:raw", "v")).isEqualTo("OK");
            assertThat(c.callString("GET", "ldap:raw")).isEqualTo("v");
        }
        AuditEvent e = lastAuditOf("alice");
        assertThat(e.result()).isEqualTo("allowed");
        assertThat(e.displayName()).isEqualToIgnoringCase("uid=alice," + TestDirectory.PEOPLE);
        assertThat(e.groups()).containsExactly("name:redis users");
        assertThat(h.redis.cli().callString("GET", "ldap:raw")).isEqualTo("v");
    }

    @Test
    void refusalsAnswerWrongpassWithTheAuditReason() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("alice|wrong", "invalid_credentials");
        cases.put("nobody|x", "unknown_user");
        cases.put("carol|carol-pw", "account_disabled");
        cases.put("dave|dave-pw", "account_locked");
        cases.put("bob|bob-pw", "missing_group");
        cases.put("*)(uid=*|alice-pw", "unknown_user");
        cases.put("*|alice-pw", "unknown_user");
        cases.put("\\|alice-pw", "unknown_user");
        cases.put("alice\u0000|alice-pw", "invalid_username");
        cases.put("alice|", "empty_password");
        int aliceBinds = dir.userBinds("alice");
        try (RedisCli c = client()) {
            for (Map.Entry<String, String> k : cases.entrySet()) {
                String[] up = k.getKey().split("\\|", -1);
                assertThatThrownBy(() -> c.call("AUTH", up[0], up[1]))
                        .as(k.getKey())
                        .isInstanceOf(RedisErrorReply.class)
                        .hasMessageContaining("WRONGPASS");
                assertThat(lastAuditOf(LdapAuthenticatorPrintable.of(up[0])).reason())
                        .as(k.getKey())
                        .isEqualTo(k.getValue());
            }
            assertThatThrownBy(() -> c.call("GET", "x")).hasMessageContaining("NOAUTH");
        }
        assertThat(dir.userBinds("alice") - aliceBinds)
                .as("only the wrong-password case bound alice; injections found no entry")
                .isEqualTo(1);
    }

    @Test
    void jwtShapedPasswordsGoToEntraOnlyAndOthersToLdap() {
        int ldapAttempts = audit.size();
        try (RedisCli c = client()) {
            assertThat(c.callString("AUTH", "default", h.token(h.alice))).isEqualTo("OK");
            assertThat(c.callString("PING")).isEqualTo("PONG");
            // A forged JWT-shaped password with a directory user name: Entra refuses it, the directory never sees it.
            int binds = dir.userBinds("alice");
            assertThatThrownBy(() -> c.call("AUTH", "alice", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.c2ln"))
                    .hasMessageContaining("WRONGPASS");
            assertThat(dir.userBinds("alice")).isEqualTo(binds);
        }
        assertThat(audit.size()).as("no LDAP audit event for Entra credentials").isEqualTo(ldapAttempts);
    }

    @Test
    void lettuceAndJedisSignInWithUserAndPassword() {
        for (ProtocolVersion v : List.of(ProtocolVersion.RESP2, ProtocolVersion.RESP3)) {
            RedisClient client = RedisClient.create(RedisURI.builder()
                    .withHost("127.0.0.1")
                    .withPort(port)
                    .withAuthentication("alice", "alice-pw")
                    .withTimeout(Duration.ofSeconds(20))
                    .build());
            client.setOptions(ClientOptions.builder().protocolVersion(v).build());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                assertThat(c.sync().set("ldap:lettuce:" + v, "1")).isEqualTo("OK");
                assertThat(c.sync().get("ldap:lettuce:" + v)).isEqualTo("1");
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
        try (Jedis jedis = new Jedis(
                new HostAndPort("127.0.0.1", port),
                DefaultJedisClientConfig.builder()
                        .user("slowpoke")
                        .password("slowpoke-pw")
                        .socketTimeoutMillis(20_000)
                        .build())) {
            assertThat(jedis.set("ldap:jedis", "j")).isEqualTo("OK");
            assertThat(jedis.get("ldap:jedis")).isEqualTo("j");
        }
    }

    @Test
    void aSlowDirectoryDoesNotStallOtherClients() throws Exception {
        try (RedisCli signedIn = client();
                RedisCli slow = client();
                RedisCli other = client()) {
            assertThat(signedIn.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
            ldap.flushCache();
            CountDownLatch release = dir.holdBinds("uid=slowpoke," + TestDirectory.PEOPLE);
            try {
                CompletableFuture<String> pending =
                        CompletableFuture.supplyAsync(() -> slow.callString("AUTH", "slowpoke", "slowpoke-pw"));
                assertThat(dir.bindHeld.await(30, TimeUnit.SECONDS)).isTrue();
                // While the directory holds slowpoke's bind: commands of a signed-in client and other sign-ins go on.
                for (int i = 0; i < 50; i++) {
                    assertThat(signedIn.callString("SET", "ldap:slow:" + i, "x"))
                            .isEqualTo("OK");
                }
                assertThat(other.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                assertThat(other.callString("PING")).isEqualTo("PONG");
                assertThat(pending).as("still waiting for the directory").isNotDone();
                release.countDown();
                assertThat(pending.get(30, TimeUnit.SECONDS)).isEqualTo("OK");
            } finally {
                release.countDown();
            }
            assertThat(slow.callString("GET", "ldap:slow:49")).isEqualTo("x");
        }
    }

    @Test
    void cacheHitAvoidsABindAtTheDirectory() {
        ldap.flushCache();
        int before = dir.userBinds("alice");
        for (int i = 0; i < 3; i++) {
            try (RedisCli c = client()) {
                assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
            }
        }
        assertThat(dir.userBinds("alice") - before)
                .as("one bind, two cache hits")
                .isEqualTo(1);
        ldap.flushCache("alice");
        try (RedisCli c = client()) {
            assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
        }
        assertThat(dir.userBinds("alice") - before).as("flush forces a bind").isEqualTo(2);
    }

    /** The audit log's rendering of a user name (control characters replaced). */
    static final class LdapAuthenticatorPrintable {
        static String of(String s) {
            StringBuilder sb = new StringBuilder();
            for (char ch : s.toCharArray()) {
                sb.append(ch >= 0x20 && ch != 0x7f && !Character.isISOControl(ch) ? ch : '?');
            }
            return sb.toString();
        }
    }
}
