package io.github.redisentra.gateway.it;

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
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.GatewaySetup;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.acl.PolicyReloader;
import io.github.redisentra.gateway.acl.RolePolicy;
import io.github.redisentra.gateway.admin.GatewayMetrics;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Per-role permissions end to end: the Entra emulator issues real tokens, the gateway's real
 * {@link EntraAuthenticator} reads a real roles file through {@link GatewayConfig}, and a real redis-server is
 * upstream. Denials are compared with what redis-server itself answers for an ACL user with the same rules.
 */
@Timeout(120)
class RolesIT {
    static final String READERS = "11111111-0000-4000-8000-000000000001";
    static final String WRITERS = "22222222-0000-4000-8000-000000000002";
    static final String CHAT = "33333333-0000-4000-8000-000000000003";
    static final String SCRIPTS = "44444444-0000-4000-8000-000000000004";
    static final String OTHER = "55555555-0000-4000-8000-000000000005";

    static final String READER_RULES = "+@read +@connection ~app:*";
    static final String WRITER_RULES = "+@read +@write +@transaction +@connection %R~app:* %W~out:* ~scratch:*";
    static final String CHAT_RULES = "+@pubsub &news.*";
    static final String SCRIPT_RULES = "+@scripting +eval +@connection ~s:*";
    static final String ADMIN_RULES = "+@all allkeys allchannels +config|get";

    static final String ROLES =
            """
            # the README's worked example, plus chat and scripts
            roles:
              readers:
                match:
                  groups: [%s]
                rules: %s
              writers:
                match:
                  groups: [%s]
                rules: %s
              chat:
                match:
                  groups: [%s]
                rules: "%s"
              scripts:
                match:
                  groups: [%s]
                rules: %s
              admins:
                match:
                  appRoles: [Redis.Admin]
                rules:
                  - +@all allkeys allchannels
                  - +config|get
            """.formatted(READERS, READER_RULES, WRITERS, WRITER_RULES, CHAT, CHAT_RULES, SCRIPTS, SCRIPT_RULES);

    static final String NOPERM_KEY = "-NOPERM this user has no permissions to access one of the keys used as arguments";
    static final String NOPERM_CHANNEL =
            "-NOPERM this user has no permissions to access one of the channels used as arguments";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice; // readers
    static User bob; // writers
    static User carol; // readers + chat
    static User dave; // scripts
    static User erin; // no role
    static User frank; // app role Redis.Admin
    static RedisServer redis;
    static EntraAuthenticator auth;
    static GatewayMetrics metrics;
    static GatewayServer gw;
    static Map<String, String> baseEnv;

    @BeforeAll
    static void start() throws Exception {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway-api")
                .acceptedTokenVersion(2)
                .appRoles("Redis.Admin")
                .groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(READERS));
        bob = tenant.addUser(UserSpec.named("bob").groups(WRITERS));
        carol = tenant.addUser(UserSpec.named("carol").groups(READERS, CHAT));
        dave = tenant.addUser(UserSpec.named("dave").groups(SCRIPTS));
        erin = tenant.addUser(UserSpec.named("erin").groups(OTHER));
        frank = tenant.addUser(UserSpec.named("frank").appRoles(api, "Redis.Admin"));
        redis = RedisServer.start();
        Path roles = Files.writeString(dir.resolve("roles.yaml"), ROLES);
        Map<String, String> env = new HashMap<>();
        env.put("TENANT_ID", tenant.id());
        env.put("EXPECTED_AUDIENCE", api.clientId());
        env.put("ROLES_FILE", roles.toString());
        env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
        env.put("REDIS_TLS", "false");
        env.put("LISTEN_ADDR", "127.0.0.1:0");
        env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        env.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
        env.put("HTTPS_CA_FILE", emu.writeCaCertificate(dir.resolve("ca.pem")).toString());
        baseEnv = Map.copyOf(env);
        GatewayConfig config = GatewayConfig.from(env);
        auth = GatewaySetup.of(config).entraAuthenticator(null, new AuditLog(), Clock.systemUTC());
        auth.start().get();
        metrics = new GatewayMetrics(Clock.systemUTC());
        gw = new GatewayServer(
                        GatewaySettings.loopback(0)
                                .withSession(SessionSettings.DEFAULTS)
                                .withDrainTimeout(Duration.ofSeconds(5)),
                        auth,
                        UpstreamEndpoint.plaintext("127.0.0.1", redis.port()),
                        UpstreamCredentials.password(redis.adminUsername(), redis.adminPassword()),
                        metrics,
                        new AccessControl(GatewaySetup.of(config).roles().orElseThrow()))
                .start();
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (auth != null) {
            auth.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (emu != null) {
            emu.close();
        }
    }

