package io.github.redisentra.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.UpstreamProbe;
import io.github.redisentra.gateway.resp.RespConnection;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.testkit.RedisServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command table learned from a live redis-server, through the gateway's upstream probe connection. */
class UpstreamCommandsIT {
    static RedisServer redis;
    static GatewayConfig config;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        config = GatewayConfig.from(Map.of(
                "TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "EXPECTED_AUDIENCE", "api://redis-gateway",
                "ALLOW_ANY_TENANT_USER", "true",
                "LISTEN_ADDR", "127.0.0.1:0",
                "REDIS_HOSTPORT", "127.0.0.1:" + redis.port(),
                "REDIS_TLS", "false",
                "REDIS_USERNAME", redis.adminUsername(),
                "REDIS_PASSWORD", redis.adminPassword()));
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    static CommandTable learn() throws Exception {
        UpstreamCredentials admin = UpstreamCredentials.password(redis.adminUsername(), redis.adminPassword());
        try (RespConnection c =
                UpstreamProbe.connect(config.upstream(), admin, admin.current().orElseThrow())) {
            return UpstreamCommands.fetch(c);
        }
    }

    @Test
    void theLearnedTableOfRedis70IsTheBuiltInOne() throws Exception {
        CommandTable learned = learn();
        CommandTable builtIn = CommandTable.builtIn();
        assertThat(learned.version())
                .isEqualTo(redis.cli()
                        .callString("INFO", "server")
                        .lines()
                        .filter(l -> l.startsWith("redis_version:"))
                        .findFirst()
                        .orElseThrow()
                        .substring("redis_version:".length()));
        assertThat(learned.size()).isEqualTo(builtIn.size());
        assertThat(learned.categories()).containsExactlyInAnyOrderElementsOf(builtIn.categories());
        for (int id = 0; id < builtIn.size(); id++) {
            CommandTable.Spec b = builtIn.byId(id);
            CommandTable.Spec l = learned.lookup(b.fullName());
            assertThat(l).as(b.fullName()).isNotNull();
            assertThat(l.arity()).as(b.fullName()).isEqualTo(b.arity());
            assertThat(l.flags()).as(b.fullName()).isEqualTo(b.flags());
            assertThat(l.keySpecs()).as(b.fullName()).isEqualTo(b.keySpecs());
        }
        // the same decisions with either table
        Permissions a = new Permissions(builtIn, java.util.List.of(AclSelector.compile(builtIn, "+@read ~a*")));
        Permissions b = new Permissions(learned, java.util.List.of(AclSelector.compile(learned, "+@read ~a*")));
        for (String[] cmd : AclOracleIT.COMMANDS) {
            assertThat(b.check(Args.of(cmd))).as(String.join(" ", cmd)).isEqualTo(a.check(Args.of(cmd)));
        }
    }

    @Test
    void aServerWithoutKeySpecsOrWithCommandDisabledIsRefused() {
        // Redis 6 answers COMMAND with 7 elements per command
        String redis6 = bulk("# Server\r\nredis_version:6.0.20\r\n")
                + "*1\r\n*7\r\n$3\r\nget\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n*0\r\n";
        assertThatThrownBy(() -> fetchCanned(redis6))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Redis 7 or later is needed");
        String disabled = bulk("redis_version:7.2.4\r\n") + "-ERR unknown command 'COMMAND'\r\n";
        assertThatThrownBy(() -> fetchCanned(disabled)).hasMessage("COMMAND refused: ERR unknown command 'COMMAND'");
    }

    @Test
    void adoptingATableRecompilesTheRolesAndKeepsTheOldOnesWhenARuleDoesNotCompile() throws Exception {
        Path file = Files.writeString(
                dir.resolve("roles.yaml"), "roles:\n  r:\n    match: {groups: [g]}\n    rules: +@read +lcs ~*\n");
        RolePolicy initial = RolePolicy.load(file, CommandTable.builtIn());
        AccessControl access = new AccessControl(initial);
        try (PolicyReloader reloader = new PolicyReloader(file, CommandTable.builtIn(), access, null, Duration.ZERO)) {
            // a table without LCS (as from an older server): the rule cannot compile, nothing changes
            CommandTable withoutLcs = CommandTable.fromCommandReply(
                    java.util.List.of(java.util.List.of(
                            "get",
                            2L,
                            java.util.List.of("readonly"),
                            1L,
                            1L,
                            1L,
                            java.util.List.of("@read"),
                            java.util.List.of(),
                            java.util.List.of(),
                            java.util.List.of())),
                    "7.0.0");
            assertThat(reloader.adoptTable(withoutLcs)).isFalse();
            assertThat(access.current()).isSameAs(initial);
            CommandTable learned = learn();
            assertThat(reloader.adoptTable(learned)).isTrue();
            assertThat(access.current().table()).isSameAs(learned);
            assertThat(reloader.table()).isSameAs(learned);
        }
    }

    private static String bulk(String s) {
        return "$" + s.getBytes(StandardCharsets.UTF_8).length + "\r\n" + s + "\r\n";
    }

    /** The table fetched from a server that answers with {@code replies} (canned bytes), whatever it is asked. */
    private static CommandTable fetchCanned(String replies) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(replies.getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    s.getInputStream().readAllBytes(); // until the client closes
                } catch (IOException e) {
                    // the client went away
                }
            });
            t.setDaemon(true);
            t.start();
            try (RespConnection c =
                    RespConnection.open("127.0.0.1", server.getLocalPort(), null, null, Duration.ofSeconds(10))) {
                return UpstreamCommands.fetch(c);
            }
        }
    }
}
