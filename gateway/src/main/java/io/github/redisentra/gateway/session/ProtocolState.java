package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.AuthRequest;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's protocol state and the commands that change it, run by the gateway itself: {@code AUTH},
 * {@code HELLO} and {@code RESET}. States: UNAUTHENTICATED → AUTHENTICATED(principal, exp) → EXPIRED (exp + skew
 * passed); an expired session stays open (its upstream connection stays authenticated as the gateway) so a client
 * that renews its token just sends {@code AUTH} again, but one still subscribed is closed with an {@code -ERR}
 * (messages cannot be refused command by command). The upstream connection is opened at the first successful AUTH
 * (failed AUTHs open nothing); {@code HELLO} goes upstream so the client receives the real server's reply and the
 * upstream protocol always equals the client's. Holds the RESP version, the authentication deadline of a new connection and the
 * timer that closes a subscriber whose client token expired; the principal and its expiry are the
 * {@link CommandGate}'s. The credential in an {@code AUTH} or {@code HELLO … AUTH} goes to the authenticator only
 * (the frame is released once read); {@code HELLO} is re-encoded without it. Apart from framing (the session's
 * input loop) and from the reply accounting ({@link ReplyLedger}). Event-loop confined.
 */
final class ProtocolState {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    static final String WRONGPASS = "-WRONGPASS invalid username-password pair or user is disabled.";
    static final String HELLO_NOAUTH = "-NOAUTH HELLO must be called with the client already authenticated,"
            + " otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and"
            + " select the RESP protocol version at the same time";
    static final String IN_MULTI = "-ERR AUTH and HELLO are not supported inside MULTI by the gateway;"
            + " the transaction will be aborted (run them before MULTI)";
    private static final byte[] RESET_CMD = "*1\r\n$5\r\nRESET\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ClientSession s;

    /** The RESP version of the client and of its upstream connection (they are always equal). */
    int version = 2;

    private ScheduledFuture<?> authDeadline;
    private ScheduledFuture<?> clientExpiryTimer;

    ProtocolState(ClientSession session) {
        this.s = session;
    }

    /** A session command ({@link CommandGate.Kind#SESSION}) other than QUIT. */
    void handle(Command cmd) {
        if (cmd.is("AUTH")) {
            auth(cmd);
        } else if (cmd.is("HELLO")) {
            hello(cmd);
        } else {
            reset(cmd);
        }
    }

    /** A reply to a forwarded HELLO: a successful one sets the version. */
    void helloAnswered(ByteBuf frame, int requested) {
        if (frame.getByte(frame.readerIndex()) != '-' && requested > 0) {
            version = requested;
        }
    }

    /** The upstream connection was reset: RESP2, no subscriptions. */
    void resetAnswered() {
        version = 2;
        s.pubSub.clear();
    }

    private void auth(Command cmd) {
        int argc = cmd.argc();
        if (s.inMulti && s.upstream != null) {
            cmd.release();
            s.refuse(IN_MULTI);
            return;
        }
        if (argc < 2) {
            cmd.release();
            s.local("-ERR wrong number of arguments for 'auth' command", false);
            return;
        }
        if (argc > 3) {
            cmd.release();
            s.local("-ERR syntax error", false);
            return;
        }
        String user = argc == 3 ? cmd.argString(1) : null;
        String password = cmd.argString(argc - 1);
        cmd.release(); // the credential's bytes go nowhere but the authenticator
        authenticate(user, password, () -> s.local("+OK", false));
    }