    static String token(User u) {
        return emu.mintAccessToken(TokenRequest.forUser(tenant, u, api).lifetime(Duration.ofMinutes(30)));
    }

    static RawClient as(User u) throws Exception {
        RawClient c = new RawClient(gw.localAddress().getPort());
        c.timeout(15_000);
        c.send("AUTH " + token(u) + "\r\n");
        assertThat(c.line()).isEqualTo("+OK");
        return c;
    }

    /** What redis-server itself answers a user with {@code rules} for {@code command}: the reply or error line. */
    static String redisItself(String rules, String... command) {
        redis.cli().call(concat(List.of("ACL", "SETUSER", "twin", "reset", "on", ">twin-pass"), rules.split(" ")));
        try (RedisCli c = redis.connect()) {
            c.call("AUTH", "twin", "twin-pass");
            try {
                Object r = c.call(command);
                return String.valueOf(r);
            } catch (RedisErrorReply e) {
                return "-" + e.getMessage();
            }
        }
    }

    private static String[] concat(List<String> a, String[] b) {
        String[] out = new String[a.size() + b.length];
        for (int i = 0; i < a.size(); i++) {
            out[i] = a.get(i);
        }
        System.arraycopy(b, 0, out, a.size(), b.length);
        return out;
    }

    @Test
    void readOnlyRoleReadsButCannotWriteAndGetsRedisOwnNopermInOrder() throws Exception {
        redis.cli().call("SET", "app:1", "hello");
        try (RawClient c = as(alice)) {
            c.send("GET app:1\r\nSET app:1 v\r\nPING\r\nGET other\r\nFLUSHALL\r\nGET app:1\r\n");
            assertThat(c.line()).isEqualTo("$5");
            assertThat(c.line()).isEqualTo("hello");
            String setDenied = c.line();
            assertThat(setDenied).isEqualTo("-NOPERM this user has no permissions to run the 'set' command");
            assertThat(setDenied).isEqualTo(redisItself(READER_RULES, "SET", "app:1", "v"));
            assertThat(c.line()).isEqualTo("+PONG");
            String keyDenied = c.line();
            assertThat(keyDenied).isEqualTo(NOPERM_KEY).isEqualTo(redisItself(READER_RULES, "GET", "other"));
            assertThat(c.line()).isEqualTo("-NOPERM this user has no permissions to run the 'flushall' command");
            assertThat(c.line()).isEqualTo("$5"); // the connection stays open and usable
            assertThat(c.line()).isEqualTo("hello");
        }
        assertThat(redis.cli().callString("GET", "app:1")).isEqualTo("hello");
        assertThat(metrics.render())
                .contains("redis_entra_gateway_commands_refused_total{reason=\"noperm_command\"}")
                .contains("redis_entra_gateway_commands_refused_total{reason=\"noperm_key\"}");
    }

