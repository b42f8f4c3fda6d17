package io.github.redisentra.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.Principal;
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
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A real {@link ClientSession} without sockets, the test fixture of the session tests: the client is an embedded
 * channel, every upstream connection the session dials is an in-memory {@link EmbeddedChannel} behind a real
 * {@link UpstreamHandler} (the test answers for the cache), the gateway's upstream credential is
 * {@link #GATEWAY_TOKEN}, and every client {@code AUTH} signs the given principal in.
 */
final class EmbeddedSession implements AutoCloseable {
    static final Principal USER =
            new Principal("oid", "tid", "user", Instant.now().plusSeconds(86_400), Set.of(), Set.of());
    static final AccessToken GATEWAY_TOKEN = AccessToken.opaque("gateway-secret", null, Instant.MAX);

    /** The upstream connections dialled so far, in order. */
    final List<EmbeddedChannel> upstreams = new ArrayList<>();

    final EmbeddedChannel client;

    /** A session not signed in yet whose client {@code AUTH} signs in {@code user}, permissions {@code access}. */
    EmbeddedSession(SessionSettings settings, Principal user, AccessControl access) {
        UpstreamDialer dialer = new UpstreamDialer() {
            @Override
            public Future<Channel> connect(EventLoop loop, ReplySink sink) {
                EmbeddedChannel u = new EmbeddedChannel(new UpstreamHandler(sink));
                upstreams.add(u);
                return loop.newSucceededFuture(u);
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
                return Optional.of(GATEWAY_TOKEN);
            }

            @Override
            public AutoCloseable subscribe(Consumer<AccessToken> onRenewed) {
                return () -> {};
            }
        };
        ClientSession session = new ClientSession(
                settings,
                request -> CompletableFuture.completedFuture(new AuthDecision.Allowed(user)),
                dialer,
                gateway,
                new GatewayEvents() {},
                new SessionRegistry(),
                access);
        client = new EmbeddedChannel(session);
    }

    /** A session of {@link #USER} without a roles file, signed in: the client's AUTH and the gateway's are answered. */
    static EmbeddedSession signedIn(SessionSettings settings) {
        EmbeddedSession s = new EmbeddedSession(settings, USER, null);
        s.send("AUTH token\r\n");
        assertThat(String.join("", s.upstreamWrites())).contains("AUTH");
        s.reply("+OK\r\n"); // the gateway's own AUTH
        assertThat(String.join("", s.clientWrites())).isEqualTo("+OK\r\n");
        return s;
    }

    /** The client sends {@code bytes}. */
    void send(String bytes) {
        send(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
    }

    void send(ByteBuf bytes) {
        client.writeInbound(bytes);
        client.runPendingTasks();
    }

    /** The cache answers {@code bytes} on the first upstream connection. */
    void reply(String bytes) {
        upstreams.get(0).writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
        client.runPendingTasks();
    }

    /** What was written to the client since last asked, one string per write. */
    List<String> clientWrites() {
        client.runPendingTasks();
        return writes(client);
    }

    /** What was written on the first upstream connection since last asked, one string per write. */
    List<String> upstreamWrites() {
        return writes(upstreams.get(0));
    }

    /** Appends to {@code sent} what was written on every upstream connection since last asked. */
    void drainUpstreams(ByteBuf sent) {
        for (EmbeddedChannel u : upstreams) {
            for (Object o; (o = u.readOutbound()) != null; ) {
                ByteBuf b = (ByteBuf) o;
                sent.writeBytes(b);
                b.release();
            }
        }
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

    @Override
    public void close() {
        client.finishAndReleaseAll();
        for (EmbeddedChannel u : upstreams) {
            u.finishAndReleaseAll();
        }
    }
}
