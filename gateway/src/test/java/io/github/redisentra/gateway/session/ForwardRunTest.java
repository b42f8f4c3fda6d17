package io.github.redisentra.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.audit.CommandAudit;
import io.github.redisentra.gateway.config.AuditMode;
import io.github.redisentra.gateway.config.UpstreamClientNameSource;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #19: consecutive forwarded commands of one read leave as one upstream write (a slice of the client's input,
 * or the input buffer itself), and a run of plain replies as one client write, with the order of bytes and replies
 * unchanged around refused, inline and gateway-made commands. A real {@link ClientSession} on embedded channels.
 */
class ForwardRunTest {
    EmbeddedSession session;

    SessionSettings settings = SessionSettings.DEFAULTS;

    @BeforeEach
    void start() {
        open();
    }

    void open() {
        session = EmbeddedSession.signedIn(settings);
    }

    @AfterEach
    void close() {
        session.close();
    }

    void send(String bytes) {
        session.send(bytes);
    }

    void reply(String bytes) {
        session.reply(bytes);
    }

    List<String> upstreamWrites() {
        return session.upstreamWrites();
    }

    List<String> clientWrites() {
        return session.clientWrites();
    }

    static String cmd(String... args) {
        StringBuilder b = new StringBuilder("*" + args.length + "\r\n");
        for (String a : args) {
            b.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        }
        return b.toString();
    }

    @Test
    void aPipelineOfForwardedCommandsLeavesAsOneWriteAndItsRepliesAsOne() {
        String pipeline = cmd("SET", "k", "v") + cmd("GET", "k") + cmd("INCR", "n") + cmd("GET", "k");
        send(pipeline);
        assertThat(upstreamWrites()).containsExactly(pipeline);
        reply("+OK\r\n$1\r\nv\r\n:1\r\n$1\r\nv\r\n");
        assertThat(clientWrites()).containsExactly("+OK\r\n$1\r\nv\r\n:1\r\n$1\r\nv\r\n");
    }

    @Test
    void aCommandSplitAcrossReadsJoinsNoRunButKeepsItsBytesAndOrder() {
        String first = cmd("SET", "k", "v") + cmd("GET", "k");
        String split = cmd("GET", "other");
        send(first + split.substring(0, 7));
        assertThat(upstreamWrites()).containsExactly(first);
        send(split.substring(7) + cmd("PING"));
        assertThat(String.join("", upstreamWrites())).isEqualTo(split + cmd("PING"));
    }

    @Test
    void aRefusedCommandInsideAPipelineSplitsTheRunAndIsAnsweredInItsPlace() {
        send(cmd("GET", "a") + cmd("MONITOR") + cmd("GET", "b") + cmd("GET", "c"));
        assertThat(upstreamWrites()).containsExactly(cmd("GET", "a"), cmd("GET", "b") + cmd("GET", "c"));
        reply("$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
        assertThat(String.join("", clientWrites()))
                .isEqualTo("$1\r\n1\r\n-ERR MONITOR is not supported through the gateway\r\n$1\r\n2\r\n$1\r\n3\r\n");
    }

    @Test
    void anInlineCommandAndAGatewayMadeOneKeepTheirPlaceBetweenRuns() {
        // GET inline is re-encoded (its own frame); a refusal inside MULTI makes the gateway write a bare AUTH
        send(cmd("GET", "a") + "GET b\r\n" + cmd("MULTI") + cmd("MONITOR") + cmd("SET", "k", "v") + cmd("EXEC"));
        assertThat(String.join("", upstreamWrites()))
                .isEqualTo(cmd("GET", "a")
                        + cmd("GET", "b")
                        + cmd("MULTI")
                        + cmd("AUTH")
                        + cmd("SET", "k", "v")
                        + cmd("EXEC"));
        reply("$1\r\n1\r\n$1\r\n2\r\n+OK\r\n-ERR wrong number of arguments for 'auth' command\r\n+QUEUED\r\n"
                + "-EXECABORT Transaction discarded because of previous errors.\r\n");
        assertThat(String.join("", clientWrites()))
                .isEqualTo("$1\r\n1\r\n$1\r\n2\r\n+OK\r\n-ERR MONITOR is not supported through the gateway\r\n"
                        + "+QUEUED\r\n-EXECABORT Transaction discarded because of previous errors.\r\n");
    }

    @Test
    void aLongPipelineIsWrittenInRunsOfBoundedSizeInOrder() {
        StringBuilder all = new StringBuilder();
        String value = "x".repeat(1000);
        for (int i = 0; i < 200; i++) {
            all.append(cmd("SET", "k" + i, value));
        }
        send(all.toString());
        List<String> writes = upstreamWrites();
        assertThat(writes.size()).isGreaterThan(1);
        assertThat(String.join("", writes)).isEqualTo(all.toString());
        for (String w : writes) {
            assertThat(w.length()).isLessThan(ForwardRun.LIMIT + 2000);
        }
    }

    @Test
    void anAuditedCommandAnsweredWithoutAnErrorStaysInTheReplyRunAndIsRecorded() throws Exception {
        close();
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        try (CommandAudit audit = CommandAudit.start(AuditMode.WRITES, CommandTable.builtIn(), 0, 1024, lines)) {
            settings = SessionSettings.DEFAULTS.withAudit(audit, UpstreamClientNameSource.OFF);
            open();
            send(cmd("GET", "a") + cmd("SET", "k", "v") + cmd("GET", "b") + cmd("SET", "x", "y") + cmd("GET", "c"));
            reply("$1\r\n1\r\n+OK\r\n$1\r\n2\r\n-ERR some error\r\n$1\r\n3\r\n");
            // the audited SET answered +OK joins the run; the one answered with an error is read on its own
            assertThat(clientWrites())
                    .containsExactly("$1\r\n1\r\n+OK\r\n$1\r\n2\r\n", "-ERR some error\r\n", "$1\r\n3\r\n");
            assertThat(audit.drain(Duration.ofSeconds(5))).isTrue();
            String written = lines.toString(StandardCharsets.UTF_8);
            assertThat(written.lines()).hasSize(2);
            assertThat(written.lines().toList().get(0)).contains("\"set\"").contains("\"ok\"");
            assertThat(written.lines().toList().get(1)).contains("\"set\"").contains("\"error\"");
        }
    }
}
