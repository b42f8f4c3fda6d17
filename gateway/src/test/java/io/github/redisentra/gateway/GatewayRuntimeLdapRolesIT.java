package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.RedisServer;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * LDAP sign-in and per-role permissions together, over real sockets, the gateway assembled by
 * {@link GatewayRuntime} from settings: an UnboundID in-memory directory, a real redis-server upstream, the Entra
 * emulator for a token user on the same listener, and one roles file naming a directory group by DN (spelled with
 * other case and spacing than the directory's), another by name, and an Entra group by object id.
 */
@Timeout(120)
class GatewayRuntimeLdapRolesIT {
    static final String BASE = "dc=example,dc=com";
    static final String PEOPLE = "ou=people," + BASE;
    static final String READERS_DN = "cn=Redis Readers,ou=groups," + BASE;
    static final String WRITERS_DN = "cn=Redis Writers,ou=groups," + BASE;
    static final String OTHERS_DN = "cn=Others,ou=groups," + BASE;
    /** A group anyone could create in a self-service OU, named like the real writers group's DN. */
    static final String SPOOF_DN =
            "cn=cn\\=Redis Writers\\,ou\\=groups\\,dc\\=example\\,dc\\=com,ou=self-service," + BASE;

    static final String ENTRA_GROUP = "cccccccc-0000-4000-8000-00000000000c";

    static final String READER_RULES = "+@read +@connection ~app:*";
    static final String WRITER_RULES = "+@read +@write +@connection ~app:w:*";
    static final String ENTRA_RULES = "+@read +@write +@connection ~entra:*";

    static final String ROLES = """
            roles:
              readers:
                match:
                  groups: ["CN=Redis Readers, OU=Groups, DC=Example, DC=Com"]   # by DN, normalized
                rules: %s
              writers:
                match:
                  groups: ["name:redis writers"]                                # by name, any case, any OU
                rules: %s
              entra-users:
                match:
                  groups: [%s]                                                  # Entra group object id
                rules: %s
            """.formatted(READER_RULES, WRITER_RULES, ENTRA_GROUP, ENTRA_RULES);

    /** After the reload: readers may write, writers are gone, the "Others" group (by name) may read. */
    static final String ROLES_RELOADED = """
            roles:
              readers:
                match:
                  groups: ["cn=redis readers,ou=groups,dc=example,dc=com"]
                rules: +@read +@write +@connection ~app:*
              others:
                match:
                  groups: ["name:Others"]
                rules: %s
              entra-users:
                match:
                  groups: [%s]
                rules: %s
            """.formatted(READER_RULES, ENTRA_GROUP, ENTRA_RULES);

    static final String NOPERM_KEY = "NOPERM this user has no permissions to access one of the keys used as arguments";

    @TempDir
    Path dir;

    @Test
    void directoryGroupsByDnAndNameAndAnEntraGroupGetTheirRolesAndFollowAReload() throws Exception {
        ListAppender<ILoggingEvent> audit = new ListAppender<>();
        audit.start();
        Logger auditLogger = (Logger) LoggerFactory.getLogger(AuditLog.LOGGER);
        auditLogger.addAppender(audit);
        InMemoryDirectoryServer ldap = directory();
        try (EntraEmulator emu = EntraEmulator.builder().build().start();
                RedisServer redis = RedisServer.start()) {
            Tenant tenant = emu.createTenant("contoso");
            AppRegistration api = tenant.registerApp(
                    AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
            User alice = tenant.addUser(UserSpec.named("alice").groups(ENTRA_GROUP));
            Path roles = Files.writeString(dir.resolve("roles.yaml"), ROLES);
            Map<String, String> env = new HashMap<>();
            env.put("TENANT_ID", tenant.id());
            env.put("EXPECTED_AUDIENCE", api.clientId());
            env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
            env.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
            env.put(
                    "HTTPS_CA_FILE",
                    emu.writeCaCertificate(dir.resolve("emu.pem")).toString());
            env.put("ROLES_FILE", roles.toString());
            env.put("ROLES_RELOAD_INTERVAL", "200ms");
            env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
            env.put("REDIS_TLS", "false");
            env.put("REDIS_USERNAME", redis.adminUsername());
            env.put("REDIS_PASSWORD", redis.adminPassword());
            env.put("LISTEN_ADDR", "127.0.0.1:0");
            env.put("ADMIN_ADDR", "127.0.0.1:0");
            env.put("DRAIN_TIMEOUT", "2s");
            env.put("LDAP_SERVERS", "ldap://127.0.0.1:" + ldap.getListenPort());
            env.put("LDAP_BIND_DN_TEMPLATE", "uid={user}," + PEOPLE);
            // No LDAP_ALLOWED_GROUPS / LDAP_ALLOW_ANY_USER: with ROLES_FILE the roles decide admission.
            GatewayConfig config = GatewayConfig.from(env);
            try (GatewayRuntime runtime = GatewayRuntime.create(config, Clock.systemUTC())) {
                runtime.start(RespListenerWiring::start);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> runtime.authenticator().keyStatus().keysLoaded());
                int port = runtime.listener().orElseThrow().localAddress().getPort();
                redis.cli().call("SET", "app:1", "one");
                try (RedisCli rita = RedisCli.connect("127.0.0.1", port);
                        RedisCli walt = RedisCli.connect("127.0.0.1", port);
                        RedisCli nora = RedisCli.connect("127.0.0.1", port);
                        RedisCli entra = RedisCli.connect("127.0.0.1", port)) {
                    // Reader (group matched by DN): GET works, SET gets Redis's own NOPERM.
                    assertThat(rita.callString("AUTH", "rita", "rita-pw")).isEqualTo("OK");
                    assertThat(rita.callString("GET", "app:1")).isEqualTo("one");
                    assertThat(error(rita, "SET", "app:1", "x"))
                            .isEqualTo("NOPERM this user has no permissions to run the 'set' command")
                            .isEqualTo(redisItself(redis, READER_RULES, "SET", "app:1", "x"));

                    // Writer (group matched by name): SET inside ~app:w:* only.
                    assertThat(walt.callString("AUTH", "walt", "walt-pw")).isEqualTo("OK");
                    assertThat(walt.callString("SET", "app:w:1", "w")).isEqualTo("OK");
                    assertThat(walt.callString("GET", "app:w:1")).isEqualTo("w");
                    assertThat(error(walt, "SET", "app:1", "x"))
                            .isEqualTo(NOPERM_KEY)
                            .isEqualTo(redisItself(redis, WRITER_RULES, "SET", "app:1", "x"));
                    assertThat(redis.cli().callString("GET", "app:1")).isEqualTo("one");

                    // Directory user in no role: WRONGPASS, audit reason no_role.
                    assertThatThrownBy(() -> nora.call("AUTH", "nora", "nora-pw"))
                            .isInstanceOf(RedisErrorReply.class)
                            .hasMessage("WRONGPASS invalid username-password pair or user is disabled.");
                    assertThat(auditOf(audit, "nora"))
                            .anySatisfy(kv -> assertThat(kv)
                                    .containsEntry("result", "denied")
                                    .containsEntry("reason", "no_role"));

                    // Entra user (group object id) on the same listener and roles file.
                    String jwt = emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api));
                    assertThat(entra.callString("AUTH", jwt)).isEqualTo("OK");
                    assertThat(entra.callString("SET", "entra:1", "e")).isEqualTo("OK");
                    assertThat(error(entra, "GET", "app:1")).isEqualTo(NOPERM_KEY);

                    // Reload: open LDAP sessions get the new permissions at their next command.
                    AccessControl access = runtime.accessControl().orElseThrow();
                    Path next = Files.writeString(dir.resolve("roles.yaml.new"), ROLES_RELOADED);
                    Files.move(next, roles, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    await().atMost(Duration.ofSeconds(30))
                            .until(() -> access.current().roles().stream()
                                    .anyMatch(r -> r.name().equals("others")));
                    assertThat(rita.callString("SET", "app:1", "written-by-rita"))
                            .isEqualTo("OK");
                    assertThat(error(walt, "GET", "app:w:1"))
                            .as("walt's only role is gone")
                            .isEqualTo("NOPERM this user has no permissions to run the 'get' command");
                    // Admission follows the reload too (even though nora's sign-in is now a cache hit).
                    assertThat(nora.callString("AUTH", "nora", "nora-pw")).isEqualTo("OK");
                    assertThat(nora.callString("GET", "app:1")).isEqualTo("written-by-rita");
                    assertThat(error(nora, "SET", "app:1", "x"))
                            .isEqualTo("NOPERM this user has no permissions to run the 'set' command");
                    assertThat(entra.callString("GET", "entra:1")).isEqualTo("e");
                    // ...and a user whose role went away can no longer sign in.
                    try (RedisCli again = RedisCli.connect("127.0.0.1", port)) {
                        assertThatThrownBy(() -> again.call("AUTH", "walt", "walt-pw"))
                                .hasMessageStartingWith("WRONGPASS");
                    }
                }
                String admin = "http://127.0.0.1:"
                        + runtime.admin().orElseThrow().address().getPort();
                HttpResponse<String> metrics = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create(admin + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertThat(metrics.body())
                        .contains("redis_entra_gateway_auth_total{result=\"denied\",reason=\"no_role\"} 2");
            }
        } finally {
            auditLogger.detachAppender(audit);
            ldap.shutDown(true);
        }
    }

    @Test
    void aSelfServiceGroupNamedLikeTheWritersDnDoesNotGetTheWritersRole() throws Exception {
        InMemoryDirectoryServer ldap = directory();
        try (RedisServer redis = RedisServer.start()) {
            Path roles = Files.writeString(
                    dir.resolve("roles.yaml"),
                    "roles:\n  writers:\n    match: {groups: [\"" + WRITERS_DN + "\"]}\n    rules: " + WRITER_RULES
                            + "\n");
            Map<String, String> env = new HashMap<>();
            env.put("ROLES_FILE", roles.toString());
            env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
            env.put("REDIS_TLS", "false");
            env.put("REDIS_USERNAME", redis.adminUsername());
            env.put("REDIS_PASSWORD", redis.adminPassword());
            env.put("LISTEN_ADDR", "127.0.0.1:0");
            env.put("ADMIN_ADDR", "off");
            env.put("DRAIN_TIMEOUT", "1s");
            env.put("LDAP_SERVERS", "ldap://127.0.0.1:" + ldap.getListenPort());
            env.put("LDAP_BIND_DN_TEMPLATE", "uid={user}," + PEOPLE);
            try (GatewayRuntime runtime = GatewayRuntime.create(GatewayConfig.from(env), Clock.systemUTC())) {
                runtime.start(RespListenerWiring::start);
                int port = runtime.listener().orElseThrow().localAddress().getPort();
                try (RedisCli walt = RedisCli.connect("127.0.0.1", port);
                        RedisCli mallory = RedisCli.connect("127.0.0.1", port)) {
                    assertThat(walt.callString("AUTH", "walt", "walt-pw")).isEqualTo("OK");
                    assertThat(walt.callString("SET", "app:w:1", "w")).isEqualTo("OK");
                    assertThatThrownBy(() -> mallory.call("AUTH", "mallory", "mallory-pw"))
                            .isInstanceOf(RedisErrorReply.class)
                            .hasMessage("WRONGPASS invalid username-password pair or user is disabled.");
                    assertThatThrownBy(() -> mallory.call("SET", "app:w:1", "spoofed"))
                            .hasMessage("NOAUTH Authentication required.");
                }
                assertThat(redis.cli().callString("GET", "app:w:1")).isEqualTo("w");
            }
        } finally {
            ldap.shutDown(true);
        }
    }

    /** A plain-LDAP in-memory directory: rita in Redis Readers, walt in Redis Writers, nora in Others. */
    static InMemoryDirectoryServer directory() throws Exception {
        InMemoryDirectoryServerConfig cfg = new InMemoryDirectoryServerConfig(BASE);
        cfg.setSchema(null); // memberOf on the user entries, as AD and OpenLDAP's overlay provide it
        cfg.setListenerConfigs(
                InMemoryListenerConfig.createLDAPConfig("ldap", InetAddress.getLoopbackAddress(), 0, null));
        InMemoryDirectoryServer ds = new InMemoryDirectoryServer(cfg);
        ds.add("dn: " + BASE, "objectClass: top", "objectClass: domain", "dc: example");
        ds.add("dn: " + PEOPLE, "objectClass: organizationalUnit", "ou: people");
        ds.add("dn: ou=groups," + BASE, "objectClass: organizationalUnit", "ou: groups");
        ds.add("dn: ou=self-service," + BASE, "objectClass: organizationalUnit", "ou: self-service");
        for (String[] g : new String[][] {
            {READERS_DN, "Redis Readers"},
            {WRITERS_DN, "Redis Writers"},
            {OTHERS_DN, "Others"},
            {SPOOF_DN, "cn=Redis Writers,ou=groups," + BASE}
        }) {
            ds.add("dn: " + g[0], "objectClass: groupOfNames", "cn: " + g[1], "member: " + BASE);
        }
        user(ds, "rita", READERS_DN);
        user(ds, "walt", WRITERS_DN);
        user(ds, "nora", OTHERS_DN);
        user(ds, "mallory", SPOOF_DN);
        ds.startListening();
        return ds;
    }

    private static void user(InMemoryDirectoryServer ds, String name, String group) throws Exception {
        ds.add(
                "dn: uid=" + name + "," + PEOPLE,
                "objectClass: inetOrgPerson",
                "uid: " + name,
                "cn: " + name,
                "sn: " + name,
                "userPassword: " + name + "-pw",
                "memberOf: " + group);
    }

    private static String error(RedisCli c, String... command) {
        try {
            Object r = c.call(command);
            throw new AssertionError("expected an error, got " + r);
        } catch (RedisErrorReply e) {
            return e.getMessage();
        }
    }

    /** What redis-server itself answers an ACL user with {@code rules} for {@code command}. */
    private static String redisItself(RedisServer redis, String rules, String... command) {
        List<String> setuser = new ArrayList<>(List.of("ACL", "SETUSER", "twin", "reset", "on", ">twin-pass"));
        setuser.addAll(List.of(rules.split(" ")));
        redis.cli().call(setuser.toArray(String[]::new));
        try (RedisCli c = redis.connect()) {
            c.call("AUTH", "twin", "twin-pass");
            return error(c, command);
        }
    }

    /** The audit events (as key/value maps) about {@code oid}. */
    private static List<Map<String, String>> auditOf(ListAppender<ILoggingEvent> audit, String oid) {
        List<Map<String, String>> out = new ArrayList<>();
        for (ILoggingEvent e : List.copyOf(audit.list)) {
            Map<String, String> kv = new HashMap<>();
            if (e.getKeyValuePairs() != null) {
                for (KeyValuePair p : e.getKeyValuePairs()) {
                    kv.put(p.key, String.valueOf(p.value));
                }
            }
            if (oid.equals(kv.get("oid"))) {
                out.add(kv);
            }
        }
        return out;
    }
}
