package io.github.redisentra.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.ReplyFramer;
import io.github.redisentra.gateway.resp.ReplyProtocolException;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.resp.RespProtocolException;
import io.github.redisentra.gateway.upstream.UpstreamConnector;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Coverage-guided fuzzing of the session's command classification before authentication (Jazzer): arbitrary bytes,
 * split arbitrarily, reach a real {@link ClientSession} on an embedded channel whose authenticator refuses every
 * credential. Without {@code JAZZER_FUZZ} this replays the committed corpus; the {@code fuzz} profile fuzzes for a
 * bounded time (README: "Fuzzing").
 *
 * <p>Checked for every input: nothing but {@code AUTH}/{@code HELLO … AUTH} reaches the authenticator and nothing
 * ever reaches the upstream side (the upstream credential is never even read); every reply is a single line, either
 * an error, {@code +RESET}, or the {@code +OK} of {@code QUIT} followed by a close; there is exactly one reply per
 * command as an independent framer counts them, plus one protocol error when the input is malformed; nothing throws.
 */
class PreAuthSessionFuzzTest {
    static final RequestLimits PRE_AUTH = new RequestLimits(4, 1024, 1024, false);
    static final SessionSettings SETTINGS =
            SessionSettings.DEFAULTS.withLimits(PRE_AUTH, RequestLimits.AUTHENTICATED_DEFAULT);

    @FuzzTest(maxDuration = "5s")
    void onlyAuthHelloQuitResetAreHandledBeforeAuthentication(FuzzedDataProvider data) throws Exception {
        int[] cuts = new int[data.consumeInt(0, 4)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = data.consumeInt(0, 2048);
        }
        byte[] input = data.consumeRemainingAsBytes();
        java.util.Arrays.sort(cuts);

        AtomicInteger credentialReads = new AtomicInteger();
        AtomicInteger authCalls = new AtomicInteger();
        AtomicInteger upstreamEvents = new AtomicInteger();
        UpstreamCredentials credentials = new UpstreamCredentials() {
            @Override
            public String username(AccessToken token) {
                credentialReads.incrementAndGet();
                return "never";
            }

            @Override
            public Optional<AccessToken> current() {
                credentialReads.incrementAndGet();
                return Optional.empty();
            }

            @Override
            public AutoCloseable subscribe(Consumer<AccessToken> onRenewed) {
                return () -> {};
            }
        };
        GatewayEvents events = new GatewayEvents() {
            @Override
            public void upstreamConnected() {
                upstreamEvents.incrementAndGet();
            }

            @Override
            public void upstreamFailed(String reason) {
                upstreamEvents.incrementAndGet();
            }
        };
        ClientSession session = new ClientSession(
                SETTINGS,
                request -> {
                    authCalls.incrementAndGet();
                    return CompletableFuture.completedFuture(new AuthDecision.Denied("fuzz", "refuses everything"));
                },
                new UpstreamConnector(UpstreamEndpoint.plaintext("127.0.0.1", 9), NioSocketChannel.class),
                credentials,
                events,
                new SessionRegistry());
        EmbeddedChannel ch = new EmbeddedChannel(session);
        List<String> replies = new ArrayList<>();
        ByteBuf out = Unpooled.buffer();
        ReplyFramer replyFramer = new ReplyFramer();
        boolean open;
        try {
            int from = 0;
            for (int k = 0; k <= cuts.length; k++) {
                int to = k < cuts.length ? Math.min(cuts[k], input.length) : input.length;
                if (to > from && ch.isActive()) {
                    ch.writeInbound(Unpooled.copiedBuffer(input, from, to - from));
                    ch.runPendingTasks();
                    from = to;
                }
            }
            ch.runPendingTasks();
            ch.checkException();
            for (Object o; (o = ch.readOutbound()) != null; ) {
                ByteBuf b = (ByteBuf) o;
                out.writeBytes(b);
                b.release();
            }
            for (; ; ) {
                int n;
                try {
                    n = replyFramer.next(out);
                } catch (ReplyProtocolException e) {
                    throw new AssertionError("the gateway wrote malformed RESP: " + e.getMessage());
                }
                if (n < 0) {
                    break;
                }
                String reply = out.readCharSequence(n, StandardCharsets.UTF_8).toString();
                assertThat(reply).as("a single line").endsWith("\r\n").doesNotContain("\n\r");
                assertThat(reply.indexOf('\n')).isEqualTo(reply.length() - 1);
                replies.add(reply.substring(0, reply.length() - 2));
            }
            assertThat(out.isReadable()).as("no partial reply").isFalse();
            open = ch.isActive();
        } finally {
            ch.finishAndReleaseAll();
            out.release();
        }

        Expected expected = expectedFor(input);
        assertThat(credentialReads.get()).as("upstream credential read").isZero();
        assertThat(upstreamEvents.get()).as("upstream connections").isZero();
        assertThat(authCalls.get()).as("authenticator calls").isLessThanOrEqualTo(expected.authOrHello());
        for (int i = 0; i < replies.size(); i++) {
            String r = replies.get(i);
            if (r.equals("+OK")) {
                assertThat(i).as("+OK only for QUIT, as the last reply").isEqualTo(replies.size() - 1);
                assertThat(expected.quitAt()).isEqualTo(i);
            } else if (!r.equals("+RESET")) {
                assertThat(r).startsWith("-");
            }
        }
        if (expected.quitAt() >= 0) {
            assertThat(replies).hasSize(expected.quitAt() + 1);
            assertThat(open).isFalse();
        } else if (expected.protocolError()) {
            assertThat(replies).hasSize(expected.commands() + 1);
            assertThat(replies.get(replies.size() - 1)).startsWith("-ERR Protocol error");
            assertThat(open).isFalse();
        } else {
            assertThat(replies).hasSize(expected.commands());
        }
    }

    record Expected(int commands, int authOrHello, int quitAt, boolean protocolError) {}

    /** What an independent framer sees in the input: commands, AUTH/HELLO count, the first QUIT, a protocol error. */
    static Expected expectedFor(byte[] input) {
        RequestFramer framer = new RequestFramer();
        ByteBuf in = Unpooled.wrappedBuffer(input);
        int commands = 0;
        int auth = 0;
        try {
            for (; ; ) {
                Command c;
                try {
                    c = framer.next(in, PRE_AUTH);
                } catch (RespProtocolException e) {
                    return new Expected(commands, auth, -1, true);
                }
                if (c == null) {
                    return new Expected(commands, auth, -1, false);
                }
                boolean quit = c.is("QUIT");
                if (c.is("AUTH") || c.is("HELLO")) {
                    auth++;
                }
                c.release();
                if (quit) {
                    return new Expected(commands + 1, auth, commands, false);
                }
                commands++;
            }
        } finally {
            in.release();
        }
    }
}
