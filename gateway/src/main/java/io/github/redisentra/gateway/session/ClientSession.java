package io.github.redisentra.gateway.session;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.AuthRequest;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.resp.RespProtocolException;
import io.github.redisentra.gateway.upstream.ReplySink;
import io.github.redisentra.gateway.upstream.UpstreamAuth;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamDialer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
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
 * (make before break, see {@link Handover}). If the renewed token is not acknowledged
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
    static final String WRONGPASS = "-WRONGPASS invalid username-password pair or user is disabled.";
    static final String HELLO_NOAUTH = "-NOAUTH HELLO must be called with the client already authenticated,"
            + " otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and"
            + " select the RESP protocol version at the same time";
    static final String IN_MULTI = "-ERR AUTH and HELLO are not supported inside MULTI by the gateway;"
            + " the transaction will be aborted (run them before MULTI)";

    private static final byte[] BARE_AUTH = "*1\r\n$4\r\nAUTH\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DISCARD_CMD = "*1\r\n$7\r\nDISCARD\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESET_CMD = "*1\r\n$5\r\nRESET\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Bytes of unsent replies above which the gateway stops reading a client that does not read. */
    static final long LOCAL_BACKLOG_CAP = 1024 * 1024;

    private static final byte[] PING_CMD = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);

    private final SessionSettings settings;
    private final Authenticator authenticator;
    private final UpstreamDialer connector;
    /** The gateway's own upstream identity: the session's until a role names another. */
    private final UpstreamCredentials gatewayCredentials;
    /**
     * The upstream connection's authentication, as the identity of the authenticated principal's roles (chosen by
     * {@link AccessControl#upstreamFor}): the only writer of AUTH frames upstream.
     */
    private final UpstreamAuth upstreamAuth;

    private final GatewayEvents events;
    private final SessionRegistry registry;
    private final AccessControl access;

    private final RequestFramer framer = new RequestFramer();
    private final CommandGate gate;
    private final Predicate<Command> streamGate = this::takePiecewise;
    /** The gate's decision on the head of the command being streamed; a refused one's bytes are dropped. */
    private CommandGate.Decision streamed;

    private long backlogHigh;
    private final ReplyLedger ledger = new ReplyLedger();
    private final PubSubReply pubSub = new PubSubReply();

    @SuppressWarnings("unchecked")
    private final Set<String>[] subscriptions = new Set[3];

    private ChannelHandlerContext ctx;
    private Channel client;
    private Channel upstream;
    /** The sink adapter of {@link #upstream}; events of any other (retired) upstream connection are ignored. */
    private Link upstreamLink;
    /** A make-before-break switch to a new upstream connection in progress (RESP2 subscribers), or null. */
    private Handover handover;

    private ByteBuf cumulation;

    private int protocol = 2;
    private boolean inMulti;
    private boolean paused;
    private boolean closing;
    private boolean draining;
    private boolean failed;
    private boolean clientGone;
    private boolean midReply;
    private boolean clientNeedsFlush;
    private boolean upstreamNeedsFlush;

    private ScheduledFuture<?> authDeadline;
    private ScheduledFuture<?> clientExpiryTimer;

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
        this.connector = connector;
        this.upstreamAuth =
                new UpstreamAuth(new AuthHost(), credentials, settings.clock(), settings.upstreamReauthMargin());
        this.gatewayCredentials = credentials;
        this.events = events;
        this.registry = registry;
        this.gate = new CommandGate(access, credentials, settings.clock(), events);
        for (int i = 0; i < 3; i++) {
            subscriptions[i] = new HashSet<>();
        }
    }

    // ---------------------------------------------------------------- client channel events

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.client = ctx.channel();
        gate.client(client.remoteAddress());
        registry.add(this);
        events.clientConnected();
        armAuthDeadline();
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
        cumulation =
                cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        processInput();
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
            processInput();
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

    private RequestLimits limits() {
        return gate.principal() != null ? settings.authenticatedLimits() : settings.preAuthLimits();
    }

    /**
     * Whether client input may be read. A client that is slow to read its replies is <em>not</em> a reason to stop
     * reading its commands (a pipelining client writes everything before it reads; Redis keeps reading too):
     * instead the upstream is not read while the client is not writable, so the backlog stays in the cache's
     * output buffer, as without the gateway. Only replies the gateway makes itself can pile up here; they are
     * capped by {@link #LOCAL_BACKLOG_CAP}.
     */
    private boolean canProcess() {
        return !paused
                && handover == null
                && !draining
                && !closing
                && !failed
                && (client.isWritable() || client.bytesBeforeWritable() < LOCAL_BACKLOG_CAP)
                && (upstream == null || upstream.isWritable());
    }

    private void processInput() {
        try {
            while (cumulation != null && canProcess()) {
                if (framer.streaming()) {
                    ByteBuf part;
                    try {
                        part = framer.nextPart(cumulation, limits());
                    } catch (RespProtocolException e) {
                        // part of the command is upstream already: the upstream connection cannot be reused
                        events.commandRefused("protocol_error");
                        fail("-" + e.getMessage());
                        break;
                    }
                    if (part == null) {
                        break;
                    }
                    if (streamed == CommandGate.FORWARD) {
                        writeUpstream(part);
                    } else {
                        part.release(); // the rest of a refused command: read and dropped, never forwarded
                    }
                    if (!framer.streaming()) {
                        streamed = null;
                        afterForward();
                    }
                    continue;
                }
                Command cmd;
                try {
                    cmd = framer.next(cumulation, limits(), streamGate);
                } catch (RespProtocolException e) {
                    events.commandRefused("protocol_error");
                    closing = true;
                    local("-" + e.getMessage(), true);
                    break;
                }
                if (cmd == null) {
                    break;
                }
                if (cmd.streaming()) {
                    if (streamed == CommandGate.FORWARD) {
                        writeUpstream(cmd.takeFrame()); // the rest follows as it arrives, never buffered whole
                        ledger.add(ReplyLedger.FORWARD);
                    } else {
                        cmd.release();
                        refused(streamed);
                    }
                    continue;
                }
                handle(cmd);
            }
        } finally {
            if (cumulation != null) {
                if (!cumulation.isReadable()) {
                    cumulation.release();
                    cumulation = null;
                } else if (!framer.inFrame() && cumulation.refCnt() == 1) {
                    cumulation.discardSomeReadBytes();
                }
            }
            noteBacklog();
            updateAutoRead();
            flush();
        }
    }

    /**
     * Whether the head of a command with a large bulk is taken piecewise instead of buffered whole: streamed
     * upstream when the gate lets it through, or read and dropped when the gate refuses it (its refusal answered in
     * its place). Buffered, to be judged whole, are commands the session interprets (their arguments must not leave
     * the gateway, or change its state), and heads the gate cannot decide yet.
     */
    private boolean takePiecewise(Command head) {
        if (upstream == null || handover != null || resp2Subscribed()) {
            return false;
        }
        // an undecided command is buffered whole, within the limit of one argument
        long bufferable = limits().maxBulkBytes() - (long) head.frame().readableBytes();
        CommandGate.Decision d = gate.decide(head, resp2Subscribed(), upstreamAuth.identity(), bufferable);
        if (d.kind() == CommandGate.Kind.SESSION
                || d.kind() == CommandGate.Kind.UNDECIDED
                || (d == CommandGate.FORWARD && interpreted(head))) {
            return false;
        }
        streamed = d;
        return true;
    }

    private static boolean interpreted(Command cmd) {
        return cmd.is("CLIENT")
                || cmd.is("MULTI")
                || cmd.is("EXEC")
                || cmd.is("DISCARD")
                || cmd.is("SUBSCRIBE")
                || cmd.is("PSUBSCRIBE")
                || cmd.is("SSUBSCRIBE")
                || cmd.is("UNSUBSCRIBE")
                || cmd.is("PUNSUBSCRIBE")
                || cmd.is("SUNSUBSCRIBE");
    }

    /** Client input held by this session: unparsed bytes plus bytes written upstream and not yet sent. */
    private void noteBacklog() {
        long held = cumulation == null ? 0 : cumulation.readableBytes();
        if (upstream != null) {
            ChannelOutboundBuffer out = upstream.unsafe().outboundBuffer();
            if (out != null) {
                held += out.totalPendingWriteBytes();
            }
        }
        if (held > backlogHigh) {
            backlogHigh = held;
            registry.noteInputBacklog(held);
        }
    }

    private void handle(Command cmd) {
        CommandGate.Decision d = gate.decide(cmd, resp2Subscribed(), upstreamAuth.identity(), Long.MAX_VALUE);
        if (d == CommandGate.FORWARD) {
            forward(cmd);
        } else if (d != CommandGate.SESSION) {
            cmd.release();
            refused(d);
        } else if (cmd.is("QUIT")) {
            cmd.release();
            closing = true;
            local("+OK", true);
        } else if (cmd.is("AUTH")) {
            handleAuth(cmd);
        } else if (cmd.is("HELLO")) {
            handleHello(cmd);
        } else {
            handleReset(cmd);
        }
    }

    /** Carries out a refusal of the gate, in the command's place in the reply stream. */
    private void refused(CommandGate.Decision d) {
        switch (d.kind()) {
            case FAIL -> fail(d.line());
            case ABORT_EXEC -> {
                if (inMulti && upstream != null) { // as Redis's execCommandAbort: the transaction is discarded
                    inMulti = false;
                    writeUpstream(Unpooled.wrappedBuffer(DISCARD_CMD));
                    ledger.add(new ReplyLedger.Replaced(d.line()));
                } else {
                    local(d.line(), false);
                }
            }
            default -> refuse(d.line());
        }
    }

    private boolean resp2Subscribed() {
        return protocol == 2 && subscribed();
    }

    /** Answers a command locally; inside MULTI also makes upstream abort the transaction (see class doc). */
    private void refuse(String errorLine) {
        if (inMulti && upstream != null) {
            writeUpstream(Unpooled.wrappedBuffer(BARE_AUTH));
            ledger.add(new ReplyLedger.Replaced(errorLine));
        } else {
            local(errorLine, false);
        }
    }

    private void forward(Command cmd) {
        ReplyLedger.Owed entry = ReplyLedger.FORWARD;
        if (cmd.is("MULTI")) {
            inMulti = true;
        } else if (cmd.is("EXEC") || cmd.is("DISCARD")) {
            inMulti = false;
        } else if (!inMulti) {
            entry = ReplyLedger.forwarded(cmd);
        }
        writeUpstream(cmd.takeFrame());
        ledger.add(entry);
        afterForward();
    }

    private void afterForward() {
        if (!inMulti && !resp2Subscribed()) {
            upstreamAuth.sendDeferred();
        }
    }

    // ---------------------------------------------------------------- AUTH / HELLO / RESET

    private void handleAuth(Command cmd) {
        int argc = cmd.argc();
        if (inMulti && upstream != null) {
            cmd.release();
            refuse(IN_MULTI);
            return;
        }
        if (argc < 2) {
            cmd.release();
            local("-ERR wrong number of arguments for 'auth' command", false);
            return;
        }
        if (argc > 3) {
            cmd.release();
            local("-ERR syntax error", false);
            return;
        }
        String user = argc == 3 ? cmd.argString(1) : null;
        String password = cmd.argString(argc - 1);
        cmd.release(); // the credential's bytes go nowhere but the authenticator
        authenticate(user, password, () -> local("+OK", false));
    }

    private void handleHello(Command cmd) {
        if (inMulti && upstream != null) {
            cmd.release();
            refuse(IN_MULTI);
            return;
        }
        int argc = cmd.argc();
        int version = 0;
        int next = 1;
        String user = null;
        String password = null;
        byte[] name = null;
        try {
            if (argc >= 2) {
                long v = parseLong(cmd.argString(1));
                next = 2;
                if (v == Long.MIN_VALUE) {
                    local("-ERR Protocol version is not an integer or out of range", false);
                    return;
                }
                if (v < 2 || v > 3) {
                    local("-NOPROTO unsupported protocol version", false);
                    return;
                }
                version = (int) v;
            }
            for (int j = next; j < argc; j++) {
                int more = argc - 1 - j;
                if (cmd.argIs(j, "AUTH") && more >= 2) {
                    user = cmd.argString(j + 1);
                    password = cmd.argString(j + 2);
                    j += 2;
                } else if (cmd.argIs(j, "SETNAME") && more >= 1) {
                    ByteBuf n = cmd.arg(j + 1);
                    for (int k = n.readerIndex(); k < n.writerIndex(); k++) {
                        byte b = n.getByte(k);
                        if (b < '!' || b > '~') {
                            local("-ERR Client names cannot contain spaces, newlines or special characters.", false);
                            return;
                        }
                    }
                    name = new byte[n.readableBytes()];
                    n.getBytes(n.readerIndex(), name);
                    j++;
                } else {
                    local("-ERR Syntax error in HELLO option '" + cmd.argString(j) + "'", false);
                    return;
                }
            }
        } finally {
            cmd.release();
        }
        final int v = version;
        final byte[] clientName = name;
        if (password != null) {
            authenticate(user, password, () -> forwardHello(v, clientName));
        } else if (!gate.authenticated()) {
            events.commandRefused(gate.principal() == null ? "noauth" : "expired");
            local(HELLO_NOAUTH, false);
        } else {
            forwardHello(v, clientName);
        }
    }

    private void forwardHello(int version, byte[] name) {
        int args = 1 + (version > 0 ? 1 : 0) + (name != null ? 2 : 0);
        ByteBuf frame = client.alloc().buffer(64 + (name == null ? 0 : name.length));
        header(frame, '*', args);
        bulk(frame, "HELLO".getBytes(StandardCharsets.US_ASCII));
        if (version > 0) {
            bulk(frame, Integer.toString(version).getBytes(StandardCharsets.US_ASCII));
        }
        if (name != null) {
            bulk(frame, "SETNAME".getBytes(StandardCharsets.US_ASCII));
            bulk(frame, name);
        }
        writeUpstream(frame);
        ledger.add(new ReplyLedger.Hello(version));
    }

    private void handleReset(Command cmd) {
        cmd.release();
        inMulti = false;
        upstreamAuth.dropDeferred();
        boolean wasAuthenticated = gate.principal() != null;
        gate.signOut();
        cancel(clientExpiryTimer);
        if (wasAuthenticated) {
            armAuthDeadline();
        }
        if (upstream == null) {
            protocol = 2;
            clearSubscriptions();
            local("+RESET", false);
            return;
        }
        writeUpstream(Unpooled.wrappedBuffer(RESET_CMD));
        ledger.add(ReplyLedger.RESET);
        upstreamAuth.afterReset(); // RESET de-authenticates the upstream connection too
    }

    private void authenticate(String user, String password, Runnable onAllowed) {
        paused = true;
        updateAutoRead();
        AuthRequest request = new AuthRequest(user, password, client.remoteAddress());
        authenticator.authenticate(request).whenComplete((decision, error) -> {
            AuthDecision d = decision != null
                    ? decision
                    : new AuthDecision.Denied(
                            "internal_error",
                            error == null ? "no decision" : error.getClass().getSimpleName());
            executeOnLoop(() -> authDecided(user, d, onAllowed));
        });
    }

    private void authDecided(String user, AuthDecision decision, Runnable onAllowed) {
        if (failed || !client.isActive()) {
            return;
        }
        if (decision instanceof AuthDecision.Allowed allowed && !usernameMatches(user, allowed.principal())) {
            decision = new AuthDecision.Denied(
                    "username_mismatch", "AUTH user name is neither 'default' nor the token's oid");
        }
        if (decision instanceof AuthDecision.Allowed allowed
                && access != null
                && !access.admit(allowed.principal(), client.remoteAddress())) {
            decision = new AuthDecision.Denied("no_role", "matches no role of the roles file");
        }
        UpstreamCredentials next = upstreamAuth.identity();
        if (decision instanceof AuthDecision.Allowed allowed && access != null) {
            next = access.upstreamFor(allowed.principal(), gatewayCredentials, client.remoteAddress());
            if (next == null) {
                decision = new AuthDecision.Denied("ambiguous_upstream", "no single upstream identity for the roles");
            }
        }
        if (decision instanceof AuthDecision.Allowed && upstream != null && next != upstreamAuth.identity()) {
            String refusal = upstreamAuth.switchTo(next);
            if (refusal != null) {
                // as Redis on a failed AUTH: the connection keeps its previous identity
                events.authDecided(new AuthDecision.Denied("upstream_switch", refusal));
                local(refusal, false);
                resume();
                return;
            }
        }
        events.authDecided(decision);
        if (log.isDebugEnabled()) {
            log.debug(
                    "client {}: AUTH {}",
                    client.remoteAddress(),
                    decision instanceof AuthDecision.Allowed a
                            ? "allowed oid=" + a.principal().objectId()
                            : "denied " + ((AuthDecision.Denied) decision).reason());
        }
        if (decision instanceof AuthDecision.Allowed allowed) {
            Principal p = allowed.principal();
            gate.signIn(p, validUntil(p.expiresAt()));
            ctx.fireUserEventTriggered(SessionEvent.AUTHENTICATED);
            cancel(authDeadline);
            armClientExpiry();
            if (upstream == null) {
                upstreamAuth.choose(next);
                connectUpstream(onAllowed);
                return;
            }
            onAllowed.run();
        } else {
            String reply = ((AuthDecision.Denied) decision).reply();
            local(reply != null ? reply : WRONGPASS, false);
        }
        if (!upstreamAuth.switching()) {
            resume();
        }
    }

    private long validUntil(Instant exp) {
        try {
            return exp.plus(settings.clientExpirySkew()).toEpochMilli();
        } catch (ArithmeticException | java.time.DateTimeException e) {
            return Long.MAX_VALUE;
        }
    }

    private static boolean usernameMatches(String user, Principal p) {
        return user == null
                || user.isEmpty()
                || user.equals("default")
                || (p.objectId() != null && user.equalsIgnoreCase(p.objectId()));
    }

    private void resume() {
        paused = false;
        processInput();
    }

    // ---------------------------------------------------------------- upstream connection

    private void connectUpstream(Runnable onReady) {
        AccessToken token = upstreamAuth.usableToken();
        if (token == null) {
            fail("-ERR upstream unavailable: the gateway has no valid upstream credential yet; retry later");
            return;
        }
        Link link = new Link();
        connector.connect(client.eventLoop(), link).addListener(f -> {
            if (!f.isSuccess()) {
                events.upstreamFailed("connect");
                log.warn(
                        "upstream {} unavailable for client {}: {}",
                        connector.endpoint(),
                        client.remoteAddress(),
                        f.cause().toString());
                fail("-ERR upstream unavailable: cannot connect to the cache (" + reason(f.cause()) + ")");
                return;
            }
            Channel ch = (Channel) f.getNow();
            if (failed || !client.isActive()) {
                ch.close();
                return;
            }
            upstream = ch;
            upstreamLink = link;
            upstream.config().setAutoRead(client.isWritable());
            events.upstreamConnected();
            upstreamAuth.connected(token);
            onReady.run();
            resume();
        });
    }

    private static String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName()
                + (m == null ? "" : ": " + m.replace('\r', ' ').replace('\n', ' '));
    }

    /** A renewed token of {@code from}; ignored unless it is this session's upstream identity. */
    void onUpstreamToken(UpstreamCredentials from, AccessToken token) {
        if (from != upstreamAuth.identity() || failed || upstream == null || !upstream.isActive()) {
            return;
        }
        log.debug("client {}: upstream token renewed ({}), inMulti={}", client.remoteAddress(), token, inMulti);
        upstreamAuth.renewed(from, token);
    }

    /** What the upstream authentication may do on this session's connection. */
    private final class AuthHost implements UpstreamAuth.Host {
        @Override
        public void writeAuth(ByteBuf frame, AccessToken token) {
            writeUpstream(frame);
            ledger.add(new ReplyLedger.Injected(token));
            flush();
        }

        @Override
        public UpstreamAuth.Moment moment() {
            if (inMulti || handover != null || framer.streaming()) {
                return UpstreamAuth.Moment.LATER;
            }
            // Redis refuses AUTH on a RESP2 subscribed connection (also right behind a SUBSCRIBE in flight): the
            // handover waits for owed replies, then moves the subscriptions, or just re-AUTHs if none are left
            if (protocol == 2 && (subscribed() || ledger.owesPubSub())) {
                return UpstreamAuth.Moment.HANDOVER;
            }
            return UpstreamAuth.Moment.NOW;
        }

        @Override
        public void startHandover(AccessToken token) {
            ClientSession.this.startHandover(token);
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

    // ---------------------------------------------------------------- RESP2 subscriber handover

    /**
     * Routes the events of one upstream connection: to the session while it is the current one, to the handover
     * while it is being prepared, nowhere once retired (a closed old connection must not fail the session).
     */
    private final class Link implements ReplySink {
        @Override
        public void onReply(ByteBuf frame, boolean push) {
            if (upstreamLink == this) {
                ClientSession.this.onReply(frame, push);
            } else if (handover != null && handover.link == this) {
                handover.onReply(frame);
            } else {
                frame.release();
            }
        }

        @Override
        public boolean onReplyPart(ByteBuf part) {
            return upstreamLink == this && ClientSession.this.onReplyPart(part);
        }

        @Override
        public boolean claimPassThrough() {
            return upstreamLink == this && ClientSession.this.claimPassThrough();
        }

        @Override
        public void onPassThrough(ByteBuf replies) {
            // only the current link claims, and the link cannot change between a claim and this call (both
            // happen within one read of this link's channel, on the session's event loop)
            ClientSession.this.onPassThrough(replies);
        }

        @Override
        public void onReadBatchComplete() {
            if (upstreamLink == this || (handover != null && handover.link == this)) {
                ClientSession.this.onReadBatchComplete();
            }
        }

        @Override
        public void onUpstreamLost(String reason, Throwable cause) {
            if (upstreamLink == this) {
                ClientSession.this.onUpstreamLost(reason, cause);
            } else if (handover != null && handover.link == this) {
                executeOnLoop(() -> {
                    if (handover != null && handover.link == this) {
                        handover.abort("the new upstream connection was lost (" + reason + ")");
                    }
                });
            }
        }

        @Override
        public void onUpstreamWritabilityChanged(boolean writable) {
            if (upstreamLink == this) {
                ClientSession.this.onUpstreamWritabilityChanged(writable);
            }
        }
    }

    private void startHandover(AccessToken token) {
        handover = new Handover(token);
        updateAutoRead(); // no client command may change the subscription set while it is copied
        if (ledger.isEmpty()) {
            handover.begin();
        }
    }

    private void abandonHandover() {
        if (handover != null) {
            Handover h = handover;
            handover = null;
            h.release();
        }
    }

    /**
     * Re-authenticates a RESP2 subscriber, which cannot send AUTH on its subscribed connection, by replacing the
     * connection (make before break):
     *
     * <ol>
     *   <li>client input is paused and owed replies are awaited, so the subscription set is stable;
     *   <li>a new upstream connection is opened, and {@code AUTH} with the renewed token plus the session's
     *       {@code SUBSCRIBE}/{@code PSUBSCRIBE}/{@code SSUBSCRIBE} set are written in one write; their replies are
     *       consumed here (the client never sees the duplicate confirmations);
     *   <li>once every confirmation arrived, a {@code PING} is written on the old connection: every message the
     *       old connection delivers before its reply was published before that PING ran, so none published before
     *       the new subscriptions were active is lost; messages the new connection received meanwhile are held;
     *   <li>at that PING's reply nothing more from the old connection reaches the client, and a {@code PING} is
     *       written on the new one: at its reply the new connection has delivered every message published before
     *       the old PING ran, so every message the old connection delivered after the new subscriptions were
     *       active is among the held ones;
     *   <li>the held messages are delivered minus the ones the old connection already delivered (see
     *       {@link #overlap}), the new connection becomes the session's and the old one is closed.
     * </ol>
     *
     * No message is lost or repeated, provided no byte-identical messages (same channel, same payload) are published
     * within the switch window (one or two round trips): those cannot be told apart, and one may be taken for a
     * copy of another and dropped.
     * The connection's client name, id and tracking state are not carried over. Any failure closes the session
     * with an {@code -ERR}: the old connection's token expires soon.
     */
    private final class Handover {
        private static final int MAX_OLD_HASHES = 65_536;
        private static final long MAX_HELD_BYTES = 8L * 1024 * 1024;

        final Link link = new Link();
        final AccessToken token;
        Channel channel;
        boolean begun;
        boolean authenticated;
        int confirmationsOwed;
        boolean pinged;
        boolean oldEnded;
        final ArrayDeque<Long> oldHashes = new ArrayDeque<>();
        final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
        final ArrayDeque<Long> heldHashes = new ArrayDeque<>();
        long heldBytes;
        boolean recording;

        Handover(AccessToken token) {
            this.token = token;
        }

        void begin() {
            if (begun) {
                return;
            }
            begun = true;
            if (!(protocol == 2 && subscribed())) { // the subscription ended while replies were awaited
                handover = null;
                upstreamAuth.send(token);
                processInput();
                return;
            }
            connector.connect(client.eventLoop(), link).addListener(f -> {
                if (handover != this) {
                    if (f.isSuccess()) {
                        ((Channel) f.getNow()).close();
                    }
                    return;
                }
                if (!f.isSuccess()) {
                    abort("cannot connect to the cache (" + reason(f.cause()) + ")");
                    return;
                }
                channel = (Channel) f.getNow();
                events.upstreamConnected();
                log.debug(
                        "client {}: moving RESP2 subscriptions to a new upstream connection for {}",
                        client.remoteAddress(),
                        token);
                channel.writeAndFlush(resubscription(), channel.voidPromise());
                recording = true;
            });
        }

        private ByteBuf resubscription() {
            ByteBuf b = client.alloc().buffer(256 + token.secret().length());
            upstreamAuth.writeAuthFrame(b, token);
            confirmationsOwed = 0;
            String[] names = {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"};
            for (int family = 0; family < 2; family++) {
                Set<String> set = subscriptions[family];
                if (!set.isEmpty()) {
                    header(b, '*', 1 + set.size());
                    bulk(b, names[family].getBytes(StandardCharsets.US_ASCII));
                    for (String ch : set) {
                        bulk(b, ch.getBytes(StandardCharsets.ISO_8859_1));
                    }
                    confirmationsOwed += set.size();
                }
            }
            for (String ch : subscriptions[2]) { // one per shard channel: a cluster refuses cross-slot SSUBSCRIBE
                header(b, '*', 2);
                bulk(b, names[2].getBytes(StandardCharsets.US_ASCII));
                bulk(b, ch.getBytes(StandardCharsets.ISO_8859_1));
                confirmationsOwed++;
            }
            return b;
        }

        /** A reply on the new connection. */
        void onReply(ByteBuf frame) {
            if (!authenticated) {
                boolean ok = UpstreamAuth.isOk(frame);
                frame.release();
                if (!ok) {
                    log.warn(
                            "upstream refused the gateway's credential {} for client {}",
                            token,
                            client.remoteAddress());
                    abort("the cache refused the gateway's renewed credential");
                    return;
                }
                authenticated = true;
                return;
            }
            int kind = pubSub.classify(frame);
            if (kind == PubSubReply.NONE && oldEnded && frame.getByte(frame.readerIndex()) == '*') {
                frame.release(); // the reply to the new connection's PING: it has delivered all the overlap
                complete();
                return;
            }
            if (kind == PubSubReply.MESSAGE) {
                heldHashes.add(hash(frame));
                heldBytes += frame.readableBytes();
                held.add(frame);
                if (heldBytes > MAX_HELD_BYTES) {
                    abort("more than " + MAX_HELD_BYTES + " bytes of messages arrived during the switch");
                }
                return;
            }
            if (kind == PubSubReply.SUBSCRIBED && confirmationsOwed > 0) {
                frame.release();
                if (--confirmationsOwed == 0) {
                    pinged = true;
                    writeUpstream(Unpooled.wrappedBuffer(PING_CMD));
                    ledger.add(ReplyLedger.HANDOVER_PING);
                    flush();
                }
                return;
            }
            String first =
                    frame.toString(frame.readerIndex(), Math.min(frame.readableBytes(), 200), StandardCharsets.UTF_8);
            frame.release();
            abort("unexpected reply while resubscribing: "
                    + first.lines().findFirst().orElse("").replaceAll("[^ -~]", "?"));
        }

        /** A message the old connection delivered to the client while the new one was being prepared. */
        void deliveredByOld(ByteBuf frame) {
            if (recording) {
                if (oldHashes.size() == MAX_OLD_HASHES) {
                    oldHashes.pollFirst();
                }
                oldHashes.add(hash(frame));
            }
        }

        /**
         * The reply to the old connection's PING: it has delivered every message published before that PING ran;
         * nothing more of it reaches the client. A PING on the new connection now marks the point by which the
         * new one has delivered all of those the old one may have delivered too.
         */
        void oldStreamEnded() {
            upstreamLink = null;
            oldEnded = true;
            channel.writeAndFlush(Unpooled.wrappedBuffer(PING_CMD), channel.voidPromise());
        }

        /** The reply to the new connection's PING: drop the duplicates, deliver the rest, switch. */
        void complete() {
            long[] old = oldHashes.stream().mapToLong(Long::longValue).toArray();
            long[] fresh = heldHashes.stream().mapToLong(Long::longValue).toArray();
            int overlap = overlap(old, fresh);
            for (int i = 0; i < overlap; i++) {
                held.pollFirst().release();
            }
            ByteBuf m;
            while ((m = held.pollFirst()) != null) {
                if (!outOfBand(m)) {
                    return; // the session failed; the handover was released with it
                }
            }
            Channel old2 = upstream;
            handover = null;
            upstream = channel;
            upstreamLink = link;
            upstream.config().setAutoRead(client.isWritable());
            old2.close();
            events.upstreamReauthenticated(true);
            log.debug(
                    "client {}: RESP2 subscriber moved to a connection authenticated with {} ({} messages delivered"
                            + " by the old connection meanwhile, {} held from the new one, {} duplicates suppressed)",
                    client.remoteAddress(),
                    token,
                    old.length,
                    fresh.length,
                    overlap);
            upstreamAuth.handedOver(token);
            if (handover == null) {
                processInput();
            }
            flush();
        }

        void abort(String why) {
            events.upstreamReauthenticated(false);
            fail("-ERR gateway: the upstream connection could not be re-authenticated for this RESP2 subscriber (" + why
                    + "); reconnect");
        }

        void release() {
            ByteBuf m;
            while ((m = held.pollFirst()) != null) {
                m.release();
            }
            if (channel != null) {
                channel.close();
            }
        }
    }

    /**
     * How many messages at the start of {@code fresh} the old connection already delivered: the longest prefix of
     * {@code fresh} found in {@code old} in the same order. Both connections see one publish order; every message
     * the new connection received that was published before the old connection's last PING ran is in {@code old}
     * (it was subscribed to all of them), and none published after that is. The new connection may lack some
     * messages the old one has (its subscriptions can become active one command after another), hence a
     * subsequence, not a run. Byte-identical messages cannot be told apart: one of them may be taken for another.
     */
    static int overlap(long[] old, long[] fresh) {
        if (fresh.length == 0) {
            return 0;
        }
        int j = 0;
        while (j < old.length && old[j] != fresh[0]) {
            j++;
        }
        int k = 0;
        for (; j < old.length && k < fresh.length; j++) {
            if (old[j] == fresh[k]) {
                k++;
            }
        }
        return k;
    }

    /** FNV-1a (64 bit) of a frame's bytes: tells messages apart for the handover's duplicate suppression. */
    private static long hash(ByteBuf b) {
        long h = 0xcbf29ce484222325L;
        for (int i = b.readerIndex(), end = b.writerIndex(); i < end; i++) {
            h ^= b.getByte(i) & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    // ---------------------------------------------------------------- upstream replies

    @Override
    public boolean onReplyPart(ByteBuf part) {
        if (failed || !ledger.headIsForward() || (protocol == 2 && subscribed())) {
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
        if (failed || midReply || !ledger.headIsForward() || (protocol == 2 && subscribed())) {
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
        ReplyLedger.Owed head = ledger.head();
        boolean pubSubInPlay = push || (protocol == 2 && (subscribed() || head instanceof ReplyLedger.PubSub));
        int kind = pubSubInPlay ? pubSub.classify(frame) : PubSubReply.NONE;
        if (kind == PubSubReply.MESSAGE && (push || subscribed())) {
            if (handover != null) {
                handover.deliveredByOld(frame);
            }
            outOfBand(frame);
            return;
        }
        if ((kind == PubSubReply.SUBSCRIBED || kind == PubSubReply.UNSUBSCRIBED)
                && head instanceof ReplyLedger.PubSub ps
                && ps.family == pubSub.family) {
            Set<String> set = subscriptions[pubSub.family];
            boolean last = ps.confirmed(set.size());
            if (pubSub.channel != null) {
                if (kind == PubSubReply.SUBSCRIBED) {
                    set.add(pubSub.channel);
                } else {
                    set.remove(pubSub.channel);
                }
            }
            toClient(frame);
            if (last) {
                ledger.next();
                afterSubscriptionChange();
                flushLocals();
            }
            return;
        }
        if (push) {
            outOfBand(frame); // invalidations and other out-of-band data
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
            if (frame.getByte(frame.readerIndex()) != '-' && hello.protocol() > 0) {
                protocol = hello.protocol();
            }
            toClient(frame);
        } else if (entry instanceof ReplyLedger.HandoverPing) {
            frame.release();
            if (handover != null) {
                handover.oldStreamEnded();
            }
        } else if (entry instanceof ReplyLedger.Reset) {
            protocol = 2;
            clearSubscriptions();
            toClient(frame);
        } else {
            toClient(frame); // Forward, or a pub/sub command answered by an error
        }
        flushLocals();
    }

    /**
     * Delivers out-of-band data (pub/sub messages, RESP3 pushes: nothing the client's commands are owed) only while
     * the client's identity is valid; past its expiry the session is closed instead. This holds whichever way the
     * session came to be subscribed (a SUBSCRIBE inside MULTI, one pipelined behind a blocking command, ...):
     * the expiry timer closes known subscribers promptly, this is what makes it true. Returns whether delivered.
     */
    private boolean outOfBand(ByteBuf frame) {
        if (gate.expired()) {
            frame.release();
            expiredSubscriber();
            return false;
        }
        toClient(frame);
        return true;
    }

    private void expiredSubscriber() {
        events.commandRefused("expired");
        fail("-ERR gateway: the client token expired while subscribed; AUTH with a fresh token before it expires,"
                + " or reconnect");
    }

    private void afterSubscriptionChange() {
        if (protocol == 2 && !subscribed() && !inMulti) {
            upstreamAuth.sendDeferred();
        }
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
            processInput();
        }
    }

    // ---------------------------------------------------------------- output

    private void local(String line, boolean closeAfter) {
        if (ledger.isEmpty()) {
            writeLine(line);
            if (closeAfter) {
                closeAfterFlush();
            }
        } else {
            ledger.add(new ReplyLedger.Local(line, closeAfter));
        }
    }

    private void flushLocals() {
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
        if (handover != null && ledger.isEmpty()) {
            handover.begin();
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

    private void toClient(ByteBuf buf) {
        if (!client.isActive()) {
            buf.release();
            return;
        }
        events.bytesToClient(buf.readableBytes());
        client.write(buf, client.voidPromise());
        clientNeedsFlush = true;
    }

    private void writeUpstream(ByteBuf frame) {
        upstream.write(frame, upstream.voidPromise());
        upstreamNeedsFlush = true;
    }

    private void flush() {
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

    private void updateAutoRead() {
        if (client != null) {
            client.config().setAutoRead(canProcess());
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /** Fails the session now: writes {@code errorLine} (out of order: owed replies will never come) and closes. */
    void fail(String errorLine) {
        if (failed) {
            return;
        }
        failed = true;
        releaseLedger();
        abandonHandover();
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
        cancel(authDeadline);
        upstreamAuth.close();
        cancel(clientExpiryTimer);
        releaseLedger();
        abandonHandover();
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private void releaseLedger() {
        ledger.clear(); // entries hold no buffers
    }

    private void armAuthDeadline() {
        cancel(authDeadline);
        authDeadline = client.eventLoop()
                .schedule(
                        () -> {
                            if (gate.principal() == null && client.isActive() && !failed) {
                                events.commandRefused("auth_deadline");
                                fail("-ERR gateway: authentication timeout; send AUTH within "
                                        + settings.authDeadline().toMillis() + " ms of connecting");
                            }
                        },
                        settings.authDeadline().toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    private void armClientExpiry() {
        cancel(clientExpiryTimer);
        final long until = gate.validUntilMillis();
        long delay = until - settings.clock().millis() + 1;
        clientExpiryTimer = client.eventLoop()
                .schedule(
                        () -> {
                            if (!failed && gate.validUntilMillis() == until && subscribed()) {
                                expiredSubscriber();
                            }
                        },
                        Math.max(0, Math.min(delay, TimeUnit.DAYS.toMillis(365))),
                        TimeUnit.MILLISECONDS);
    }

    private boolean subscribed() {
        return !subscriptions[0].isEmpty() || !subscriptions[1].isEmpty() || !subscriptions[2].isEmpty();
    }

    private void clearSubscriptions() {
        for (Set<String> s : subscriptions) {
            s.clear();
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    private static void header(ByteBuf b, char type, int n) {
        b.writeByte(type).writeCharSequence(Integer.toString(n), StandardCharsets.US_ASCII);
        b.writeShort(0x0d0a);
    }

    private static void bulk(ByteBuf b, byte[] value) {
        header(b, '$', value.length);
        b.writeBytes(value).writeShort(0x0d0a);
    }

    /** Redis's strict integer syntax; {@link Long#MIN_VALUE} when invalid. */
    private static long parseLong(String s) {
        if (s.isEmpty() || s.length() > 19 || s.startsWith("+") || (s.length() > 1 && s.startsWith("0"))) {
            return Long.MIN_VALUE;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }

    @Override
    public String toString() {
        Principal p = gate.principal();
        return "ClientSession[" + (client == null ? "?" : client.remoteAddress()) + ", principal="
                + (p == null ? "-" : p.objectId()) + ", resp" + protocol + "]";
    }
}
