package io.github.redisentra.gateway.upstream;

import io.github.redisentra.core.AccessToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authentication of one session's upstream connection as the gateway's identity: the only writer of
 * {@code AUTH <user> <token>} frames. It sends the initial AUTH when the connection opens, re-AUTHs on every renewed
 * token (deferred while the session says it cannot take one: inside MULTI, a streamed command or a handover in
 * progress; handed to a make-before-break {@linkplain Host#startHandover handover} for a RESP2 subscriber, where
 * Redis refuses AUTH), switches to another identity when a client re-AUTHs as a principal whose roles name one, and
 * guards the connection's authentication: if no AUTH was acknowledged {@code margin} before the cache would cut the
 * connection ({@link UpstreamCredentials#authenticatedUntil}), the session is failed with a clear error instead.
 *
 * <p>Which upstream the connection goes to, and which identity a principal gets, are decided outside (the session's
 * {@link UpstreamDialer} and the roles file); this class only keeps the connection authenticated as the identity it
 * is given. Event-loop confined: every method runs on the session's loop.
 */
public final class UpstreamAuth {
    private static final Logger log = LoggerFactory.getLogger(UpstreamAuth.class);

    /** When an AUTH can be written on the session's upstream connection. */
    public enum Moment {
        /** Now: the next command the connection runs may be an AUTH. */
        NOW,
        /** After what is in progress (MULTI, a streamed command, a handover): the session calls {@link #sendDeferred}. */
        LATER,
        /** Not on this connection (RESP2 subscribed, or a subscription in flight): by a handover to a new one. */
        HANDOVER
    }

    /** The session's side: where AUTH frames go, and what happens around them. */
    public interface Host {
        /** Writes {@code frame} upstream and flushes; its reply is owed to {@link #acknowledged}, never the client. */
        void writeAuth(ByteBuf frame, AccessToken token);

        /** When an AUTH can be written now. */
        Moment moment();

        /** Moves a RESP2 subscriber to a new upstream connection authenticated with {@code token}. */
        void startHandover(AccessToken token);

        /** The cache acknowledged the AUTH of an identity switch: the session may read commands again. */
        void switchAcknowledged();

        /** Fails the session with {@code errorLine} and closes it. */
        void fail(String errorLine);

        /** Whether the session has failed already (its timers must do nothing then). */
        boolean failed();

        /** Reports an upstream re-authentication (metrics). */
        void reauthenticated(boolean success);

        /**
         * Reports a failed upstream re-authentication and why ({@code refused}, {@code expired}, {@code handover}:
         * see {@code GatewayEvents#upstreamReauthFailed}).
         */
        default void reauthFailed(String reason) {
            reauthenticated(false);
        }

        /** Reports an upstream failure with a short {@code reason} code (metrics). */
        void upstreamFailed(String reason);

        EventLoop eventLoop();

        ByteBufAllocator alloc();

        SocketAddress clientAddress();
    }

    private final Host host;
    private final Clock clock;
    private final Duration margin;
    private UpstreamCredentials identity;

    /** A renewed token that could not be sent yet (see {@link Moment#LATER}). */
    private AccessToken deferred;
    /** The session's input stays paused until the cache acknowledged the AUTH of a switch to another identity. */
    private boolean switching;

    private Instant validUntil;
    private ScheduledFuture<?> guard;

    /**
     * @param identity the upstream identity to authenticate as until {@link #switchTo} names another
     * @param margin how long before the connection's authentication would end the session is failed without a
     *     newer acknowledged AUTH
     */
    public UpstreamAuth(Host host, UpstreamCredentials identity, Clock clock, Duration margin) {
        this.host = Objects.requireNonNull(host, "host");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.margin = Objects.requireNonNull(margin, "margin");
    }

    /** The identity the connection is (or is being) authenticated as. */
    public UpstreamCredentials identity() {
        return identity;
    }

    /**
     * Sets the identity before any upstream connection exists (the first successful client AUTH chooses it); an open
     * connection changes identity only through {@link #switchTo}.
     */
    public void choose(UpstreamCredentials identity) {
        this.identity = Objects.requireNonNull(identity, "identity");
    }

    /** The identity's current token if it is valid now, else null (then no connection should be opened). */
    public AccessToken usableToken() {
        AccessToken token = identity.current().orElse(null);
        if (token == null || token.isExpiredAt(clock.instant())) {
            host.upstreamFailed("no_credential");
            return null;
        }
        return token;
    }

    /**
     * Authenticates a newly opened connection, dialed when {@code dialedWith} was current: a renewal that arrived
     * while connecting was not delivered to this session, so the newer of the two is sent.
     */
    public void connected(AccessToken dialedWith) {
        AccessToken newest = identity.current().orElse(dialedWith);
        send(newest.expiresAt().isAfter(dialedWith.expiresAt()) ? newest : dialedWith);
    }

    /**
     * Takes over a warm connection ({@link WarmPool}) on which the cache acknowledged {@code AUTH} with
     * {@code acknowledged} at {@code acknowledgedAt}: guarded from that acknowledgement, as if this class had sent it,
     * so re-AUTH at renewals and the guard run as on a dialled connection. A token renewed since (the pool hands out
     * none, but a renewal may race the take) is sent at once.
     */
    public void adopted(AccessToken acknowledged, Instant acknowledgedAt) {
        armGuard(acknowledged, acknowledgedAt);
        AccessToken newest = identity.current().orElse(acknowledged);
        if (newest.expiresAt().isAfter(acknowledged.expiresAt())) {
            send(newest);
        }
    }

    /**
     * After a {@code RESET} went upstream (it de-authenticates the connection too): makes the connection the
     * identity's again at once, dropping any deferred renewal; fails the session when there is no token.
     */
    public void afterReset() {
        deferred = null;
        identity.current()
                .ifPresentOrElse(
                        this::send,
                        () -> host.fail("-ERR upstream unavailable:"
                                + " the gateway has no valid upstream credential; reconnect later"));
    }

    /**
     * Re-AUTHs the open connection as {@code next} (a client re-AUTHed as a principal whose roles name another
     * identity), in order: commands sent before run as the old identity, commands after as the new one; the session
     * keeps its input paused until {@link Host#switchAcknowledged}. Returns the error line when that cannot be done
     * now ({@link Moment#NOW} is required, and a valid token of {@code next}); nothing is changed then.
     */
    public String switchTo(UpstreamCredentials next) {
        AccessToken token = next.current().orElse(null);
        if (token == null || token.isExpiredAt(clock.instant())) {
            host.upstreamFailed("no_credential");
            return "-ERR upstream unavailable: no valid upstream credential for this user's roles yet; retry later";
        }
        if (host.moment() != Moment.NOW) {
            return "-ERR gateway: cannot change the upstream identity inside MULTI or a RESP2 subscription;"
                    + " AUTH after EXEC/DISCARD/UNSUBSCRIBE or reconnect";
        }
        identity = next;
        deferred = null; // a renewal of the previous identity is moot
        send(token);
        // Commands after the AUTH wait for the cache's answer: were it refused, the connection would still be the
        // previous identity's (the session then fails instead of forwarding them).
        switching = true;
        return null;
    }

    /** Whether an identity switch awaits the cache's acknowledgement (the session's input stays paused). */
    public boolean switching() {
        return switching;
    }

    /**
     * A renewed token of {@code from}, for an open connection; ignored unless {@code from} is this connection's
     * identity. Sent now, deferred, or handed to a handover, as {@link Host#moment} says.
     */
    public void renewed(UpstreamCredentials from, AccessToken token) {
        if (from == identity) {
            renewed(token);
        }
    }

    private void renewed(AccessToken token) {
        switch (host.moment()) {
            case LATER -> deferred = token; // sent after EXEC/DISCARD, the handover or the streamed command
            case HANDOVER -> host.startHandover(token);
            case NOW -> send(token);
        }
    }

    /**
     * The session reached a point where a deferred renewal may go (after EXEC/DISCARD, a streamed command, the end of
     * a RESP2 subscription; not inside MULTI nor RESP2 subscribed): sends it if there is one, or hands it to a
     * handover when a RESP2 (un)subscribe is still in flight ({@link Moment#HANDOVER}: Redis would refuse the AUTH
     * right behind a SUBSCRIBE).
     */
    public void sendDeferred() {
        if (deferred != null) {
            AccessToken t = deferred;
            deferred = null;
            if (host.moment() == Moment.HANDOVER) {
                host.startHandover(t);
            } else {
                send(t);
            }
        }
    }

    /** Drops a deferred renewal (RESET: the connection is authenticated afresh by {@link #afterReset}). */
    public void dropDeferred() {
        deferred = null;
    }

    /**
     * A handover moved the session to a new connection authenticated with {@code token}: guards it, and passes on a
     * renewal that arrived meanwhile if it is newer.
     */
    public void handedOver(AccessToken token) {
        armGuard(token);
        AccessToken next = deferred;
        deferred = null;
        if (next != null && next.expiresAt().isAfter(token.expiresAt())) {
            renewed(next);
        }
    }

    /**
     * The reply to an AUTH this class wrote with {@code token} ({@code reply} is released). Anything but exactly
     * {@code +OK} (a {@code +QUEUED} would mean the AUTH landed inside a transaction) fails the session.
     *
     * @return whether the cache accepted it
     */
    public boolean acknowledged(AccessToken token, ByteBuf reply) {
        boolean ok = isOk(reply);
        reply.release();
        if (!ok) {
            host.reauthFailed("refused");
            log.warn("upstream refused the gateway's credential {} for client {}", token, host.clientAddress());
            host.fail("-ERR upstream unavailable: the cache refused the gateway's credential; reconnect later");
            return false;
        }
        if (validUntil != null) {
            host.reauthenticated(true);
        }
        log.debug("client {}: upstream accepted {}", host.clientAddress(), token);
        armGuard(token);
        if (switching) {
            switching = false;
            host.switchAcknowledged();
        }
        return true;
    }

    /** Whether {@code reply} (not consumed) is exactly {@code +OK}. */
    public static boolean isOk(ByteBuf reply) {
        return reply.readableBytes() == 5 && reply.getInt(reply.readerIndex()) == 0x2b4f4b0d;
    }

    /**
     * Writes {@code AUTH <user> <token>} into {@code out}: for a handover, which sends it with the subscriptions in
     * one write on its new connection and checks the reply itself ({@link #isOk}).
     */
    public void writeAuthFrame(ByteBuf out, AccessToken token) {
        writeAuthFrame(out, identity, token);
    }

    /**
     * Writes {@code AUTH <user> <token>} of {@code identity} into {@code out}: also for a {@link WarmPool}'s
     * connections, authenticated before any session takes one.
     */
    public static void writeAuthFrame(ByteBuf out, UpstreamCredentials identity, AccessToken token) {
        byte[] user = identity.username(token).getBytes(StandardCharsets.UTF_8);
        byte[] secret = token.secret().getBytes(StandardCharsets.UTF_8);
        header(out, 3);
        bulk(out, "AUTH".getBytes(StandardCharsets.US_ASCII));
        bulk(out, user);
        bulk(out, secret);
    }

    /** Stops the guard (the session is closed). */
    public void close() {
        if (guard != null) {
            guard.cancel(false);
        }
    }

    /** Writes {@code AUTH <user> <token>} on the session's connection; its reply comes to {@link #acknowledged}. */
    public void send(AccessToken token) {
        ByteBuf frame = host.alloc().buffer(256 + token.secret().length());
        writeAuthFrame(frame, token);
        host.writeAuth(frame, token);
    }

    private void armGuard(AccessToken acknowledged) {
        armGuard(acknowledged, Instant.ofEpochMilli(clock.millis()));
    }

    private void armGuard(AccessToken acknowledged, Instant acknowledgedAt) {
        // Until when the cache keeps this connection without another AUTH: the token's expiry (Azure), or a
        // connection limit counted from this AUTH (AWS IAM: 12 hours); the credentials say which.
        Instant until = identity.authenticatedUntil(acknowledged, acknowledgedAt);
        validUntil = until;
        close();
        if (until.equals(Instant.MAX)) {
            return;
        }
        long delay = until.toEpochMilli() - margin.toMillis() - clock.millis();
        guard = host.eventLoop()
                .schedule(
                        () -> {
                            if (!host.failed() && validUntil.equals(until)) {
                                host.reauthFailed("expired");
                                host.fail("-ERR gateway: the upstream connection could not be re-authenticated before"
                                        + " its authentication expired (long blocking command, MULTI or RESP2"
                                        + " subscription); reconnect");
                            }
                        },
                        Math.max(0, delay),
                        TimeUnit.MILLISECONDS);
    }

    private static void header(ByteBuf b, int n) {
        b.writeByte('*').writeCharSequence(Integer.toString(n), StandardCharsets.US_ASCII);
        b.writeShort(0x0d0a);
    }

    private static void bulk(ByteBuf b, byte[] value) {
        b.writeByte('$').writeCharSequence(Integer.toString(value.length), StandardCharsets.US_ASCII);
        b.writeShort(0x0d0a);
        b.writeBytes(value).writeShort(0x0d0a);
    }
}
