package io.github.redisentra.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.audit.CommandAudit;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.config.AuditMode;
import io.github.redisentra.gateway.config.UpstreamClientNameSource;
import io.github.redisentra.gateway.upstream.ReplySink;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamDialer;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.gateway.upstream.UpstreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue #19: consecutive forwarded commands of one read leave as one upstream write (a slice of the client's input,
 * or the input buffer itself), and a run of plain replies as one client write, with the order of bytes and replies
 * unchanged around refused, inline and gateway-made commands. A real {@link ClientSession} on embedded channels.
 */
class ForwardRunTest {
    EmbeddedChannel client;
    EmbeddedChannel upstream;

    SessionSettings settings = SessionSettings.DEFAULTS;

    @BeforeEach
    void start() {
        open();
    }

    void open() {
        UpstreamDialer dialer = new UpstreamDialer() {
            @Override
            public Future<Channel> connect(EventLoop loop, ReplySink sink) {
                upstream = new EmbeddedChannel(new UpstreamHandler(sink));
                return loop.newSucceededFuture(upstream);
            }

            @Override
            public UpstreamEndpoint endpoint() {
                return UpstreamEndpoint.plaintext("10.0.0.5", 8501);
            }
        };
        UpstreamCredentials gateway = new UpstreamCredentials() {
            @Override
            public String username(AccessToken token) {
                return "gateway";
            }

            @Override
            public Optional<AccessToken> current() {
                return Optional.of(ClusterSessionTest.GATEWAY_TOKEN);
            }

            @Override
            public AutoCloseable subscribe(Consumer<AccessToken> onRenewed) {
                return () -> {};
            }
        };
        ClientSession session = new ClientSession(
                settings,
                request -> CompletableFuture.completedFuture(new AuthDecision.Allowed(ClusterSessionTest.USER)),
                dialer,
                gateway,
                new GatewayEvents() {},
                new SessionRegistry());
        client = new EmbeddedChannel(session);
        send("AUTH token\r\n");
        assertThat(String.join("", upstreamWrites())).contains("AUTH");
        reply("+OK\r\n"); // the gateway's own AUTH
        assertThat(String.join("", clientWrites())).isEqualTo("+OK\r\n");
    }

    @AfterEach
    void close() {
        client.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }

    void send(String bytes) {
        client.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
        client.runPendingTasks();
    }

    void reply(String bytes) {
        upstream.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
        client.runPendingTasks();
    }

    static List<String> writes(EmbeddedChannel ch) {
        List<String> out = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) o;
            out.add(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out;
    }

    List<String> upstreamWrites() {
        return writes(upstream);
    }

    List<String> clientWrites() {
        client.runPendingTasks();
        return writes(client);
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
