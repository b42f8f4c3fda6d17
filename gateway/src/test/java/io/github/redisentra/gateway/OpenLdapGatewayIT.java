package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.ldap.LdapAuthenticator;
import io.github.redisentra.gateway.auth.ldap.OpenLdapDirectory;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.testkit.OpenLdapServer;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.RedisServer;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * Directory sign-in against a real OpenLDAP {@code slapd} (2.5, {@code memberof} and {@code ppolicy} overlays, LDAPS
 * and StartTLS with the testkit's CA; see {@link OpenLdapDirectory}), through a gateway assembled by
 * {@link GatewayRuntime} from settings, over real sockets to a real redis-server. One slapd and one redis-server serve
 * the whole class; each test starts its own gateway with the settings it varies. Skipped with a message when slapd is
 * not installed.
 */
@Timeout(120)
class OpenLdapGatewayIT {
    static final String WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

    static TestCertificateAuthority ca;
    static OpenLdapServer slapd;
    static RedisServer redis;
    static final ListAppender<ILoggingEvent> audit = new ListAppender<>();
    static final Logger auditLogger = (Logger) LoggerFactory.getLogger(AuditLog.LOGGER);

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        if (OpenLdapServer.unavailable().isPresent()) {
            return; // each test is skipped with the reason (below), so that the report shows it
        }
        ca = TestCertificateAuthority.create("openldap-it-ca");
        slapd = OpenLdapDirectory.start(ca);
        redis = RedisServer.start();
        audit.start();
        auditLogger.addAppender(audit);
    }

    @BeforeEach
    void requireSlapd() {
        OpenLdapDirectory.assumeInstalled();
    }

    @AfterAll
    static void stop() {
        auditLogger.detachAppender(audit);
        if (redis != null) {
            redis.close();
        }
        if (slapd != null) {
            slapd.close();
        }
    }

    /** An LDAP-only gateway's settings: the class's redis-server upstream, the CA of slapd's certificate. */
    static Map<String, String> settings(String servers) {
        Map<String, String> env = new HashMap<>();
        env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
        env.put("REDIS_TLS", "false");
        env.put("REDIS_USERNAME", redis.adminUsername());
        env.put("REDIS_PASSWORD", redis.adminPassword());
        env.put("LISTEN_ADDR", "127.0.0.1:0");
        env.put("ADMIN_ADDR", "127.0.0.1:0");
        env.put("DRAIN_TIMEOUT", "2s");
        env.put("LDAP_SERVERS", servers);
        env.put(
                "LDAP_CA_FILE",
                ca.writeCertificatePem(dir.resolve("ldap-ca.pem")).toString());
        env.put("LDAP_OPERATION_TIMEOUT", "3s");
        env.put("LDAP_CONNECT_TIMEOUT", "3s");
        return env;
    }

    static Map<String, String> searchBind(String servers) {
        Map<String, String> env = settings(servers);
        env.put("LDAP_MODE", "search+bind");
        env.put("LDAP_BIND_DN", OpenLdapDirectory.SVC_DN);
        env.put("LDAP_BIND_PASSWORD", OpenLdapDirectory.SVC_PW);
        env.put("LDAP_SEARCH_BASE", OpenLdapDirectory.PEOPLE);
        return env;
    }

    /** Starts a gateway from {@code env}, runs {@code test} with its RESP port, closes it. */
    static void withGateway(Map<String, String> env, GatewayTest test) throws Exception {
        try (GatewayRuntime runtime = GatewayRuntime.create(GatewayConfig.from(env), Clock.systemUTC())) {
            runtime.start(RespListenerWiring::start);
            test.run(runtime, runtime.listener().orElseThrow().localAddress().getPort());
        }
    }

    interface GatewayTest {
        void run(GatewayRuntime runtime, int port) throws Exception;
    }

    @Test
    void bindOverStartTlsWithGroupsFromTheMemberOfOverlay() throws Exception {
        Map<String, String> env = settings(slapd.ldapUrl());
        env.put("LDAP_STARTTLS", "true");
        env.put("LDAP_BIND_DN_TEMPLATE", "uid={user}," + OpenLdapDirectory.PEOPLE);
        env.put("LDAP_REQUIRED_GROUPS", "CN=Redis Users, OU=Groups, DC=Example, DC=Com");
        withGateway(env, (runtime, port) -> {
            try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                assertThat(c.callString("SET", "openldap:bind", "1")).isEqualTo("OK");
                assertThat(lastAudit("alice"))
                        .containsEntry("result", "allowed")
                        .containsEntry("name", OpenLdapDirectory.dn("alice"))
                        .containsEntry("groups", "[cn=redis users,ou=groups,dc=example,dc=com]");
                assertRefused(c, "walt", "walt-pw", "missing_group");
                assertRefused(c, "alice", "not-her-password", "invalid_credentials");
                assertRefused(
                        c, "nobody", "x", "invalid_credentials"); // bind mode: an unknown DN binds like a wrong pw
                // The overlay keeps memberOf current: once walt is added to the group (and walt's cached sign-in,
                // which holds the groups read at the bind, is flushed), walt is admitted.
                slapd.modify("dn: " + OpenLdapDirectory.USERS_GROUP + "\nchangetype: modify\nadd: member\nmember: "
                        + OpenLdapDirectory.dn("walt") + "\n");
                try {
                    runtime.ldap().orElseThrow().flushCache("walt");
                    assertThat(c.callString("AUTH", "walt", "walt-pw")).isEqualTo("OK");
                    assertThat(c.callString("GET", "openldap:bind")).isEqualTo("1");
                } finally {
                    slapd.modify("dn: " + OpenLdapDirectory.USERS_GROUP
                            + "\nchangetype: modify\ndelete: member\nmember: " + OpenLdapDirectory.dn("walt") + "\n");
                }
            }
        });
    }

    @Test
    void searchAndBindOverLdapsWithGroupsFromAGroupSearch() throws Exception {
        Map<String, String> env = searchBind(slapd.ldapsUrl());
        env.put("LDAP_GROUP_SEARCH_BASE", OpenLdapDirectory.GROUPS);
        env.put("LDAP_GROUP_SEARCH_FILTER", "(&(objectClass=groupOfNames)(member={dn}))");
        env.put("LDAP_GROUP_ATTRIBUTE", "description"); // not memberOf: the groups must come from the search
        env.put("LDAP_ALLOWED_GROUPS", "name:Redis Readers;name:Redis Writers");
        withGateway(env, (runtime, port) -> {
            try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                assertThat(lastAudit("alice")).containsEntry("groups", "[name:redis readers]");
                assertThat(c.callString("AUTH", "walt", "walt-pw")).isEqualTo("OK");
                assertThat(lastAudit("walt")).containsEntry("groups", "[name:redis writers]");
                assertThat(c.callString("PING")).isEqualTo("PONG");
                assertRefused(c, "bob", "bob-pw", "missing_group");
                assertRefused(c, "nobody", "x", "unknown_user");
                assertRefused(c, "*", "alice-pw", "unknown_user"); // escaped: a literal '*' matches nobody
                assertRefused(c, "alice)(uid=*", "alice-pw", "unknown_user");
                assertRefused(c, "walt", "alice-pw", "invalid_credentials");
            }
        });
    }

    @Test
    void rolesFollowTheDirectoryGroupDns() throws Exception {
        Path roles = Files.writeString(dir.resolve("roles.yaml"), """
                roles:
                  readers:
                    match:
                      groups: ["CN=Redis Readers,OU=Groups,DC=Example,DC=Com"]
                    rules: +@read +@connection ~ol:*
                  writers:
                    match:
                      groups: ["cn=redis writers, ou=groups, dc=example, dc=com"]
                    rules: +@read +@write +@connection ~ol:*
                """);
        Map<String, String> env = searchBind(slapd.ldapsUrl());
        env.put("ROLES_FILE", roles.toString());
        redis.cli().call("SET", "ol:1", "one");
        withGateway(env, (runtime, port) -> {
            try (RedisCli alice = RedisCli.connect("127.0.0.1", port);
                    RedisCli walt = RedisCli.connect("127.0.0.1", port);
                    RedisCli bob = RedisCli.connect("127.0.0.1", port)) {
                assertThat(alice.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                assertThat(alice.callString("GET", "ol:1")).isEqualTo("one");
                assertThatThrownBy(() -> alice.call("SET", "ol:1", "x"))
                        .hasMessage("NOPERM this user has no permissions to run the 'set' command");
                assertThat(walt.callString("AUTH", "walt", "walt-pw")).isEqualTo("OK");
                assertThat(walt.callString("SET", "ol:1", "by-walt")).isEqualTo("OK");
                assertThat(alice.callString("GET", "ol:1")).isEqualTo("by-walt");
                assertRefused(bob, "bob", "bob-pw", "no_role");
            }
        });
    }

    @Test
    void passwordPolicyLockoutExpiryAndResetAreRefusedWithTheirReasons() throws Exception {
        Map<String, String> env = settings(slapd.ldapsUrl());
        env.put("LDAP_BIND_DN_TEMPLATE", "uid={user}," + OpenLdapDirectory.PEOPLE);
        env.put("LDAP_REQUIRED_GROUPS", OpenLdapDirectory.USERS_GROUP);
        // slapd's own lockout is under test here: the gateway's sign-in throttle (which would stop these guesses
        // first, see theGatewayStopsGuessingBeforeSlapdLocksTheAccount) is off
        env.put("AUTH_FAILURES_PER_USER", "0");
        env.put("AUTH_FAILURE_DELAY", "0s");
        withGateway(env, (runtime, port) -> {
            try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                for (int i = 1; i <= OpenLdapDirectory.MAX_FAILURE; i++) {
                    assertRefused(c, "locky", "guess-" + i, "invalid_credentials");
                }
                // The policy's failure count is reached: now even the right password is refused, as locked.
                assertRefused(c, "locky", "locky-pw", "account_locked");
                assertRefused(c, "expired", "expired-pw", "password_expired");
                assertRefused(c, "reset", "reset-pw", "password_must_change");
                assertThatThrownBy(() -> c.call("PING")).hasMessageStartingWith("NOAUTH");
                // An administrator unlocks locky (removes the lock time and the failures): the password works again.
                slapd.modify("dn: " + OpenLdapDirectory.dn("locky")
                        + "\nchangetype: modify\ndelete: pwdAccountLockedTime\n-\ndelete: pwdFailureTime\n");
                assertThat(c.callString("AUTH", "locky", "locky-pw")).isEqualTo("OK");
            }
        });
    }

    /**
     * Password guessing against a real ppolicy (lockout at {@value OpenLdapDirectory#MAX_FAILURE} failures, failures
     * never forgotten but at a success): with {@code AUTH_FAILURES_PER_USER} one below that threshold, 30 guesses one
     * after another and 10 in parallel let slapd see only that many failures, and once the window has passed the
     * user's right password works (a locked account would get {@code account_locked} whatever its password).
     */
    @Test
    void theGatewayStopsGuessingBeforeSlapdLocksTheAccount() throws Exception {
        Map<String, String> env = settings(slapd.ldapsUrl());
        env.put("LDAP_BIND_DN_TEMPLATE", "uid={user}," + OpenLdapDirectory.PEOPLE);
        env.put("LDAP_REQUIRED_GROUPS", OpenLdapDirectory.USERS_GROUP);
        env.put("LDAP_CACHE_TTL", "0s");
        env.put("AUTH_FAILURES_PER_USER", Integer.toString(OpenLdapDirectory.MAX_FAILURE - 1));
        env.put("AUTH_FAILURE_WINDOW", "5s");
        env.put("AUTH_FAILURE_DELAY", "0s");
        withGateway(env, (runtime, port) -> {
            int before = auditCount("brute", "invalid_credentials");
            try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                for (int i = 0; i < 30; i++) {
                    String guess = "guess-" + i;
                    assertThatThrownBy(() -> c.call("AUTH", "brute", guess)).isInstanceOf(RedisErrorReply.class);
                }
            }
            List<RedisCli> parallel = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    parallel.add(RedisCli.connect("127.0.0.1", port));
                }
                List<java.util.concurrent.CompletableFuture<Void>> guesses = new ArrayList<>();
                for (RedisCli p : parallel) {
                    guesses.add(java.util.concurrent.CompletableFuture.runAsync(() -> {
                        try {
                            p.call("AUTH", "brute", "parallel-guess");
                        } catch (RedisErrorReply refused) {
                            // every one is refused: by slapd or by the gateway
                        }
                    }));
                }
                java.util.concurrent.CompletableFuture.allOf(
                                guesses.toArray(new java.util.concurrent.CompletableFuture[0]))
                        .get(30, java.util.concurrent.TimeUnit.SECONDS);
            } finally {
                parallel.forEach(RedisCli::close);
            }
            assertThat(auditCount("brute", "invalid_credentials") - before)
                    .as("failed binds slapd answered for brute")
                    .isEqualTo(OpenLdapDirectory.MAX_FAILURE - 1);
            try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                org.awaitility.Awaitility.await()
                        .atMost(java.time.Duration.ofSeconds(30))
                        .pollInterval(java.time.Duration.ofMillis(500))
                        .ignoreExceptions()
                        .until(() -> c.callString("AUTH", "brute", "brute-pw").equals("OK"));
                assertThat(c.callString("SET", "brute:ok", "1")).isEqualTo("OK");
            }
            assertThat(lastAudit("brute")).containsEntry("result", "allowed");
        });
    }

    static int auditCount(String user, String reason) {
        int[] n = {0};
        forEachAudit(kv -> {
            if (user.equals(kv.get("oid")) && reason.equals(kv.get("reason"))) {
                n[0]++;
            }
        });
        return n[0];
    }

    @Test
    void checkConfigAsksEveryOpenLdapServerWhoAmI() throws Exception {
        Map<String, String> env = searchBind(slapd.ldapsUrl() + "," + slapd.ldapUrl());
        env.put("LDAP_STARTTLS", "false");
        env.put("LDAP_ALLOW_ANY_USER", "true");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ConfigCheck.run(GatewayConfig.from(env), new PrintStream(out, true), Clock.systemUTC()))
                .as(out.toString())
                .isZero();
        assertThat(out.toString())
                .contains("ldap " + slapd.ldapsUrl() + ": OK, WhoAmI answered")
                .contains("ldap " + slapd.ldapUrl() + ": OK, WhoAmI answered");
        // A wrong service password: the real server refuses the service bind, and --check-config says so.
        env.put("LDAP_BIND_PASSWORD", "not-the-service-password");
        out.reset();
        assertThat(ConfigCheck.run(GatewayConfig.from(env), new PrintStream(out, true), Clock.systemUTC()))
                .as(out.toString())
                .isEqualTo(1);
        assertThat(out.toString())
                .contains("ldap " + slapd.ldapsUrl() + ": FAILED: ")
                .contains("invalid credentials")
                .doesNotContain("not-the-service-password");
    }

    @Test
    void ldapsRefusesAServerCertificateThatDoesNotNameTheHost() throws Exception {
        Map<String, String> env = searchBind(slapd.otherNameLdapsUrl());
        env.put("LDAP_ALLOW_ANY_USER", "true");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ConfigCheck.run(GatewayConfig.from(env), new PrintStream(out, true), Clock.systemUTC()))
                .as(out.toString())
                .isEqualTo(1);
        assertThat(out.toString()).contains("ldap " + slapd.otherNameLdapsUrl() + ": FAILED: ");
        withGateway(env, (runtime, port) -> {
            try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                assertRefused(c, "alice", "alice-pw", "directory_unavailable");
            }
        });
        // The same server and certificate with the host-name check off: the refusal above was the name, nothing else.
        env.put("LDAP_TLS_VERIFY_HOSTNAME", "false");
        withGateway(env, (runtime, port) -> {
            try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
            }
        });
    }

    @Test
    void aStoppedSlapdFailsOverToTheNextServer() throws Exception {
        try (OpenLdapServer first = OpenLdapDirectory.start(ca)) {
            Map<String, String> env = searchBind(first.ldapsUrl() + "," + slapd.ldapsUrl());
            env.put("LDAP_ALLOWED_GROUPS", OpenLdapDirectory.USERS_GROUP);
            env.put("LDAP_CACHE_TTL", "0s"); // every sign-in asks a directory
            withGateway(env, (runtime, port) -> {
                LdapAuthenticator ldap = runtime.ldap().orElseThrow();
                try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                    assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                    assertThat(serverUp(ldap, first.ldapsUrl())).isTrue();
                    first.stop();
                    assertThat(c.callString("AUTH", "alice", "alice-pw"))
                            .as("the first server is down: the second answers")
                            .isEqualTo("OK");
                    assertThat(serverUp(ldap, first.ldapsUrl())).isFalse();
                    assertThat(c.callString("PING")).isEqualTo("PONG");
                    // Back up: the next health check returns it to rotation.
                    first.start();
                    ldap.checkServers();
                    assertThat(serverUp(ldap, first.ldapsUrl())).isTrue();
                    assertThat(c.callString("AUTH", "alice", "alice-pw")).isEqualTo("OK");
                }
            });
        }
    }

    @Test
    void manyConcurrentSignInsShareTheDirectoryPool() throws Exception {
        Map<String, String> env = searchBind(slapd.ldapsUrl());
        env.put("LDAP_ALLOWED_GROUPS", "name:Redis Readers;name:Redis Writers");
        env.put("LDAP_CACHE_TTL", "0s"); // every sign-in is a search and a bind at slapd
        env.put("LDAP_POOL_SIZE", "2");
        int clients = 40;
        withGateway(env, (runtime, port) -> {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    String user = i % 2 == 0 ? "alice" : "walt";
                    answers.add(pool.submit(() -> {
                        try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                            go.await();
                            return c.callString("AUTH", user, user + "-pw") + " " + c.callString("PING");
                        }
                    }));
                }
                go.countDown();
                for (Future<String> a : answers) {
                    assertThat(a.get(60, TimeUnit.SECONDS)).isEqualTo("OK PONG");
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(runtime.ldap().orElseThrow().metrics().attempts("allowed", null))
                    .as("each sign-in asked the directory")
                    .isEqualTo(clients);
        });
    }

    private static boolean serverUp(LdapAuthenticator ldap, String url) {
        return ldap.status().get("servers") instanceof List<?> servers
                && servers.stream()
                        .map(s -> (Map<?, ?>) s)
                        .anyMatch(s -> url.equals(s.get("url")) && Boolean.TRUE.equals(s.get("up")));
    }

    static void assertRefused(RedisCli c, String user, String password, String reason) {
        assertThatThrownBy(() -> c.call("AUTH", user, password))
                .as(user)
                .isInstanceOf(RedisErrorReply.class)
                .hasMessage(WRONGPASS);
        assertThat(lastAudit(user)).as(user).containsEntry("result", "denied").containsEntry("reason", reason);
    }

    /** The last audit event (as key/value strings) about {@code oid}. */
    static Map<String, String> lastAudit(String oid) {
        List<Map<String, String>> out = new ArrayList<>();
        forEachAudit(kv -> {
            if (oid.equals(kv.get("oid"))) {
                out.add(kv);
            }
        });
        assertThat(out).as("audit events about " + oid).isNotEmpty();
        return out.get(out.size() - 1);
    }

    private static void forEachAudit(Consumer<Map<String, String>> each) {
        for (ILoggingEvent e : List.copyOf(audit.list)) {
            Map<String, String> kv = new HashMap<>();
            if (e.getKeyValuePairs() != null) {
                for (KeyValuePair p : e.getKeyValuePairs()) {
                    kv.put(p.key, String.valueOf(p.value));
                }
            }
            each.accept(kv);
        }
    }
}
