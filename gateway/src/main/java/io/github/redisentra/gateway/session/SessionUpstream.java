package io.github.redisentra.gateway.session;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.upstream.UpstreamAuth;
import io.github.redisentra.gateway.upstream.UpstreamDialer;
import io.github.redisentra.gateway.upstream.UpstreamLink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session's side toward its upstream connection: opens it at the first successful AUTH, and is what
 * {@link UpstreamAuth} and the RESP2 handover ({@link UpstreamLink}) may do on the session — where their AUTH frames
 * go (with the ledger entry that swallows the reply), when an AUTH can go ({@link UpstreamAuth.Moment}), and the
 * handover's callbacks. Event-loop confined.
 */
final class SessionUpstream implements UpstreamLink.Host {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    private static final byte[] PING_CMD = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ClientSession s;

    SessionUpstream(ClientSession session) {
        this.s = session;
    }

    /**
     * Opens the upstream connection, authenticates it as the chosen identity, then runs {@code onReady}: a warm one
     * of the pool ({@code UPSTREAM_POOL_SIZE}, already authenticated) when there is one, else a new one.
     */
    void connect(Runnable onReady) {
        AccessToken token = s.upstreamAuth.usableToken();
        if (token == null) {
            s.fail("-ERR upstream unavailable: the gateway has no valid upstream credential yet; retry later");
            return;
        }
        UpstreamDialer.Warm warm = s.link.takeWarm(s.upstreamAuth.identity());
        if (warm != null) {
            ready(warm.channel(), onReady, () -> s.upstreamAuth.adopted(warm.token(), warm.acknowledgedAt()));
            return;
        }
        s.link.connect().addListener(f -> {
            if (!f.isSuccess()) {
                s.events.upstreamFailed("connect");
                log.warn(
                        "upstream {} unavailable for client {}: {}",
                        s.link.endpoint(),
                        s.client.remoteAddress(),
                        f.cause().toString());
                s.fail("-ERR upstream unavailable: cannot connect to the cache (" + UpstreamLink.reason(f.cause())
                        + ")");
                return;
            }
            Channel ch = (Channel) f.getNow();
            if (s.failed || !s.client.isActive()) {
                ch.close();
                return;
            }
            ready(ch, onReady, () -> s.upstreamAuth.connected(token));
        });
    }

    /** {@code ch} is the session's upstream connection: authenticated by {@code authenticate}, then input resumes. */
    private void ready(Channel ch, Runnable onReady, Runnable authenticate) {
        s.upstream = ch;
        s.link.adopt();
        s.upstream.config().setAutoRead(s.client.isWritable());
        s.events.upstreamConnected();
        authenticate.run();
        s.audit.upstreamAuthenticated();
        onReady.run();
        s.resume();
    }

    @Override
    public void writeAuth(ByteBuf frame, AccessToken token) {
        s.writeUpstream(frame);
        s.ledger.add(new ReplyLedger.Injected(token));
        s.flush();
    }

    @Override
    public UpstreamAuth.Moment moment() {
        if (s.inMulti || s.link.handingOver() || s.input.streaming()) {
            return UpstreamAuth.Moment.LATER;
        }
        // Redis refuses AUTH on a RESP2 subscribed connection (also right behind a SUBSCRIBE in flight): the
        // handover waits for owed replies, then moves the subscriptions, or just re-AUTHs if none are left
        if (s.protocol.version == 2 && (s.pubSub.subscribed() || s.ledger.owesPubSub())) {
            return UpstreamAuth.Moment.HANDOVER;
        }
        return UpstreamAuth.Moment.NOW;
    }

    @Override
    public void startHandover(AccessToken token) {
        s.link.startHandover(token);
        s.updateAutoRead(); // no client command may change the subscription set while it is copied
        if (s.ledger.isEmpty()) {
            s.link.idle();
        }
    }

    @Override
    public boolean resp2Subscribed() {
        return s.resp2Subscribed();
    }

    @Override
    public Set<String> subscriptions(int family) {
        return s.pubSub.subscriptions(family);
    }

    @Override
    public byte[] nameFrame() {
        return s.audit.nameFrame();
    }

    @Override
    public boolean deliver(ByteBuf message) {
        return s.pubSub.deliver(message);
    }

    @Override
    public void owePing() {
        s.writeGatewayCommand(Unpooled.wrappedBuffer(PING_CMD), ReplyLedger.HANDOVER_PING);
        s.flush();
    }

    @Override
    public void adopt(Channel next) {
        s.writeForwarded(); // commands forwarded on the old connection stay on it
        Channel old = s.upstream;
        s.upstream = next;
        next.config().setAutoRead(s.client.isWritable());
        old.close();
    }

    @Override
    public void upstreamConnected() {
        s.events.upstreamConnected();
    }

    @Override
    public void proceed() {
        s.input.process();
    }

    @Override
    public void flush() {
        s.flush();
    }

    @Override
    public void switchAcknowledged() {
        if (!s.draining && !s.closing) {
            s.resume();
        }
    }

    @Override
    public void fail(String errorLine) {
        s.fail(errorLine);
    }

    @Override
    public boolean failed() {
        return s.failed;
    }

    @Override
    public void reauthenticated(boolean success) {
        s.events.upstreamReauthenticated(success);
    }

    @Override
    public void reauthFailed(String reason) {
        s.events.upstreamReauthenticated(false);
        s.events.upstreamReauthFailed(reason);
    }

    @Override
    public void upstreamFailed(String reason) {
        s.events.upstreamFailed(reason);
    }

    @Override
    public EventLoop eventLoop() {
        return s.client.eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return s.client.alloc();
    }

    @Override
    public SocketAddress clientAddress() {
        return s.client.remoteAddress();
    }
}
