package io.github.redisentra.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.acl.CommandKeys;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.CommandTable.Spec;
import io.github.redisentra.gateway.acl.RolePolicy;
import io.github.redisentra.gateway.audit.CommandAudit.Result;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.AuditMode;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

class CommandAuditTest {
    static final CommandTable TABLE = CommandTable.builtIn();
    static final long T0 = 1_796_511_600_123L; // 2026-12-05T23:00:00.123Z
    static final AuditUser ALICE = AuditUser.of(
            "4f6c0000-0000-4000-8000-000000000001", "alice@contoso.com", List.of("writers"), "10.0.0.7:51234");

    /** Collects what the writer thread writes. */
    static final class Sink extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        synchronized List<String> lines() {
            String s = bytes.toString(StandardCharsets.UTF_8);
            return s.isEmpty() ? List.of() : List.of(s.split("\n"));
        }
    }

    static CommandAudit audit(AuditMode mode, int perSecond, int queue, OutputStream out) {
        return new CommandAudit(mode, TABLE, perSecond, queue, out, () -> T0, () -> 0L);
    }

    static Command frame(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$')
                    .append(a.getBytes(StandardCharsets.UTF_8).length)
                    .append("\r\n")
                    .append(a)
                    .append("\r\n");
        }
        ByteBuf in = Unpooled.copiedBuffer(sb, StandardCharsets.UTF_8);
        try {
            return new RequestFramer().next(in, RequestLimits.AUTHENTICATED_DEFAULT);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Frames {@code args}, resolves and records it as the session hook would, and returns the lines written. */
    static List<String> auditOne(AuditMode mode, Result result, String... args) {
        Sink sink = new Sink();
        try (CommandAudit a = audit(mode, 0, 1024, sink)) {
            Command cmd = frame(args);
            Spec spec = a.resolve(cmd);
            a.record(ALICE, spec, CommandKeys.count(spec, cmd), result, 182_400);
            cmd.release();
            assertThat(a.drain(Duration.ofSeconds(5))).isTrue();
        }
        return sink.lines();
    }

    static Map<String, Object> json(String line) {
        return new Yaml(new LoaderOptions()).load(line); // JSON is YAML: a strict enough parser for flat objects
    }

    @Test
    void aLineIsOneJsonObjectWithTheUserTheCommandAndItsOutcome() {
        List<String> lines = auditOne(AuditMode.ALL, Result.OK, "MSET", "k1", "v1", "k2", "v2");
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("{").endsWith("}");
        assertThat(json(lines.get(0)))
                .containsExactly(
                        Map.entry("time", "2026-12-05T23:00:00.123Z"),
                        Map.entry("event", "command"),
                        Map.entry("oid", "4f6c0000-0000-4000-8000-000000000001"),
                        Map.entry("name", "alice@contoso.com"),
                        Map.entry("role", "writers"),
                        Map.entry("client", "10.0.0.7:51234"),
                        Map.entry("cmd", "mset"),
                        Map.entry("keys", 2),
                        Map.entry("result", "ok"),
                        Map.entry("latency_us", 182));
        assertThat(json(auditOne(AuditMode.ALL, Result.NOPERM, "config", "GET", "maxmemory")
                        .get(0)))
                .containsEntry("cmd", "config|get")
                .containsEntry("result", "noperm");
    }

    @Test
    void noArgumentValueEverReachesALine() {
        String secret = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2ln";
        List<String> lines = new ArrayList<>();
        lines.addAll(auditOne(AuditMode.ALL, Result.OK, "SET", "session:" + secret, secret, "EX", "60"));
        lines.addAll(auditOne(AuditMode.ALL, Result.ERROR, "AUTH", "default", secret));
        lines.addAll(auditOne(AuditMode.ALL, Result.OK, "CONFIG", "SET", "requirepass", secret));
        lines.addAll(auditOne(AuditMode.ALL, Result.OK, "EVAL", "return '" + secret + "'", "1", secret));
        lines.addAll(auditOne(AuditMode.ALL, Result.ERROR, secret, "x")); // a secret pasted as the command name
        lines.addAll(auditOne(AuditMode.ALL, Result.ERROR, "CONFIG", secret)); // ... or as a subcommand
        assertThat(lines).hasSize(6);
        for (String line : lines) {
            assertThat(line).doesNotContain(secret).doesNotContain("c2VjcmV0").doesNotContain("session:");
        }
        assertThat(lines.stream().map(l -> json(l).get("cmd")))
                .containsExactly("set", "auth", "config|set", "eval", "unknown", "config");
        assertThat(json(lines.get(0))).containsEntry("keys", 1);
        assertThat(json(lines.get(3))).containsEntry("keys", 1);
    }

    @Test
    void writesModeAuditsWhatTheCommandTableFlagsWriteAndUnknownCommands() {
        Set<String> audited = Set.of("set", "del", "incr", "flushall", "hset", "xadd", "expire", "restore");
        Set<String> notAudited = Set.of("get", "ping", "mget", "hgetall", "subscribe", "publish", "scan", "info");
        try (CommandAudit a = audit(AuditMode.WRITES, 0, 16, new Sink())) {
            for (String n : audited) {
                assertThat(a.audits(TABLE.lookup(n))).as(n).isTrue();
            }
            for (String n : notAudited) {
                assertThat(a.audits(TABLE.lookup(n))).as(n).isFalse();
            }
            assertThat(a.audits(TABLE.lookup("config|set"))).isFalse(); // admin, not a write to the data
            assertThat(a.audits(null))
                    .as("not in the table: may be a module's write")
                    .isTrue();
            assertThat(a.resolve(frame("sEt", "k", "v"))).isSameAs(TABLE.lookup("set"));
            assertThat(a.resolve(frame("Client", "SETNAME", "x"))).isSameAs(TABLE.lookup("client|setname"));
        }
        List<String> lines = auditOne(AuditMode.WRITES, Result.OK, "GET", "k");
        assertThat(lines).isEmpty();
        try (CommandAudit all = audit(AuditMode.ALL, 0, 16, new Sink())) {
            assertThat(all.audits(TABLE.lookup("get"))).isTrue();
        }
        assertThat(CommandAudit.off().audits(TABLE.lookup("set"))).isFalse();
        assertThat(CommandAudit.off().audits(null)).isFalse();
    }

    @Test
    void aFullQueueDropsLinesAndCountsThemWithoutBlocking() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Sink sink = new Sink();
        OutputStream stuck = new OutputStream() { // a console nobody reads
                    @Override
                    public void write(int b) {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        writing.countDown();
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        sink.write(b, off, len);
                    }
                };
        Spec set = TABLE.lookup("set");
        try (CommandAudit a = audit(AuditMode.WRITES, 0, 16, stuck)) {
            a.record(ALICE, set, 1, Result.OK, 1000);
            assertThat(writing.await(5, TimeUnit.SECONDS)).isTrue(); // the writer is stuck in write()
            for (int i = 0; i < 100; i++) {
                a.record(ALICE, set, 1, Result.OK, 1000);
            }
            assertThat(a.droppedQueueFull()).isEqualTo(84);
            assertThat(a.renderMetrics("p_"))
                    .contains("p_audit_lines_dropped_total{reason=\"queue_full\"} 84\n")
                    .contains("p_audit_lines_dropped_total{reason=\"rate_limit\"} 0\n");
            release.countDown();
            assertThat(a.drain(Duration.ofSeconds(5))).isTrue();
            assertThat(a.written()).isEqualTo(17);
            assertThat(a.renderMetrics("p_")).contains("p_audit_lines_total 17\n");
        }
        assertThat(sink.lines()).hasSize(17);
    }

    @Test
    void linesAboveTheRateAreDroppedAndCounted() {
        Sink sink = new Sink();
        try (CommandAudit a = audit(AuditMode.ALL, 5, 1024, sink)) { // the clock stands still: a burst of 5, no refill
            for (int i = 0; i < 20; i++) {
                a.record(ALICE, TABLE.lookup("get"), 1, Result.OK, 0);
            }
            assertThat(a.drain(Duration.ofSeconds(5))).isTrue();
            assertThat(a.written()).isEqualTo(5);
            assertThat(a.droppedRateLimit()).isEqualTo(15);
        }
        assertThat(sink.lines()).hasSize(5);
    }

    @Test
    void theRateBoundIsTakenByTheProducerBeforeAnythingIsBuilt() {
        Sink sink = new Sink();
        long[] now = {0};
        try (CommandAudit a = new CommandAudit(AuditMode.WRITES, TABLE, 4, 1024, sink, () -> T0, () -> now[0])) {
            for (int i = 0; i < 4; i++) {
                assertThat(a.admit()).as("burst line %d", i).isTrue();
            }
            assertThat(a.admit()).isFalse(); // over the rate: counted, the caller builds and queues nothing
            assertThat(a.admit()).isFalse();
            assertThat(a.droppedRateLimit()).isEqualTo(2);
            assertThat(a.drain(Duration.ofSeconds(5))).isTrue();
            assertThat(a.written()).isZero();
            assertThat(sink.lines()).isEmpty();

            now[0] += 250_000_000; // a quarter of a second: room for one more line at 4 per second
            assertThat(a.admit()).isTrue();
            assertThat(a.admit()).isFalse();
            a.recordAdmitted(ALICE, TABLE.lookup("set"), 1, Result.OK, 1000); // the admitted line, once replied
            assertThat(a.drain(Duration.ofSeconds(5))).isTrue();
            assertThat(a.written()).isEqualTo(1);
            assertThat(a.droppedRateLimit()).isEqualTo(3);

            now[0] += 10_000_000_000L; // idle for long: the burst is back, but never more than a second's worth
            for (int i = 0; i < 4; i++) {
                assertThat(a.admit()).isTrue();
            }
            assertThat(a.admit()).isFalse();
            assertThat(a.droppedRateLimit()).isEqualTo(4);
        }
    }

    @Test
    void withoutARateBoundEveryLineIsAdmitted() {
        try (CommandAudit a = audit(AuditMode.WRITES, 0, 16, new Sink())) {
            for (int i = 0; i < 1000; i++) {
                assertThat(a.admit()).isTrue();
            }
            assertThat(a.droppedRateLimit()).isZero();
        }
    }

    @Test
    void afterCloseRecordsAreCountedAsDropped() {
        CommandAudit a = audit(AuditMode.ALL, 0, 16, new Sink());
        a.close();
        a.record(ALICE, TABLE.lookup("get"), 1, Result.OK, 0);
        assertThat(a.droppedQueueFull()).isEqualTo(1);
    }

    @Test
    void theResultClassComesFromTheReply() {
        Consumer<Object[]> check =
                c -> assertThat(Result.ofReply(Unpooled.copiedBuffer((String) c[0], StandardCharsets.US_ASCII)))
                        .as((String) c[0])
                        .isEqualTo(c[1]);
        check.accept(new Object[] {"+OK\r\n", Result.OK});
        check.accept(new Object[] {"$-1\r\n", Result.OK});
        check.accept(new Object[] {"-ERR wrong number of arguments\r\n", Result.ERROR});
        check.accept(new Object[] {"-NOPERM this user has no permissions\r\n", Result.NOPERM});
        check.accept(new Object[] {"-WRONGTYPE Operation against a key\r\n", Result.ERROR});
        check.accept(new Object[] {"!10\r\nNOPERM abc\r\n", Result.NOPERM});
        check.accept(new Object[] {"!7\r\nERR abc\r\n", Result.ERROR});
        assertThat(Result.ofLine("-NOPERM User alice has no permissions")).isEqualTo(Result.NOPERM);
        assertThat(Result.ofLine("-NOAUTH Authentication required.")).isEqualTo(Result.ERROR);
        assertThat(Result.ofLine("+OK")).isEqualTo(Result.OK);
    }

    @Test
    void userFieldsAreEscapedAndBounded() {
        AuditUser u = AuditUser.of(
                "oid\"\n{",
                "x".repeat(1000),
                List.of("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"),
                null);
        Sink sink = new Sink();
        try (CommandAudit a = audit(AuditMode.ALL, 0, 16, sink)) {
            a.record(u, null, -1, Result.ERROR, 0);
            a.drain(Duration.ofSeconds(5));
        }
        assertThat(sink.lines()).hasSize(1);
        Map<String, Object> m = json(sink.lines().get(0));
        assertThat(m)
                .containsEntry("oid", "oid\"\n{")
                .containsEntry("name", "x".repeat(AuditUser.MAX_FIELD_CHARS))
                .containsEntry("role", "r1,r2,r3,r4,r5,r6,r7,r8,+2")
                .containsEntry("cmd", "unknown")
                .doesNotContainKeys("keys", "client");
    }

    @Test
    void aSessionsUserCarriesTheRolesItMatches(@TempDir Path dir) throws Exception {
        Principal p = new Principal(
                "oid-1",
                "tid",
                "alice@contoso.com",
                Instant.MAX,
                Set.of("dddddddd-0000-4000-8000-00000000000d"),
                Set.of("Redis.Writer"));
        Path file = Files.writeString(
                dir.resolve("roles.yaml"),
                "roles:\n  readers:\n    match:\n      groups: [dddddddd-0000-4000-8000-00000000000d]\n"
                        + "    rules: +@read ~*\n  admins:\n    match:\n      groups: [eeeeeeee-0000-4000-8000-00000000000e]\n"
                        + "    rules: +@all ~*\n  writers:\n    match:\n      appRoles: [Redis.Writer]\n"
                        + "    rules: +@write ~app:*\n");
        RolePolicy policy = RolePolicy.load(file, TABLE);
        InetSocketAddress client = new InetSocketAddress("10.0.0.7", 51234);
        assertThat(new String(AuditUser.of(p, policy, client).json, StandardCharsets.UTF_8))
                .isEqualTo(",\"oid\":\"oid-1\",\"name\":\"alice@contoso.com\",\"role\":\"readers,writers\""
                        + ",\"client\":\"/10.0.0.7:51234\"");
        assertThat(new String(AuditUser.of(p, null, null).json, StandardCharsets.UTF_8))
                .isEqualTo(",\"oid\":\"oid-1\",\"name\":\"alice@contoso.com\",\"role\":\"Redis.Writer\"");
    }

    @Test
    void modesParse() {
        assertThat(AuditMode.parse("Writes")).isEqualTo(AuditMode.WRITES);
        assertThat(AuditMode.parse(" all ")).isEqualTo(AuditMode.ALL);
        assertThat(AuditMode.parse("off")).isEqualTo(AuditMode.OFF);
        assertThat(AuditMode.parse("yes")).isNull();
    }
}
