package io.github.redisentra.gateway.session;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.GatewayEvents;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.AuthRequest;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.resp.RespProtocolException;
import io.github.redisentra.gateway.upstream.ReplySink;
import io.github.redisentra.gateway.upstream.UpstreamConnector;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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
 * Every command appends exactly one entry to the ledger: forwarded (owed the next upstream reply), local (bytes the
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
 * A renewed gateway token is written as {@code AUTH <user> <token>} (injected) unless the session is in MULTI or
 * subscribed on RESP2 (where Redis refuses AUTH); then it is sent when that ends. If the renewed token is not
 * acknowledged {@link SessionSettings#upstreamReauthMargin()} before the old one expires (a long blocking command,
 * a never-ending RESP2 subscription), the session is closed with an {@code -ERR}: use RESP3 for long-lived
 * subscribers.
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
    private static final int UNKNOWN = -1;

    /** Bytes of unsent replies above which the gateway stops reading a client that does not read. */
    static final long LOCAL_BACKLOG_CAP = 1024 * 1024;

    /** Ledger entry: owed the next upstream reply, passed through. */
    private static final Object FORWARD = new Object();

    private record Local(String line, boolean closeAfter) {}

    private record Replaced(String line) {}

    private record Injected(AccessToken token) {}

    private record Hello(int protocol) {}

    private static final Object RESET_ENTRY = new Object();

    private static final class PubSub {
        final int family;
        int remaining;

        PubSub(int family, int remaining) {
            this.family = family;
            this.remaining = remaining;
        }
    }

    private final SessionSettings settings;
    private final Authenticator authenticator;
    private final UpstreamConnector connector;
    private final UpstreamCredentials credentials;
    private final GatewayEvents events;
    private final SessionRegistry registry;

    private final RequestFramer framer = new RequestFramer();
    private final ArrayDeque<Object> ledger = new ArrayDeque<>();
    private final PubSubReply pubSub = new PubSubReply();

    @SuppressWarnings("unchecked")
    private final Set<String>[] subscriptions = new Set[3];

    private ChannelHandlerContext ctx;
    private Channel client;
    private Channel upstream;
    private ByteBuf cumulation;

    private Principal principal;
    private long principalValidUntilMillis;
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

    private AccessToken pendingReauth;
    private Instant upstreamAuthValidUntil;
    private ScheduledFuture<?> authDeadline;
    private ScheduledFuture<?> upstreamExpiryGuard;
    private ScheduledFuture<?> clientExpiryTimer;

    public ClientSession(
            SessionSettings settings,
            Authenticator authenticator,
            UpstreamConnector connector,
            UpstreamCredentials credentials,
            GatewayEvents events,
            SessionRegistry registry) {
        this.settings = settings;
        this.authenticator = authenticator;
        this.connector = connector;
        this.credentials = credentials;
        this.events = events;
        this.registry = registry;
        for (int i = 0; i < 3; i++) {
            subscriptions[i] = new HashSet<>();
        }
    }

    // ---------------------------------------------------------------- client channel events

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.client = ctx.channel();
        registry.add(this);
        events.clientConnected();
        armAuthDeadline();
        ctx.fireChannelActive();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.client = ctx.channel();
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
        return principal != null ? settings.authenticatedLimits() : settings.preAuthLimits();
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
                && !draining
                && !closing
                && !failed
                && (client.isWritable() || client.bytesBeforeWritable() < LOCAL_BACKLOG_CAP)
                && (upstream == null || upstream.isWritable());
    }

    private void processInput() {
        try {
            while (cumulation != null && canProcess()) {
                Command cmd;
                try {
                    cmd = framer.next(cumulation, limits());
                } catch (RespProtocolException e) {
                    events.commandRefused("protocol_error");
                    closing = true;
                    local("-" + e.getMessage(), true);
                    break;
                }
                if (cmd == null) {
                    break;
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
            updateAutoRead();
            flush();
        }
    }

    private void handle(Command cmd) {
        if (cmd.is("QUIT")) {
            cmd.release();
            closing = true;
            local("+OK", true);
            return;
        }
        if (protocol == 2 && subscribed() && !allowedWhileSubscribedResp2(cmd)) {
            String name = cmd.nameLowerCase();
            cmd.release();
            local(
                    "-ERR Can't execute '" + name
                            + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                    false);
            return;
        }
        if (cmd.is("AUTH")) {
            handleAuth(cmd);
        } else if (cmd.is("HELLO")) {
            handleHello(cmd);
        } else if (cmd.is("RESET")) {
            handleReset(cmd);
        } else if (!authenticated()) {
            events.commandRefused(principal == null ? "noauth" : "expired");
            if (inMulti && upstream != null && (cmd.is("EXEC") || cmd.is("DISCARD"))) {
                // Redis discards a transaction whose EXEC is rejected; do the same upstream.
                inMulti = false;
                writeUpstream(Unpooled.wrappedBuffer(DISCARD_CMD));
                ledger.add(new Replaced(
                        cmd.is("EXEC")
                                ? "-EXECABORT Transaction discarded because of: NOAUTH Authentication required."
                                : NOAUTH));
            } else {
                refuse(NOAUTH);
            }
            cmd.release();
        } else {
            forward(cmd);
        }
    }

    private static boolean allowedWhileSubscribedResp2(Command cmd) {
        return cmd.is("SUBSCRIBE")
                || cmd.is("PSUBSCRIBE")
                || cmd.is("SSUBSCRIBE")
                || cmd.is("UNSUBSCRIBE")
                || cmd.is("PUNSUBSCRIBE")
                || cmd.is("SUNSUBSCRIBE")
                || cmd.is("PING")
                || cmd.is("RESET");
    }

    private boolean authenticated() {
        return principal != null && settings.clock().millis() <= principalValidUntilMillis;
    }

    /** Answers a command locally; inside MULTI also makes upstream abort the transaction (see class doc). */
    private void refuse(String errorLine) {
        if (inMulti && upstream != null) {
            writeUpstream(Unpooled.wrappedBuffer(BARE_AUTH));
            ledger.add(new Replaced(errorLine));
        } else {
            local(errorLine, false);
        }
    }

    private void forward(Command cmd) {
        Object entry = FORWARD;
        if (cmd.is("MULTI")) {
            inMulti = true;
        } else if (cmd.is("EXEC") || cmd.is("DISCARD")) {
            inMulti = false;
        } else if (cmd.is("MONITOR")) {
            cmd.release();
            refuse("-ERR MONITOR is not supported through the gateway");
            return;
        } else if (cmd.is("CLIENT") && cmd.argc() > 1 && cmd.argIs(1, "REPLY")) {
            cmd.release();
            refuse("-ERR CLIENT REPLY is not supported through the gateway");
            return;
        } else if (!inMulti) {
            entry = pubSubEntry(cmd);
        }
        writeUpstream(cmd.takeFrame());
        ledger.add(entry);
        if (!inMulti && pendingReauth != null && !(protocol == 2 && subscribed())) {
            AccessToken t = pendingReauth;
            pendingReauth = null;
            injectAuth(t);
        }
    }

    private static Object pubSubEntry(Command cmd) {
        int family;
        boolean subscribe;
        if (cmd.is("SUBSCRIBE")) {
            family = 0;
            subscribe = true;
        } else if (cmd.is("PSUBSCRIBE")) {
            family = 1;
            subscribe = true;
        } else if (cmd.is("SSUBSCRIBE")) {
            family = 2;
            subscribe = true;
        } else if (cmd.is("UNSUBSCRIBE")) {
            family = 0;
            subscribe = false;
        } else if (cmd.is("PUNSUBSCRIBE")) {
            family = 1;
            subscribe = false;
        } else if (cmd.is("SUNSUBSCRIBE")) {
            family = 2;
            subscribe = false;
        } else {
            return FORWARD;
        }
        int n = cmd.argc() - 1;
        if (subscribe && n == 0) {
            return FORWARD; // arity error from upstream: one plain reply
        }
        return new PubSub(family, n == 0 ? UNKNOWN : n);
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
        } else if (!authenticated()) {
            events.commandRefused(principal == null ? "noauth" : "expired");
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
        ledger.add(new Hello(version));
    }

    private void handleReset(Command cmd) {
        cmd.release();
        inMulti = false;
        pendingReauth = null;
        boolean wasAuthenticated = principal != null;
        principal = null;
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
        ledger.add(RESET_ENTRY);
        // RESET de-authenticates the upstream connection too: make it the gateway's again at once.
        credentials
                .current()
                .ifPresentOrElse(
                        this::injectAuth,
                        () -> fail("-ERR upstream unavailable:"
                                + " the gateway has no valid upstream credential; reconnect later"));
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
            principal = p;
            principalValidUntilMillis = validUntil(p.expiresAt());
            cancel(authDeadline);
            armClientExpiry();
            if (upstream == null) {
                connectUpstream(onAllowed);
                return;
            }
            onAllowed.run();
        } else {
            local(WRONGPASS, false);
        }
        resume();
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
        AccessToken token = credentials.current().orElse(null);
        if (token == null || token.isExpiredAt(settings.clock().instant())) {
            events.upstreamFailed("no_credential");
            fail("-ERR upstream unavailable: the gateway has no valid upstream credential yet; retry later");
            return;
        }
        connector.connect(client.eventLoop(), this).addListener(f -> {
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
            upstream.config().setAutoRead(client.isWritable());
            events.upstreamConnected();
            injectAuth(token);
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

    /** Writes {@code AUTH <user> <token>} upstream; its reply is checked and swallowed. */
    private void injectAuth(AccessToken token) {
        byte[] user = credentials.username(token).getBytes(StandardCharsets.UTF_8);
        byte[] secret = token.secret().getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = client.alloc().buffer(48 + user.length + secret.length);
        header(frame, '*', 3);
        bulk(frame, "AUTH".getBytes(StandardCharsets.US_ASCII));
        bulk(frame, user);
        bulk(frame, secret);
        writeUpstream(frame);
        ledger.add(new Injected(token));
        flush();
    }

    /** A renewed gateway token (on this session's loop). */
    void onUpstreamToken(AccessToken token) {
        if (failed || upstream == null || !upstream.isActive()) {
            return;
        }
        log.debug("client {}: upstream token renewed ({}), inMulti={}", client.remoteAddress(), token, inMulti);
        if (inMulti || (protocol == 2 && subscribed())) {
            pendingReauth = token; // sent after EXEC/DISCARD or when the RESP2 subscription ends
            return;
        }
        injectAuth(token);
    }

    private void armUpstreamGuard(AccessToken acknowledged) {
        upstreamAuthValidUntil = acknowledged.expiresAt();
        cancel(upstreamExpiryGuard);
        if (acknowledged.expiresAt().equals(Instant.MAX)) {
            return;
        }
        long delay = acknowledged.expiresAt().toEpochMilli()
                - settings.upstreamReauthMargin().toMillis()
                - settings.clock().millis();
        upstreamExpiryGuard = client.eventLoop()
                .schedule(
                        () -> {
                            if (!failed && upstreamAuthValidUntil.equals(acknowledged.expiresAt())) {
                                events.upstreamReauthenticated(false);
                                fail("-ERR gateway: the upstream connection could not be re-authenticated before"
                                        + " its token expired (long blocking command, MULTI or RESP2 subscription);"
                                        + " reconnect");
                            }
                        },
                        Math.max(0, delay),
                        TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- upstream replies

    @Override
    public boolean onReplyPart(ByteBuf part) {
        if (failed || ledger.peekFirst() != FORWARD || (protocol == 2 && subscribed())) {
            return false;
        }
        midReply = true;
        toClient(part);
        return true;
    }

    @Override
    public void onReply(ByteBuf frame, boolean push) {
        if (failed) {
            frame.release();
            return;
        }
        if (midReply) {
            midReply = false;
            ledger.pollFirst();
            toClient(frame);
            flushLocals();
            return;
        }
        Object head = ledger.peekFirst();
        boolean pubSubInPlay = push || (protocol == 2 && (subscribed() || head instanceof PubSub));
        int kind = pubSubInPlay ? pubSub.classify(frame) : PubSubReply.NONE;
        if (kind == PubSubReply.MESSAGE && (push || subscribed())) {
            toClient(frame);
            return;
        }
        if ((kind == PubSubReply.SUBSCRIBED || kind == PubSubReply.UNSUBSCRIBED)
                && head instanceof PubSub ps
                && ps.family == pubSub.family) {
            Set<String> set = subscriptions[pubSub.family];
            if (ps.remaining == UNKNOWN) {
                ps.remaining = Math.max(1, set.size());
            }
            if (pubSub.channel != null) {
                if (kind == PubSubReply.SUBSCRIBED) {
                    set.add(pubSub.channel);
                } else {
                    set.remove(pubSub.channel);
                }
            }
            toClient(frame);
            if (--ps.remaining == 0) {
                ledger.pollFirst();
                afterSubscriptionChange();
                flushLocals();
            }
            return;
        }
        if (push) {
            toClient(frame); // invalidations and other out-of-band data
            return;
        }
        Object entry = ledger.pollFirst();
        if (entry == null || entry instanceof Local) {
            frame.release();
            log.warn("client {}: upstream sent a reply no command is waiting for", client.remoteAddress());
            fail("-ERR gateway: upstream reply stream out of sync; reconnect");
            return;
        }
        if (entry instanceof Injected injected) {
            // exactly +OK: a +QUEUED would mean the AUTH landed inside a transaction
            boolean ok = frame.readableBytes() == 5 && frame.getInt(frame.readerIndex()) == 0x2b4f4b0d;
            frame.release();
            if (!ok) {
                events.upstreamReauthenticated(false);
                log.warn(
                        "upstream refused the gateway's credential {} for client {}",
                        injected.token(),
                        client.remoteAddress());
                fail("-ERR upstream unavailable: the cache refused the gateway's credential; reconnect later");
                return;
            }
            if (upstreamAuthValidUntil != null) {
                events.upstreamReauthenticated(true);
            }
            log.debug("client {}: upstream accepted {}", client.remoteAddress(), injected.token());
            armUpstreamGuard(injected.token());
        } else if (entry instanceof Replaced replaced) {
            frame.release();
            writeLine(replaced.line());
        } else if (entry instanceof Hello hello) {
            if (frame.getByte(frame.readerIndex()) != '-' && hello.protocol() > 0) {
                protocol = hello.protocol();
            }
            toClient(frame);
        } else if (entry == RESET_ENTRY) {
            protocol = 2;
            clearSubscriptions();
            toClient(frame);
        } else {
            toClient(frame); // FORWARD, or a pub/sub command answered by an error
        }
        flushLocals();
    }

    private void afterSubscriptionChange() {
        if (protocol == 2 && !subscribed() && pendingReauth != null && !inMulti) {
            AccessToken t = pendingReauth;
            pendingReauth = null;
            injectAuth(t);
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
            ledger.add(new Local(line, closeAfter));
        }
    }

    private void flushLocals() {
        while (ledger.peekFirst() instanceof Local l) {
            ledger.pollFirst();
            writeLine(l.line());
            if (l.closeAfter()) {
                closeAfterFlush();
                return;
            }
        }
        if (draining && ledger.isEmpty()) {
            closeAfterFlush();
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
        cancel(upstreamExpiryGuard);
        cancel(clientExpiryTimer);
        releaseLedger();
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private void releaseLedger() {
        Object e;
        while ((e = ledger.pollFirst()) != null) {
            ReferenceCountUtil.release(e);
        }
    }

    private void armAuthDeadline() {
        cancel(authDeadline);
        authDeadline = client.eventLoop()
                .schedule(
                        () -> {
                            if (principal == null && client.isActive() && !failed) {
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
        final long until = principalValidUntilMillis;
        long delay = until - settings.clock().millis() + 1;
        clientExpiryTimer = client.eventLoop()
                .schedule(
                        () -> {
                            if (!failed && principalValidUntilMillis == until && subscribed()) {
                                events.commandRefused("expired");
                                fail("-ERR gateway: the client token expired while subscribed; AUTH with a fresh"
                                        + " token before it expires, or reconnect");
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
        return "ClientSession[" + (client == null ? "?" : client.remoteAddress()) + ", principal="
                + (principal == null ? "-" : principal.objectId()) + ", resp" + protocol + "]";
    }
}
