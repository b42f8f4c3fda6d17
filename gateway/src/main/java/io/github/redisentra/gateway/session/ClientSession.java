package io.github.redisentra.gateway.session;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.GatewayEvents;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.upstream.ReplySink;
import io.github.redisentra.gateway.upstream.UpstreamAuth;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamDialer;
import io.github.redisentra.gateway.upstream.UpstreamLink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: frames its commands, decides what is answered locally and what goes upstream, and puts
 * every reply back in the order the commands arrived.
 *
 * <h2>States</h2>
 * UNAUTHENTICATED → AUTHENTICATED(principal, exp) → EXPIRED (exp + skew passed). Unauthenticated and expired
 * sessions accept only {@code AUTH}, {@code HELLO}, {@code QUIT} and {@code RESET}; anything else is answered
 * {@code -NOAUTH Authentication required.} (an expired session stays open and its upstream connection stays
 * authenticated as the gateway, so a client that renews its token just sends {@code AUTH} again). A subscribed
 * session cannot be refused command by command (messages keep flowing), so one still subscribed when its client
 * token expires is closed with an {@code -ERR}.
 *
 * <h2>Ordering</h2>
 * Every command appends exactly one entry to the {@link ReplyLedger}: forwarded (owed the next upstream reply), local (bytes the
 * gateway answers), injected (a gateway command whose reply is checked and swallowed) or replaced (an upstream reply
 * swallowed and answered with other bytes). Local entries are written only when they reach the head, so pipelined
 * {@code GET a / AUTH t / GET b} is answered in that order. Pub/sub confirmations may answer one command several
 * times; messages and RESP3 pushes are out-of-band and bypass the ledger.
 *
 * <h2>Credentials</h2>
 * {@code AUTH} and {@code HELLO … AUTH} frames are consumed here and released; their bytes are never written
 * upstream. The upstream connection is opened at the first successful AUTH (failed AUTHs open nothing) and
 * authenticated with the gateway's own credential; {@code HELLO} is forwarded without {@code AUTH} so the client
 * receives the real server's HELLO reply and the upstream protocol always equals the client's.
 *
 * <h2>Transactions</h2>
 * {@code AUTH}/{@code HELLO} inside {@code MULTI} are refused: the gateway sends upstream a bare {@code AUTH}
 * (an arity error, which makes Redis flag the transaction) and answers the client with an {@code -ERR}; the
 * client's {@code EXEC} then gets Redis's own {@code -EXECABORT}, so both sides agree nothing ran. Commands refused
 * because the identity expired inside {@code MULTI} are handled the same way. Upstream re-AUTH is deferred until
 * {@code EXEC}/{@code DISCARD}.
 *
 * <h2>Upstream re-AUTH</h2>
 * {@link UpstreamAuth} owns the upstream connection's authentication and is the only writer of
 * {@code AUTH <user> <token>} frames (the session carries them as opaque bytes and owes their replies to it); the
 * session only tells it when an AUTH can go ({@link UpstreamAuth.Moment}). A renewed gateway token is written as
 * {@code AUTH <user> <token>} (injected) unless the session is in MULTI or in
 * the middle of a streamed command (then it is sent when that ends). A RESP2 subscriber, where Redis refuses AUTH,
 * is moved to a new upstream connection authenticated with the renewed token and carrying its subscriptions
 * (make before break, see {@link UpstreamLink}). If the renewed token is not acknowledged
 * {@link SessionSettings#upstreamReauthMargin()} before the upstream authentication expires (e.g. a long blocking
 * command), the session is closed with an {@code -ERR}. When that is depends on the cache and comes from
 * {@link UpstreamCredentials#authenticatedUntil}: the token's expiry (Azure), or 12 hours after the last AUTH
 * (ElastiCache / MemoryDB IAM).
 *
 * <h2>The gate</h2>
 * Every client command, buffered or streamed, passes {@link CommandGate} before any byte of it goes upstream:
 * authentication and expiry, the roles file's permissions ({@link AccessControl}; Redis's {@code -NOPERM} text as a
 * local entry, inside {@code MULTI} through {@link #refuse} so that {@code EXEC} fails as in Redis), the RESP2
 * subscribed context and unsupported commands. A principal matching no role is refused at {@code AUTH}. The gate
 * also judges expiry for out-of-band data: nothing is delivered past the client token's expiry.
 *
 * <h2>Large values</h2>
 * After authentication a command with a bulk of 64 KiB or more is judged by the gate on its head (the arguments
 * before the bulk, knowing the argument count) and, when allowed, streamed upstream as it arrives (backpressure by
 * {@code autoRead}), not buffered whole; a refused one is read and dropped; one whose verdict needs later arguments
 * (a key after the large bulk) is buffered until the gate can decide; see {@link RequestFramer}.
 *
 * <h2>Not supported</h2>
 * {@code MONITOR} and {@code CLIENT REPLY} are refused (they break the one-reply-per-command accounting).
 * {@code RESET} is forwarded and followed by an injected AUTH; a cache that refuses RESET answers with its error
 * while the session is still reset locally.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter implements ReplySink {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    static final String NOAUTH = "-NOAUTH Authentication required.";

    private static final byte[] BARE_AUTH = "*1\r\n$4\r\nAUTH\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DISCARD_CMD = "*1\r\n$7\r\nDISCARD\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] PING_CMD = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);

    final SessionSettings settings;
    final Authenticator authenticator;
    /** The gateway's own upstream identity: the session's until a role names another. */
    final UpstreamCredentials gatewayCredentials;
    /**
     * The upstream connection's authentication, as the identity of the authenticated principal's roles (chosen by
     * {@link AccessControl#upstreamFor}): the only writer of AUTH frames upstream.
     */
    final UpstreamAuth upstreamAuth;

    final GatewayEvents events;
    private final SessionRegistry registry;
    private final ClientInput input;
    final AccessControl access;

    final CommandGate gate;
    final ReplyLedger ledger = new ReplyLedger();
    final PubSubState pubSub = new PubSubState(this);
    final ProtocolState protocol = new ProtocolState(this);

    ChannelHandlerContext ctx;
    Channel client;
    Channel upstream;
    /** Routes upstream events to this session, and moves a RESP2 subscriber to a new connection (handover). */
    final UpstreamLink link;

    boolean inMulti;
    boolean paused;
    boolean closing;
    boolean draining;
    boolean failed;
    private boolean clientGone;
    private boolean midReply;
    private boolean clientNeedsFlush;
    private boolean upstreamNeedsFlush;

    public ClientSession(
            SessionSettings settings,
            Authenticator authenticator,
            UpstreamDialer connector,
            UpstreamCredentials credentials,
            GatewayEvents events,
            SessionRegistry registry) {
        this(settings, authenticator, connector, credentials, events, registry, null);
    }

    /** @param access per-role permissions checked before each command is forwarded, or {@code null} for none */
    public ClientSession(
            SessionSettings settings,
            Authenticator authenticator,
            UpstreamDialer connector,
            UpstreamCredentials credentials,
            GatewayEvents events,
            SessionRegistry registry,
            AccessControl access) {
        this.access = access;
        this.settings = settings;
        this.authenticator = authenticator;
        AuthHost host = new AuthHost();
        this.upstreamAuth = new UpstreamAuth(host, credentials, settings.clock(), settings.upstreamReauthMargin());
        this.link = new UpstreamLink(this, connector, host, upstreamAuth);
        this.gatewayCredentials = credentials;
        this.events = events;
        this.registry = registry;
        this.input = new ClientInput(this, registry);
        this.gate = new CommandGate(access, credentials, settings.clock(), events);
    }

    // ---------------------------------------------------------------- client channel events

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.client = ctx.channel();
        gate.client(client.remoteAddress());
        registry.add(this);
        events.clientConnected();
        protocol.armAuthDeadline();
        ctx.fireChannelActive();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.client = ctx.channel();
        gate.client(client.remoteAddress());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (closing || failed) {
            in.release();
            return;
        }
        events.bytesFromClient(in.readableBytes());
        input.read(ctx.alloc(), in);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = client.isWritable();
        if (upstream != null) {
            upstream.config().setAutoRead(writable);
        }
        if (writable) {
            input.process();
            flush();
        }
        updateAutoRead();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cleanup();
        events.clientDisconnected();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client {} failed: {}", client.remoteAddress(), cause.toString());
        ctx.close();
    }

    void executeOnLoop(Runnable r) {
        Channel c = client;
        if (c != null) {
            c.eventLoop().execute(r);
        }
    }

    // ---------------------------------------------------------------- command processing

    /** A buffered command: the gate decides, then it is forwarded, refused or run by the session. */
    void handle(Command cmd) {
        CommandGate.Decision d = gate.decide(cmd, resp2Subscribed(), upstreamAuth.identity(), Long.MAX_VALUE);
        if (d == CommandGate.FORWARD) {
            forward(cmd, d);
        } else if (d != CommandGate.SESSION) {
            cmd.release();
            refused(d);
        } else if (cmd.is("QUIT")) {
            cmd.release();
            closing = true;
            local("+OK", true);
        } else {
            protocol.handle(cmd);
        }
    }

    /** Carries out a refusal of the gate, in the command's place in the reply stream. */
    void refused(CommandGate.Decision d) {
        switch (d.kind()) {
            case FAIL -> fail(d.line());
            case ABORT_EXEC -> {
                if (inMulti && upstream != null) { // as Redis's execCommandAbort: the transaction is discarded
                    inMulti = false;
                    writeGatewayCommand(Unpooled.wrappedBuffer(DISCARD_CMD), new ReplyLedger.Replaced(d.line()));
                } else {
                    local(d.line(), false);
                }
            }
            default -> refuse(d.line());
        }
    }

    boolean resp2Subscribed() {
        return protocol.version == 2 && pubSub.subscribed();
    }

    /** Answers a command locally; inside MULTI also makes upstream abort the transaction (see class doc). */
    void refuse(String errorLine) {
        if (inMulti && upstream != null) {
            writeGatewayCommand(Unpooled.wrappedBuffer(BARE_AUTH), new ReplyLedger.Replaced(errorLine));
        } else {
            local(errorLine, false);
        }
    }

    private void forward(Command cmd, CommandGate.Decision d) {
        ReplyLedger.Owed entry = ReplyLedger.FORWARD;
        if (cmd.is("MULTI")) {
            inMulti = true;
        } else if (cmd.is("EXEC") || cmd.is("DISCARD")) {
            inMulti = false;
        } else if (!inMulti) {
            entry = ReplyLedger.forwarded(cmd);
        }
        forwardUpstream(d, cmd.takeFrame());
        ledger.add(entry);
        afterForward();
    }

    void afterForward() {
        if (!inMulti && !resp2Subscribed()) {
            upstreamAuth.sendDeferred();
        }
    }

    void resume() {
        paused = false;
        input.process();
    }

    // ---------------------------------------------------------------- upstream connection

    void connectUpstream(Runnable onReady) {
        AccessToken token = upstreamAuth.usableToken();
        if (token == null) {
            fail("-ERR upstream unavailable: the gateway has no valid upstream credential yet; retry later");
            return;
        }
        link.connect().addListener(f -> {
            if (!f.isSuccess()) {
                events.upstreamFailed("connect");
                log.warn(
                        "upstream {} unavailable for client {}: {}",
                        link.endpoint(),
                        client.remoteAddress(),
                        f.cause().toString());
                fail("-ERR upstream unavailable: cannot connect to the cache (" + UpstreamLink.reason(f.cause()) + ")");
                return;
            }
            Channel ch = (Channel) f.getNow();
            if (failed || !client.isActive()) {
                ch.close();
                return;
            }
            upstream = ch;
            link.adopt();
            upstream.config().setAutoRead(client.isWritable());
            events.upstreamConnected();
            upstreamAuth.connected(token);
            onReady.run();
            resume();
        });
    }

    /** A renewed token of {@code from}; ignored unless it is this session's upstream identity. */
    void onUpstreamToken(UpstreamCredentials from, AccessToken token) {
        if (from != upstreamAuth.identity() || failed || upstream == null || !upstream.isActive()) {
            return;
        }
        log.debug("client {}: upstream token renewed ({}), inMulti={}", client.remoteAddress(), token, inMulti);
        upstreamAuth.renewed(from, token);
    }

    /** What the upstream authentication and the handover may do on this session's connection. */
    private final class AuthHost implements UpstreamLink.Host {
        @Override
        public void writeAuth(ByteBuf frame, AccessToken token) {
            writeUpstream(frame);
            ledger.add(new ReplyLedger.Injected(token));
            flush();
        }

        @Override
        public UpstreamAuth.Moment moment() {
            if (inMulti || link.handingOver() || input.streaming()) {
                return UpstreamAuth.Moment.LATER;
            }
            // Redis refuses AUTH on a RESP2 subscribed connection (also right behind a SUBSCRIBE in flight): the
            // handover waits for owed replies, then moves the subscriptions, or just re-AUTHs if none are left
            if (protocol.version == 2 && (pubSub.subscribed() || ledger.owesPubSub())) {
                return UpstreamAuth.Moment.HANDOVER;
            }
            return UpstreamAuth.Moment.NOW;
        }

        @Override
        public void startHandover(AccessToken token) {
            link.startHandover(token);
            updateAutoRead(); // no client command may change the subscription set while it is copied
            if (ledger.isEmpty()) {
                link.idle();
            }
        }

        @Override
        public boolean resp2Subscribed() {
            return ClientSession.this.resp2Subscribed();
        }

        @Override
        public Set<String> subscriptions(int family) {
            return pubSub.subscriptions(family);
        }

        @Override
        public boolean deliver(ByteBuf message) {
            return pubSub.deliver(message);
        }

        @Override
        public void owePing() {
            writeGatewayCommand(Unpooled.wrappedBuffer(PING_CMD), ReplyLedger.HANDOVER_PING);
            flush();
        }

        @Override
        public void adopt(Channel next) {
            Channel old = upstream;
            upstream = next;
            upstream.config().setAutoRead(client.isWritable());
            old.close();
        }

        @Override
        public void upstreamConnected() {
            events.upstreamConnected();
        }

        @Override
        public void proceed() {
            input.process();
        }

        @Override
        public void flush() {
            ClientSession.this.flush();
        }

        @Override
        public void switchAcknowledged() {
            if (!draining && !closing) {
                resume();
            }
        }

        @Override
        public void fail(String errorLine) {
            ClientSession.this.fail(errorLine);
        }

        @Override
        public boolean failed() {
            return failed;
        }

        @Override
        public void reauthenticated(boolean success) {
            events.upstreamReauthenticated(success);
        }

        @Override
        public void upstreamFailed(String reason) {
            events.upstreamFailed(reason);
        }

        @Override
        public EventLoop eventLoop() {
            return client.eventLoop();
        }

        @Override
        public ByteBufAllocator alloc() {
            return client.alloc();
        }

        @Override
        public SocketAddress clientAddress() {
            return client.remoteAddress();
        }
    }

    // ---------------------------------------------------------------- upstream replies

    @Override
    public boolean onReplyPart(ByteBuf part) {
        if (failed || !ledger.headIsForward() || resp2Subscribed()) {
            return false;
        }
        midReply = true;
        toClient(part);
        return true;
    }

    /**
     * A plain forwarded reply with nothing to inspect: account for it now, take its bytes in {@link #onPassThrough}
     * together with the following ones (a pipeline's replies leave in one write).
     */
    @Override
    public boolean claimPassThrough() {
        if (failed || midReply || !ledger.headIsForward() || resp2Subscribed()) {
            return false;
        }
        ledger.next();
        return true;
    }

    @Override
    public void onPassThrough(ByteBuf replies) {
        if (failed) {
            replies.release();
            return;
        }
        toClient(replies);
        flushLocals();
    }

    @Override
    public void onReply(ByteBuf frame, boolean push) {
        if (failed) {
            frame.release();
            return;
        }
        if (midReply) {
            midReply = false;
            ledger.next();
            toClient(frame);
            flushLocals();
            return;
        }
        if (pubSub.offer(frame, push, ledger.head(), protocol.version == 2)) {
            return;
        }
        ReplyLedger.Owed entry = ledger.next();
        if (entry == null || entry instanceof ReplyLedger.Local) {
            frame.release();
            log.warn("client {}: upstream sent a reply no command is waiting for", client.remoteAddress());
            fail("-ERR gateway: upstream reply stream out of sync; reconnect");
            return;
        }
        if (entry instanceof ReplyLedger.Injected injected) {
            if (!upstreamAuth.acknowledged(injected.token(), frame)) {
                return;
            }
        } else if (entry instanceof ReplyLedger.Replaced replaced) {
            frame.release();
            writeLine(replaced.line());
        } else if (entry instanceof ReplyLedger.Hello hello) {
            protocol.helloAnswered(frame, hello.protocol());
            toClient(frame);
        } else if (entry instanceof ReplyLedger.HandoverPing) {
            frame.release();
            link.oldPingAnswered();
        } else if (entry instanceof ReplyLedger.Reset) {
            protocol.resetAnswered();
            toClient(frame);
        } else {
            toClient(frame); // Forward, or a pub/sub command answered by an error
        }
        flushLocals();
    }

    @Override
    public void onReadBatchComplete() {
        flush();
    }

    @Override
    public void onUpstreamLost(String reason, Throwable cause) {
        if (failed || clientGone || (closing && ledger.isEmpty())) {
            return;
        }
        events.upstreamFailed("lost");
        log.warn("upstream lost for client {}: {}", client == null ? "?" : client.remoteAddress(), reason);
        executeOnLoop(() -> fail("-ERR upstream unavailable: " + reason + "; reconnect"));
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        updateAutoRead();
        if (writable) {
            input.process();
        }
    }

    // ---------------------------------------------------------------- output

    void local(String line, boolean closeAfter) {
        if (ledger.isEmpty()) {
            writeLine(line);
            if (closeAfter) {
                closeAfterFlush();
            }
        } else {
            ledger.add(new ReplyLedger.Local(line, closeAfter));
        }
    }

    void flushLocals() {
        ReplyLedger.Local l;
        while ((l = ledger.nextLocal()) != null) {
            writeLine(l.line());
            if (l.closeAfter()) {
                closeAfterFlush();
                return;
            }
        }
        if (draining && ledger.isEmpty()) {
            closeAfterFlush();
        }
        if (ledger.isEmpty()) {
            link.idle();
        }
    }

    private void writeLine(String line) {
        byte[] b = oneLine(line).getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = client.alloc().buffer(b.length + 2);
        buf.writeBytes(b).writeShort(0x0d0a);
        toClient(buf);
    }

    /**
     * Like Redis's addReplyErrorFormat: CR and LF in a reply line (e.g. a client's argument quoted in an error) become
     * spaces, so a client cannot forge reply frames (found by {@code PreAuthSessionFuzzTest}).
     */
    private static String oneLine(String line) {
        return line.indexOf('\r') < 0 && line.indexOf('\n') < 0
                ? line
                : line.replace('\r', ' ').replace('\n', ' ');
    }

    void toClient(ByteBuf buf) {
        if (!client.isActive()) {
            buf.release();
            return;
        }
        events.bytesToClient(buf.readableBytes());
        client.write(buf, client.voidPromise());
        clientNeedsFlush = true;
    }

    /**
     * The only way a client's command bytes go upstream (buffered commands, and the head and parts of streamed ones):
     * with the {@link CommandGate}'s {@code FORWARD} decision on that command ({@code UpstreamPathsTest} checks that
     * no other path exists).
     */
    void forwardUpstream(CommandGate.Decision verdict, ByteBuf bytes) {
        if (verdict != CommandGate.FORWARD) {
            bytes.release();
            throw new IllegalStateException("not forwarded by the gate: " + verdict.kind());
        }
        writeUpstream(bytes);
    }

    /**
     * Writes a command the gateway made itself (never a client's bytes): the re-encoded {@code HELLO}, {@code RESET},
     * the MULTI abort's bare {@code AUTH} and {@code DISCARD}, the handover's {@code PING}; owed {@code entry}.
     */
    void writeGatewayCommand(ByteBuf frame, ReplyLedger.Owed entry) {
        writeUpstream(frame);
        ledger.add(entry);
    }

    private void writeUpstream(ByteBuf frame) {
        upstream.write(frame, upstream.voidPromise());
        upstreamNeedsFlush = true;
    }

    void flush() {
        if (clientNeedsFlush) {
            clientNeedsFlush = false;
            client.flush();
        }
        if (upstreamNeedsFlush && upstream != null) {
            upstreamNeedsFlush = false;
            upstream.flush();
        }
    }

    private void closeAfterFlush() {
        closing = true;
        clientNeedsFlush = false;
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    void updateAutoRead() {
        input.updateAutoRead();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Fails the session now: writes {@code errorLine} (out of order: owed replies will never come) and closes. */
    void fail(String errorLine) {
        if (failed) {
            return;
        }
        failed = true;
        releaseLedger();
        link.abandon();
        if (client.isActive()) {
            clientNeedsFlush = false;
            byte[] b = (oneLine(errorLine) + "\r\n").getBytes(StandardCharsets.UTF_8);
            client.writeAndFlush(Unpooled.wrappedBuffer(b)).addListener(ChannelFutureListener.CLOSE);
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** Graceful shutdown: read no more commands, close once every owed reply is delivered. */
    void drain() {
        if (failed || closing) {
            return;
        }
        draining = true;
        paused = true;
        updateAutoRead();
        if (ledger.isEmpty()) {
            closeAfterFlush();
        }
    }

    private void cleanup() {
        clientGone = true;
        registry.remove(this);
        protocol.close();
        upstreamAuth.close();
        releaseLedger();
        link.abandon();
        input.release();
        if (upstream != null) {
            upstream.close();
        }
    }

    private void releaseLedger() {
        ledger.clear(); // entries hold no buffers
    }

    @Override
    public String toString() {
        Principal p = gate.principal();
        return "ClientSession[" + (client == null ? "?" : client.remoteAddress()) + ", principal="
                + (p == null ? "-" : p.objectId()) + ", resp" + protocol.version + "]";
    }
}