    @Test
    void jedisSeesTheSameNopermAsFromRedis() throws Exception {
        try (Jedis j = new Jedis(
                new HostAndPort("127.0.0.1", gw.localAddress().getPort()),
                DefaultJedisClientConfig.builder()
                        .password(token(alice))
                        .socketTimeoutMillis(15_000)
                        .build())) {
            redis.cli().call("SET", "app:j", "x");
            assertThat(j.get("app:j")).isEqualTo("x");
            assertThatThrownBy(() -> j.set("app:j", "y"))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessage("NOPERM this user has no permissions to run the 'set' command");
            assertThatThrownBy(() -> j.get("secret"))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessage(NOPERM_KEY.substring(1));
            assertThat(j.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void readAndWritePatternsFollowAccessFlags() throws Exception {
        redis.cli().call("SET", "app:2", "a");
        try (RawClient c = as(bob)) {
            c.send(
                    "SET out:1 v\r\nGET out:1\r\nSET app:2 b\r\nCOPY app:2 out:2\r\nSET scratch:1 x\r\nGET scratch:1\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            String readOfWriteOnly = c.line();
            assertThat(readOfWriteOnly).isEqualTo(NOPERM_KEY).isEqualTo(redisItself(WRITER_RULES, "GET", "out:1"));
            assertThat(c.line()).isEqualTo(NOPERM_KEY).isEqualTo(redisItself(WRITER_RULES, "SET", "app:2", "b"));
            assertThat(c.line()).isEqualTo(":1"); // reads app:2 (%R), writes out:2 (%W)
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("$1");
            assertThat(c.line()).isEqualTo("x");
        }
        assertThat(redis.cli().callString("GET", "out:2")).isEqualTo("a");
        assertThat(redis.cli().callString("GET", "app:2")).isEqualTo("a");
    }

    @Test
    void channelRulesForSubscribePsubscribeAndPublish() throws Exception {
        try (RawClient sub = as(carol);
                RawClient pub = as(carol);
                RawClient reader = as(alice)) {
            sub.send("PSUBSCRIBE n*\r\nSUBSCRIBE news.1\r\n");
            assertThat(sub.line()).isEqualTo(NOPERM_CHANNEL).isEqualTo(redisItself(CHAT_RULES, "PSUBSCRIBE", "n*"));
            assertThat(sub.line()).isEqualTo("*3");
            assertThat(sub.line()).isEqualTo("$9");
            assertThat(sub.line()).isEqualTo("subscribe");
            assertThat(sub.line()).isEqualTo("$6");
            assertThat(sub.line()).isEqualTo("news.1");
            assertThat(sub.line()).isEqualTo(":1");
            pub.send("PUBLISH other m\r\nPUBLISH news.1 hi\r\n");
            assertThat(pub.line()).isEqualTo(NOPERM_CHANNEL);
            assertThat(pub.line()).isEqualTo(":1");
            assertThat(sub.line()).isEqualTo("*3");
            assertThat(sub.line()).isEqualTo("$7");
            assertThat(sub.line()).isEqualTo("message");
            reader.send("SUBSCRIBE news.1\r\nPUBLISH news.1 x\r\n");
            assertThat(reader.line()).isEqualTo("-NOPERM this user has no permissions to run the 'subscribe' command");
            assertThat(reader.line()).isEqualTo("-NOPERM this user has no permissions to run the 'publish' command");
        }
    }

    @Test
    void deniedCommandInsideMultiAbortsTheTransactionAsRedisDoes() throws Exception {
        redis.cli().call("SET", "out:tx", "before");
        String[] expected = {
            "+OK", "+QUEUED", NOPERM_KEY, "-EXECABORT Transaction discarded because of previous errors."
        };
        try (RawClient c = as(bob)) {
            c.send("MULTI\r\nSET out:tx after\r\nSET app:tx x\r\nEXEC\r\nGET scratch:none\r\n");
            for (String e : expected) {
                assertThat(c.line()).isEqualTo(e);
            }
            assertThat(c.line()).isEqualTo("$-1"); // still connected, out of the transaction
        }
        assertThat(redis.cli().callString("GET", "out:tx")).isEqualTo("before");
        // redis-server itself, for a user with the same rules
        redis.cli()
                .call(concat(List.of("ACL", "SETUSER", "twin", "reset", "on", ">twin-pass"), WRITER_RULES.split(" ")));
        try (RedisCli direct = redis.connect()) {
            direct.call("AUTH", "twin", "twin-pass");
            assertThat(direct.callString("MULTI")).isEqualTo("OK");
            assertThat(direct.callString("SET", "out:tx", "after")).isEqualTo("QUEUED");
            assertThatThrownBy(() -> direct.call("SET", "app:tx", "x")).hasMessage(NOPERM_KEY.substring(1));
            assertThatThrownBy(() -> direct.call("EXEC")).hasMessage(expected[3].substring(1));
        }
    }

    @Test
    void execAfterARefusedMultiIsAbortedInRedisOwnWords() throws Exception {
        redis.cli().call("SET", "app:m", "m");
        try (RawClient c = as(alice)) {
            c.send("MULTI\r\nGET app:m\r\nEXEC\r\nPING\r\n");
            assertThat(c.line())
                    .isEqualTo("-NOPERM this user has no permissions to run the 'multi' command")
                    .isEqualTo(redisItself(READER_RULES, "MULTI"));
            assertThat(c.line()).isEqualTo("$1"); // not inside a transaction: it ran
            assertThat(c.line()).isEqualTo("m");
            assertThat(c.line())
                    .isEqualTo("-EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run"
                            + " the 'exec' command")
                    .isEqualTo(redisItself(READER_RULES, "EXEC"));
            assertThat(c.line()).isEqualTo("+PONG");
        }
    }

    @Test
    void evalNeedsAnExplicitGrantAndItsDeclaredKeysMustMatch() throws Exception {
        redis.cli().call("SET", "s:1", "one");
        try (RawClient reader = as(alice);
                RawClient scripter = as(dave)) {
            reader.send("EVAL \"return 1\" 0\r\n");
            assertThat(reader.line()).isEqualTo("-NOPERM this user has no permissions to run the 'eval' command");
            scripter.send("EVAL \"return redis.call('GET',KEYS[1])\" 1 s:1\r\n"
                    + "EVAL \"return 1\" 1 other\r\n"
                    + "EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0\r\n"
                    + "SCRIPT FLUSH\r\n");
            assertThat(scripter.line()).isEqualTo("$3");
            assertThat(scripter.line()).isEqualTo("one");
            assertThat(scripter.line()).isEqualTo(NOPERM_KEY);
            // +@scripting alone does not grant the shared-identity commands: only +eval was named
            assertThat(scripter.line()).isEqualTo("-NOPERM this user has no permissions to run the 'evalsha' command");
            assertThat(scripter.line())
                    .isEqualTo("-NOPERM this user has no permissions to run the 'script|flush' command");
        }
    }

    @Test
    void twoMatchingRolesGiveTheUnion() throws Exception {
        redis.cli().call("SET", "app:u", "u");
        try (RawClient c = as(carol)) {
            c.send("GET app:u\r\nPUBLISH news.x m\r\nPUBLISH app:u m\r\nSET app:u v\r\n");
            assertThat(c.line()).isEqualTo("$1");
            assertThat(c.line()).isEqualTo("u");
            assertThat(c.line()).isEqualTo(":0");
            assertThat(c.line()).isEqualTo(NOPERM_CHANNEL);
            assertThat(c.line()).isEqualTo("-NOPERM this user has no permissions to run the 'set' command");
        }
    }

    @Test
    void userMatchingNoRoleIsRefusedAtAuth() throws Exception {
        try (RawClient c = new RawClient(gw.localAddress().getPort())) {
            c.send("AUTH " + token(erin) + "\r\nGET app:1\r\n");
            assertThat(c.line()).isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.");
            assertThat(c.line()).isEqualTo("-NOAUTH Authentication required.");
        }
    }

    @Test
    void adminsByAppRoleStillNeedExplicitGrantsForSharedIdentityCommands() throws Exception {
        try (RawClient c = as(frank)) {
            c.send("CONFIG GET maxmemory\r\nFLUSHALL\r\nCLIENT LIST\r\nSET any:key v\r\nCONFIG SET maxmemory 0\r\n");
            assertThat(c.line()).isEqualTo("*2");
            assertThat(c.line()).isEqualTo("$9");
            assertThat(c.line()).isEqualTo("maxmemory");
            c.line();
            c.line();
            assertThat(c.line()).isEqualTo("-NOPERM this user has no permissions to run the 'flushall' command");
            assertThat(c.line()).isEqualTo("-NOPERM this user has no permissions to run the 'client|list' command");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("-NOPERM this user has no permissions to run the 'config|set' command");
        }
    }

    @Test
    void reloadKeepsTheOldPolicyOnABadFileAndAppliesAGoodOneToOpenSessions() throws Exception {
        Path file = dir.resolve("reloaded.yaml");
        String readersOnly = "roles:\n  readers:\n    match: {groups: [" + READERS + "]}\n    rules: +@read ~app:*\n";
        Files.writeString(file, readersOnly);
        Map<String, String> env = new HashMap<>(baseEnv);
        env.put("ROLES_FILE", file.toString());
        GatewayConfig config = GatewayConfig.from(env);
        AccessControl access = new AccessControl(GatewaySetup.of(config).roles().orElseThrow());
        redis.cli().call("SET", "app:r", "r");
        try (EntraAuthenticator auth2 =
                GatewaySetup.of(config).entraAuthenticator(null, new AuditLog(), Clock.systemUTC())) {
            auth2.start().get();
            GatewayServer gw2 = new GatewayServer(
                    GatewaySettings.loopback(0).withSession(SessionSettings.DEFAULTS),
                    auth2,
                    UpstreamEndpoint.plaintext("127.0.0.1", redis.port()),
                    UpstreamCredentials.password(redis.adminUsername(), redis.adminPassword()),
                    null,
                    access);
            gw2.start();
            try (PolicyReloader reloader = new PolicyReloader(
                            file,
                            GatewaySetup.of(config).roles().orElseThrow().table(),
                            access,
                            p -> auth2.policy(EntraAuthenticator.admission(
                                    config.entra().requiredGroupIds(), p.groupsOfInterest(), p.appRolesOfInterest())),
                            Duration.ofMillis(100));
                    RawClient c = new RawClient(gw2.localAddress().getPort())) {
                c.timeout(15_000);
                c.send("AUTH " + token(alice) + "\r\nSET app:r v\r\n");
                assertThat(c.line()).isEqualTo("+OK");
                assertThat(c.line()).isEqualTo("-NOPERM this user has no permissions to run the 'set' command");
                RolePolicy before = access.current();

                Files.writeString(file, readersOnly.replace("+@read", "+@read +@bogus"));
                assertThat(reloader.reload()).isFalse();
                Thread.sleep(300); // the poller sees the bad file too and rejects it
                assertThat(access.current()).isSameAs(before);
                c.send("GET app:r\r\nSET app:r v\r\n");
                assertThat(c.line()).isEqualTo("$1");
                assertThat(c.line()).isEqualTo("r");
                assertThat(c.line()).isEqualTo("-NOPERM this user has no permissions to run the 'set' command");

                // a valid file: writes for readers, and a new role for erin's group (admission follows)
                Files.writeString(
                        file,
                        readersOnly.replace("+@read", "+@read +@write") + "  others:\n    match: {groups: [" + OTHER
                                + "]}\n    rules: +ping\n");
                await().atMost(Duration.ofSeconds(10)).until(() -> access.current() != before);
                c.send("SET app:r v\r\n");
                assertThat(c.line()).isEqualTo("+OK"); // the open session, at its next command
                try (RawClient e = new RawClient(gw2.localAddress().getPort())) {
                    e.timeout(15_000);
                    e.send("AUTH " + token(erin) + "\r\nPING\r\nGET app:r\r\n");
                    assertThat(e.line()).isEqualTo("+OK");
                    assertThat(e.line()).isEqualTo("+PONG");
                    assertThat(e.line()).isEqualTo("-NOPERM this user has no permissions to run the 'get' command");
                }
            } finally {
                gw2.close();
            }
        }
    }
}
