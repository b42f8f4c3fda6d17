package io.github.redisentra.gateway.session;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.upstream.UpstreamAuth;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamDialer;
import io.github.redisentra.gateway.upstream.UpstreamLink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection (the Netty handler of the client channel): the place where its parts meet, each owning one
 * concern. See {@code gateway/ARCHITECTURE.md} for the path of a byte and where each guarantee is enforced.
 *
 * <ul>
 *   <li>{@link ClientInput}: the input loop and backpressure (framing, streamed large commands, autoRead);
 *   <li>{@link CommandGate}: the one decision on every command before any byte of it goes upstream; a
 *       {@code FORWARD} reaches {@link #forwardUpstream}, the only writer of client command bytes upstream;
 *   <li>{@link ProtocolState}: {@code AUTH} / {@code HELLO} / {@code RESET}, the RESP version, the timers;
 *   <li>{@link PubSubState}: subscriptions, confirmation counting, out-of-band delivery checked against expiry;
 *   <li>{@link ReplyLedger}: what each upstream reply belongs to; replies and local answers leave in command order;
 *       {@link UpstreamReplies} carries out what its head entry says for each reply;
 *   <li>{@link ForwardRun}: consecutive forwarded commands of one read, written upstream as one slice;
 *   <li>{@link UpstreamAuth} (the only writer of {@code AUTH} frames, re-AUTH, the expiry guard) and
 *       {@link UpstreamLink} (the RESP2 subscriber handover), reached through {@link SessionUpstream}.
 * </ul>
 *
 * <h2>Transactions</h2>
 * {@code AUTH}/{@code HELLO} inside {@code MULTI}, and commands refused inside it, are answered with an error while
 * the gateway sends upstream a bare {@code AUTH} (an arity error, which makes Redis flag the transaction; see
 * {@link #refuse}); the client's {@code EXEC} then gets Redis's own {@code -EXECABORT}, so both sides agree nothing
 * ran. Upstream re-AUTH is deferred until {@code EXEC}/{@code DISCARD}.
 *
 * <h2>Cluster mode</h2>
 * With {@link SessionSettings#cluster()} set the session is bridged to one node of an OSS-cluster cache (issue #18):
 * the gate refuses cluster administration; replies naming upstream addresses owe a {@link ReplyLedger.Rewritten}
 * entry ({@link ClusterEntries}) and are rewritten, or held behind a redirect to an unknown node, by
 * {@link ClusterHold}.
 *
 * <h2>Not supported</h2>
 * {@code MONITOR} and {@code CLIENT REPLY} are refused (they break the one-reply-per-command accounting).
 * {@code RESET} is forwarded and followed by an injected AUTH; a cache that refuses RESET answers with its error
 * while the session is still reset locally.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    static final String NOAUTH = "-NOAUTH Authentication required.";

    private static final byte[] BARE_AUTH = "*1\r\n$4\r\nAUTH\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DISCARD_CMD = "*1\r\n$7\r\nDISCARD\r\n".getBytes(StandardCharsets.US_ASCII);

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
    /** Cluster mode (bridged to a node of an OSS-cluster cache): the entries of topology commands, else {@code null}. */
    private final ClusterEntries clusterEntries;
    /** Cluster mode: rewrites replies naming upstream addresses, holds them behind a redirect to an unknown node. */
    final ClusterHold clusterHold;
    /** Where upstream replies go: the head ledger entry decides. */
    final UpstreamReplies replies;

    final ClientInput input;
    /** Opens the upstream connection; what UpstreamAuth and the handover may do on this session. */
    final SessionUpstream upstreamSide;

    final AccessControl access;

    final CommandGate gate;
    final ReplyLedger ledger = new ReplyLedger();
    final PubSubState pubSub = new PubSubState(this);
    final ProtocolState protocol = new ProtocolState(this);
    /** The command audit's records and the upstream connection's name. */
    final SessionAudit audit;

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
    boolean clientGone;
    private boolean clientNeedsFlush;
    private boolean upstreamNeedsFlush;
    /** The run of forwarded commands not written yet (filled only by {@link #forwardUpstream}). */
    private final ForwardRun forwardRun = new ForwardRun();

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
        this.upstreamSide = new SessionUpstream(this);
        this.clusterHold = new ClusterHold(this, settings.cluster());
        this.replies = new UpstreamReplies(this, settings.cluster() != null);
        this.upstreamAuth =
                new UpstreamAuth(upstreamSide, credentials, settings.clock(), settings.upstreamReauthMargin());
        this.link = new UpstreamLink(replies, connector, upstreamSide, upstreamAuth);
        this.gatewayCredentials = credentials;
        this.events = events;
        this.registry = registry;
        this.input = new ClientInput(this, registry);
        this.clusterEntries = settings.cluster() == null ? null : new ClusterEntries();
        this.gate = new CommandGate(access, credentials, settings.clock(), events, clusterEntries != null);
        this.audit = new SessionAudit(this, settings);
    }

    // ---------------------------------------------------------------- client channel events

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.client = ctx.channel();
        gate.client(client.remoteAddress());
        registry.add(this);
        events.clientConnected();
        Principal preAuthenticated = settings.preAuthenticated();
        if (preAuthenticated == null) {
            protocol.armAuthDeadline();
        }
        ctx.fireChannelActive();
        if (preAuthenticated != null) {
            protocol.startSignedIn(preAuthenticated);
        }
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
            upstream.config().setAutoRead(writable && !clusterHold.holding());
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
            refused(cmd, d);
        } else if (cmd.is("QUIT")) {
            cmd.release();
            closing = true;
            local("+OK", true);
        } else {
            protocol.handle(cmd);
        }
    }

    /** A command the gate refused (a buffered one or a streamed one's head): audited, released, refused. */
    void refused(Command cmd, CommandGate.Decision d) {
        audit.refused(cmd, d);
        cmd.release();
        refused(d);
    }

    /** Carries out a refusal of the gate, in the command's place in the reply stream. */
    private void refused(CommandGate.Decision d) {
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
            if (!inMulti && clusterEntries != null) {
                clusterEntries.multi();
            }
            inMulti = true;
        } else if (cmd.is("EXEC") || cmd.is("DISCARD")) {
            inMulti = false;
        } else if (!inMulti) {
            entry = ReplyLedger.forwarded(cmd);
        } else {
            queued(cmd);
        }
        entry = audit.forwarded(cmd, entry);
        if (clusterEntries != null && !inMulti) {
            entry = clusterEntries.entry(cmd, entry);
        }
        if (audit.clientName(cmd, entry)) { // CLIENT SETNAME / GETNAME of a named upstream connection
            afterForward();
            return;
        }
        forwardUpstream(d, cmd);
        ledger.add(entry);
        afterForward();
    }

    /** Cluster mode: a command queued inside MULTI (its result in EXEC's array is rewritten by its kind). */
    void queued(Command cmd) {
        if (clusterEntries != null && inMulti) {
            clusterEntries.queued(cmd);
        }
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

    /** A renewed token of {@code from}; ignored unless it is this session's upstream identity. */
    void onUpstreamToken(UpstreamCredentials from, AccessToken token) {
        if (from != upstreamAuth.identity() || failed || upstream == null || !upstream.isActive()) {
            return;
        }
        log.debug("client {}: upstream token renewed ({}), inMulti={}", client.remoteAddress(), token, inMulti);
        upstreamAuth.renewed(from, token);
    }

    // ---------------------------------------------------------------- output

    void local(String line, boolean closeAfter) {
        if (ledger.isEmpty() && !clusterHold.holding()) {
            writeLine(line);
            if (closeAfter) {
                closeAfterFlush();
            }
        } else {
            ledger.add(new ReplyLedger.Local(line, closeAfter));
        }
    }

    void flushLocals() {
        if (clusterHold.holding()) {
            return; // behind a held reply: written once it is delivered
        }
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

    void writeLine(String line) {
        toClient(Unpooled.wrappedBuffer(ReplyLine.bytes(line)));
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
     * A buffered command with the gate's {@code FORWARD}: one still a view of the client's input (see {@link
     * Command#viewOf()}) joins the run of forwarded commands directly before it in that input, written upstream as one
     * slice by {@link #writeForwarded} (issue #19: no slice, no write per command); any other is written as its frame.
     * {@code cmd} is released (or its frame taken) either way.
     */
    void forwardUpstream(CommandGate.Decision verdict, Command cmd) {
        if (verdict != CommandGate.FORWARD) {
            cmd.release();
            throw new IllegalStateException("not forwarded by the gate: " + verdict.kind());
        }
        if (cmd.viewOf() == null) {
            writeUpstream(cmd.takeFrame());
            return;
        }
        if (!forwardRun.continuedBy(cmd)) {
            writeForwarded();
        }
        if (forwardRun.join(cmd)) {
            writeForwarded(); // the upstream's writability (backpressure) sees them
        }
    }

    /**
     * Writes the pending run of forwarded commands (gate-decided {@code FORWARD}s only, see {@link
     * #forwardUpstream(CommandGate.Decision, Command)}) as one retained slice of the client's input. Called before any
     * other upstream write (order), before the input buffer changes ({@link ClientInput}) and at flush.
     */
    void writeForwarded() {
        writeForwarded(null);
    }

    /**
     * Like {@link #writeForwarded()}; when the run is all that is left of {@code input} (the client's input buffer,
     * read to its end), the buffer itself is written instead of a slice of it: returns {@code true}, the caller's
     * reference was taken.
     */
    boolean writeForwarded(ByteBuf input) {
        ByteBuf bytes = forwardRun.take(input);
        if (bytes == null) {
            return false;
        }
        upstream.write(bytes, upstream.voidPromise());
        upstreamNeedsFlush = true;
        return bytes == input;
    }

    /**
     * Writes a command the gateway made itself (never a client's bytes): the re-encoded {@code HELLO}, {@code RESET},
     * the MULTI abort's bare {@code AUTH} and {@code DISCARD}, the handover's {@code PING}; owed {@code entry}.
     */
    void writeGatewayCommand(ByteBuf frame, ReplyLedger.Owed entry) {
        writeUpstream(frame);
        ledger.add(entry);
    }

    /** Writes to the upstream connection: only for the three callers above and SessionUpstream.writeAuth. */
    void writeUpstream(ByteBuf frame) {
        writeForwarded(); // the commands forwarded before this one go first
        upstream.write(frame, upstream.voidPromise());
        upstreamNeedsFlush = true;
    }

    void flush() {
        if (upstream != null) {
            writeForwarded();
        }
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
        forwardRun.drop(); // never written: the upstream connection is closed
        ledger.clear(); // entries hold no buffers
        clusterHold.release();
        link.abandon();
        if (client.isActive()) {
            clientNeedsFlush = false;
            client.writeAndFlush(Unpooled.wrappedBuffer(ReplyLine.bytes(errorLine)))
                    .addListener(ChannelFutureListener.CLOSE);
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
        if (ledger.isEmpty() && !clusterHold.holding()) {
            closeAfterFlush();
        }
    }

    private void cleanup() {
        clientGone = true;
        forwardRun.drop(); // a view of the input released below
        registry.remove(this);
        protocol.close();
        upstreamAuth.close();
        ledger.clear(); // entries hold no buffers
        clusterHold.release();
        link.abandon();
        input.release();
        if (upstream != null) {
            upstream.close();
        }
    }

    @Override
    public String toString() {
        Principal p = gate.principal();
        return "ClientSession[" + (client == null ? "?" : client.remoteAddress()) + ", principal="
                + (p == null ? "-" : p.objectId()) + ", resp" + protocol.version + "]";
    }
}