    private void hello(Command cmd) {
        if (s.inMulti && s.upstream != null) {
            cmd.release();
            s.refuse(IN_MULTI);
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
                    s.local("-ERR Protocol version is not an integer or out of range", false);
                    return;
                }
                if (v < 2 || v > 3) {
                    s.local("-NOPROTO unsupported protocol version", false);
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
                            s.local("-ERR Client names cannot contain spaces, newlines or special characters.", false);
                            return;
                        }
                    }
                    name = new byte[n.readableBytes()];
                    n.getBytes(n.readerIndex(), name);
                    j++;
                } else {
                    s.local("-ERR Syntax error in HELLO option '" + cmd.argString(j) + "'", false);
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
        } else if (!s.gate.authenticated()) {
            s.events.commandRefused(s.gate.principal() == null ? "noauth" : "expired");
            s.local(HELLO_NOAUTH, false);
        } else {
            forwardHello(v, clientName);
        }
    }

    /** {@code HELLO} re-encoded by the gateway, without the client's {@code AUTH}. */
    private void forwardHello(int version, byte[] clientName) {
        byte[] name = s.audit.helloName(clientName);
        int args = 1 + (version > 0 ? 1 : 0) + (name != null ? 2 : 0);
        ByteBuf frame = s.client.alloc().buffer(64 + (name == null ? 0 : name.length));
        header(frame, '*', args);
        bulk(frame, "HELLO".getBytes(StandardCharsets.US_ASCII));
        if (version > 0) {
            bulk(frame, Integer.toString(version).getBytes(StandardCharsets.US_ASCII));
        }
        if (name != null) {
            bulk(frame, "SETNAME".getBytes(StandardCharsets.US_ASCII));
            bulk(frame, name);
        }
        s.writeGatewayCommand(frame, new ReplyLedger.Hello(version));
    }

    private void reset(Command cmd) {
        cmd.release();
        s.inMulti = false;
        s.upstreamAuth.dropDeferred();
        boolean wasAuthenticated = s.gate.principal() != null;
        s.gate.signOut();
        s.audit.reset();
        cancel(clientExpiryTimer);
        Principal preAuthenticated = s.settings.preAuthenticated();
        if (preAuthenticated != null) {
            signIn(preAuthenticated); // the tunnel's session is never unauthenticated
        } else if (wasAuthenticated) {
            armAuthDeadline();
        }
        if (s.upstream == null) {
            version = 2;
            s.pubSub.clear();
            s.local("+RESET", false);
            return;
        }
        s.writeGatewayCommand(Unpooled.wrappedBuffer(RESET_CMD), ReplyLedger.RESET);
        s.upstreamAuth.afterReset(); // RESET de-authenticates the upstream connection too
        s.audit.upstreamAuthenticated(); // and unnames it
    }

    private void authenticate(String user, String password, Runnable onAllowed) {
        s.paused = true;
        s.updateAutoRead();
        AuthRequest request = new AuthRequest(user, password, s.client.remoteAddress());
        s.authenticator.authenticate(request).whenComplete((decision, error) -> {
            AuthDecision d = decision != null
                    ? decision
                    : new AuthDecision.Denied(
                            "internal_error",
                            error == null ? "no decision" : error.getClass().getSimpleName());
            s.executeOnLoop(() -> authDecided(user, d, onAllowed));
        });
    }

    private void authDecided(String user, AuthDecision decision, Runnable onAllowed) {
        if (s.failed || !s.client.isActive()) {
            return;
        }
        if (decision instanceof AuthDecision.Allowed allowed && !usernameMatches(user, allowed.principal())) {
            decision = new AuthDecision.Denied(
                    "username_mismatch", "AUTH user name is neither 'default' nor the token's oid");
        }
        if (decision instanceof AuthDecision.Allowed allowed
                && s.access != null
                && !s.access.admit(allowed.principal(), s.client.remoteAddress())) {
            decision = new AuthDecision.Denied("no_role", "matches no role of the roles file");
        }
        UpstreamCredentials next = s.upstreamAuth.identity();
        if (decision instanceof AuthDecision.Allowed allowed && s.access != null) {
            next = s.access.upstreamFor(allowed.principal(), s.gatewayCredentials, s.client.remoteAddress());
            if (next == null) {
                decision = new AuthDecision.Denied("ambiguous_upstream", "no single upstream identity for the roles");
            }
        }
        if (decision instanceof AuthDecision.Allowed && s.upstream != null && next != s.upstreamAuth.identity()) {
            String refusal = s.upstreamAuth.switchTo(next);
            if (refusal != null) {
                // as Redis on a failed AUTH: the connection keeps its previous identity
                s.events.authDecided(new AuthDecision.Denied("upstream_switch", refusal));
                s.local(refusal, false);
                s.resume();
                return;
            }
        }
        s.events.authDecided(decision);
        if (log.isDebugEnabled()) {
            log.debug(
                    "client {}: AUTH {}",
                    s.client.remoteAddress(),
                    decision instanceof AuthDecision.Allowed a
                            ? "allowed oid=" + a.principal().objectId()
                            : "denied " + ((AuthDecision.Denied) decision).reason());
        }
        if (decision instanceof AuthDecision.Allowed allowed) {
            signIn(allowed.principal());
            if (s.upstream == null) {
                s.upstreamAuth.choose(next);
                s.upstreamSide.connect(onAllowed);
                return;
            }
            onAllowed.run();
        } else {
            String reply = ((AuthDecision.Denied) decision).reply();
            s.local(reply != null ? reply : WRONGPASS, false);
        }
        if (!s.upstreamAuth.switching()) {
            s.resume();
        }
    }

    /**
     * A session that starts signed in as {@code p} ({@link SessionSettings#preAuthenticated()}): signed in through
     * the gate as by {@code AUTH}, then its upstream connection opens; input waits for it.
     */
    void startSignedIn(Principal p) {
        UpstreamCredentials identity = s.access == null
                ? s.gatewayCredentials
                : s.access.upstreamFor(p, s.gatewayCredentials, s.client.remoteAddress());
        if (identity == null) {
            s.fail("-ERR gateway: no single upstream identity for the roles");
            return;
        }
        signIn(p);
        s.paused = true;
        s.updateAutoRead();
        s.upstreamAuth.choose(identity);
        s.upstreamSide.connect(() -> {});
    }

    private void signIn(Principal p) {
        s.gate.signIn(p, validUntil(p.expiresAt()));
        s.audit.signedIn(p);
        s.ctx.fireUserEventTriggered(SessionEvent.AUTHENTICATED);
        cancel(authDeadline);
        authDeadline = null; // a signed-in idle connection does not keep the cancelled task and its lambda
        armClientExpiry();
    }

    private long validUntil(Instant exp) {
        try {
            return exp.plus(s.settings.clientExpirySkew()).toEpochMilli();
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

    /** A new connection, or one RESET after authenticating, must AUTH within the deadline. */
    void armAuthDeadline() {
        cancel(authDeadline);
        authDeadline = s.client
                .eventLoop()
                .schedule(
                        () -> {
                            if (s.gate.principal() == null && s.client.isActive() && !s.failed) {
                                s.events.commandRefused("auth_deadline");
                                s.fail("-ERR gateway: authentication timeout; send AUTH within "
                                        + s.settings.authDeadline().toMillis() + " ms of connecting");
                            }
                        },
                        s.settings.authDeadline().toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    private void armClientExpiry() {
        cancel(clientExpiryTimer);
        final long until = s.gate.validUntilMillis();
        long delay = until - s.settings.clock().millis() + 1;
        clientExpiryTimer = s.client
                .eventLoop()
                .schedule(
                        () -> {
                            if (!s.failed && s.gate.validUntilMillis() == until && s.pubSub.subscribed()) {
                                s.pubSub.expiredSubscriber();
                            }
                        },
                        Math.max(0, Math.min(delay, TimeUnit.DAYS.toMillis(365))),
                        TimeUnit.MILLISECONDS);
    }

    /** The session closed: stops the timers. */
    void close() {
        cancel(authDeadline);
        cancel(clientExpiryTimer);
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
    static long parseLong(String s) {
        if (s.isEmpty() || s.length() > 19 || s.startsWith("+") || (s.length() > 1 && s.startsWith("0"))) {
            return Long.MIN_VALUE;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }
}
