package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.audit.CommandAudit;
import io.github.redisentra.gateway.config.AuditMode;
import io.github.redisentra.gateway.config.UpstreamClientNameSource;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session's audit and naming hooks (#22) through a real gateway and redis-server: with
 * {@code AUDIT_COMMANDS=writes} a write, a read and a refused write give the right JSON lines (never a key or a
 * value); with {@code UPSTREAM_CLIENT_NAME=oid} the cache's {@code CLIENT LIST} shows {@code entra:<oid>}, then
 * {@code entra:<oid>/<client's name>} after the client's {@code CLIENT SETNAME}, which {@code CLIENT GETNAME}
 * answers; {@code RESET} clears both.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionAuditIT {
    static final String WRITERS = "22222222-0000-4000-8000-000000000002";

    @TempDir
    static Path dir;

    static User writer;
    static CommandAudit audit;
    static RolesGateway roles;
    static final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws Exception {
        audit = CommandAudit.start(AuditMode.WRITES, CommandTable.builtIn(), 1000, 1024, out);
        roles = new RolesGateway(
                dir,
                "roles:\n  writers:\n    match: {groups: [" + WRITERS + "]}\n    rules: +@all ~app:*\n",
                SessionSettings.DEFAULTS.withAudit(audit, UpstreamClientNameSource.OID));
        writer = roles.tenant.addUser(UserSpec.named("writer").groups(WRITERS));
    }

    @AfterAll
    static void stop() {
        if (roles != null) {
            roles.close();
        }
        if (audit != null) {
            audit.close();
        }
    }

    static RedisCli signedIn() {
        RedisCli c = RedisCli.connect("127.0.0.1", roles.port());
        assertThat(c.callString("AUTH", roles.token(writer))).isEqualTo("OK");
        return c;
    }

    static synchronized List<String> lines() {
        assertThat(audit.drain(Duration.ofSeconds(10))).isTrue();
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void writesAndRefusalsAreAuditedWithoutKeysOrValues() {
        int before = lines().size();
        try (RedisCli c = signedIn()) {
            assertThat(c.callString("SET", "app:audited", "the-value-1")).isEqualTo("OK");
            assertThat(c.callString("GET", "app:audited")).isEqualTo("the-value-1"); // a read: no line
            assertThatThrownBy(() -> c.call("SET", "other:denied", "the-value-2"))
                    .isInstanceOf(RedisErrorReply.class)
                    .hasMessageContaining("NOPERM");
            assertThat(c.callString("DEL", "app:audited")).isEqualTo("1");
        }
        List<String> mine = lines().subList(before, lines().size());
        assertThat(mine).hasSize(3);
        assertThat(mine.get(0))
                .contains("\"event\":\"command\"", "\"oid\":\"" + writer.objectId() + "\"", "\"role\":\"writers\"")
                .contains("\"cmd\":\"set\"", "\"keys\":1", "\"result\":\"ok\"", "\"latency_us\":");
        assertThat(mine.get(1)).contains("\"cmd\":\"set\"", "\"keys\":1", "\"result\":\"noperm\"");
        assertThat(mine.get(2)).contains("\"cmd\":\"del\"", "\"result\":\"ok\"");
        assertThat(String.join("\n", mine)).doesNotContain("the-value", "app:audited", "other:denied");
    }

    @Test
    void upstreamConnectionsCarryTheUserAndTheClientsOwnName() {
        String oid = writer.objectId();
        try (RedisCli c = signedIn()) {
            assertThat(c.call("CLIENT", "GETNAME")).isNull();
            assertThat(upstreamNames()).contains("entra:" + oid);
            assertThat(c.callString("CLIENT", "SETNAME", "billing-worker")).isEqualTo("OK");
            assertThat(c.callString("CLIENT", "GETNAME")).isEqualTo("billing-worker");
            String id = upstreamId("entra:" + oid + "/billing-worker");
            assertThatThrownBy(() -> c.call("CLIENT", "SETNAME", "has space"))
                    .isInstanceOf(RedisErrorReply.class)
                    .hasMessageContaining("Client names cannot contain spaces");
            assertThat(c.callString("CLIENT", "GETNAME")).isEqualTo("billing-worker");
            c.call("HELLO", "2", "SETNAME", "hello-name"); // HELLO ... SETNAME names it likewise
            assertThat(nameOf(id)).isEqualTo("entra:" + oid + "/hello-name");
            assertThat(c.callString("CLIENT", "GETNAME")).isEqualTo("hello-name");

            assertThat(c.callString("RESET")).isEqualTo("RESET");
            assertThat(nameOf(id)).isEmpty(); // the same upstream connection, signed out: unnamed
            assertThat(c.callString("AUTH", roles.token(writer))).isEqualTo("OK");
            assertThat(c.call("CLIENT", "GETNAME")).isNull();
            assertThat(nameOf(id)).isEqualTo("entra:" + oid);
        }
    }

    /** The id of redis-server's client named {@code name} (exactly one). */
    static String upstreamId(String name) {
        List<String> ids = roles.redis
                .cli()
                .callString("CLIENT", "LIST")
                .lines()
                .filter(l -> l.contains(" name=" + name + " "))
                .map(l -> l.replaceAll("^id=(\\d+) .*", "$1"))
                .toList();
        assertThat(ids).hasSize(1);
        return ids.get(0);
    }

    /** The name of redis-server's client {@code id}. */
    static String nameOf(String id) {
        return roles.redis
                .cli()
                .callString("CLIENT", "LIST", "ID", id)
                .lines()
                .map(l -> l.replaceAll(".* name=(\\S*) .*", "$1"))
                .findFirst()
                .orElseThrow();
    }

    /** The names of redis-server's clients other than the test's own connection. */
    static List<String> upstreamNames() {
        return roles.redis
                .cli()
                .callString("CLIENT", "LIST")
                .lines()
                .filter(l -> !l.contains(" cmd=client|list "))
                .map(l -> l.replaceAll(".* name=(\\S*) .*", "$1"))
                .toList();
    }
}
