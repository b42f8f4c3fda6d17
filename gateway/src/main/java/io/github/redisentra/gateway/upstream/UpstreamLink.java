package io.github.redisentra.gateway.upstream;

import io.github.redisentra.core.AccessToken;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import java.util.Set;

/**
 * Which upstream connection's events reach the session: the current one while it is the session's, a new one
 * while a RESP2 subscriber's make-before-break {@link Handover} prepares it, none once retired (a closed old
 * connection must not fail the session). Owns the handover's lifecycle; the session asks it whether one is in
 * progress and tells it the few points the handover waits for. Event-loop confined.
 */
public final class UpstreamLink {

    /** The session's side of a handover, beyond what {@link UpstreamAuth} needs. */
    public interface Host extends UpstreamAuth.Host {
        /** Whether the session is in RESP2 subscribed mode (then AUTH cannot go on its connection). */
        boolean resp2Subscribed();

        /** The session's subscriptions of one family (0 channels, 1 patterns, 2 shard channels). */
        Set<String> subscriptions(int family);

        /**
         * The {@code CLIENT SETNAME} frame naming a new upstream connection for the session's user
         * ({@code UPSTREAM_CLIENT_NAME}), or {@code null} for none: the handover sends it right after its AUTH.
         */
        default byte[] nameFrame() {
            return null;
        }

        /** Delivers an out-of-band message to the client; false when the session failed instead. */
        boolean deliver(ByteBuf message);

        /** The old connection is sent a {@code PING} whose reply the session owes to {@link #oldPingAnswered}. */
        void owePing();

        /** {@code next} is now the session's upstream connection; the previous one is closed. */
        void adopt(Channel next);

        /** Reports a new upstream connection (metrics). */
        void upstreamConnected();

        /** The session may read client input again (after the handover or instead of it). */
        void proceed();

        /** Flushes what was written to the client and upstream. */
        void flush();
    }

    private final ReplySink session;
    private final UpstreamDialer dialer;
    private final Host host;
    private final UpstreamAuth auth;

    private Route current;
    private Route dialing;
    private Handover handover;

    public UpstreamLink(ReplySink session, UpstreamDialer dialer, Host host, UpstreamAuth auth) {
        this.session = session;
        this.dialer = dialer;
        this.host = host;
        this.auth = auth;
    }

    /** Opens the session's first upstream connection; {@link #adopt} it when the future succeeds. */
    public Future<Channel> connect() {
        dialing = new Route();
        return dialer.connect(host.eventLoop(), dialing);
    }

    /**
     * A warm connection already authenticated as {@code identity} ({@link UpstreamDialer#takeWarm}), routed like one
     * {@link #connect} opened ({@link #adopt} it); {@code null} when there is none (then {@link #connect}).
     */
    public UpstreamDialer.Warm takeWarm(UpstreamCredentials identity) {
        Route route = new Route();
        UpstreamDialer.Warm warm = dialer.takeWarm(host.eventLoop(), identity, route);
        if (warm != null) {
            dialing = route;
        }
        return warm;
    }

    /** The connection {@link #connect} or {@link #takeWarm} opened is the session's now: its events reach it. */
    public void adopt() {
        current = dialing;
        dialing = null;
    }

    /** Where the session's upstream connections go (for logs). */
    public UpstreamEndpoint endpoint() {
        return dialer.endpoint();
    }

    /** Whether a handover is in progress (the session reads no client input meanwhile). */
    public boolean handingOver() {
        return handover != null;
    }

    /**
     * Starts moving a RESP2 subscriber to a new connection authenticated with {@code token}; it begins once no
     * reply is owed ({@link #idle}).
     */
    public void startHandover(AccessToken token) {
        handover = new Handover(this, host, auth, dialer, token);
    }

    /** No reply is owed any more: a waiting handover begins. */
    public void idle() {
        if (handover != null) {
            handover.begin();
        }
    }

    /** A message the current connection delivered to the client (a handover records it to drop duplicates). */
    public void deliveredByOld(ByteBuf message) {
        if (handover != null) {
            handover.deliveredByOld(message);
        }
    }

    /** The reply to the PING {@link Host#owePing} announced arrived on the old connection. */
    public void oldPingAnswered() {
        if (handover != null) {
            handover.oldStreamEnded();
        }
    }

    /** Abandons a handover in progress (the session failed or closed): closes its connection. */
    public void abandon() {
        if (handover != null) {
            Handover h = handover;
            handover = null;
            h.release();
        }
    }

    // ---------------------------------------------------------------- for Handover

    ReplySink newRoute() {
        return new Route();
    }

    boolean current(Handover h) {
        return handover == h;
    }

    /** The handover ended without a new connection (nothing left to move): the session goes on. */
    void ended() {
        handover = null;
    }

    /** The old connection delivers nothing more to the client. */
    void retireCurrent() {
        current = null;
    }

    /** The handover completed: its connection becomes the session's. */
    void completed(ReplySink route, Channel channel) {
        handover = null;
        current = (Route) route;
        host.adopt(channel);
    }

    /** Routes the events of one upstream connection (see the class comment). */
    private final class Route implements ReplySink {
        private boolean ofHandover() {
            return handover != null && handover.route == this;
        }

        @Override
        public void onReply(ByteBuf frame, boolean push) {
            if (current == this) {
                session.onReply(frame, push);
            } else if (ofHandover()) {
                handover.onReply(frame);
            } else {
                frame.release();
            }
        }

        @Override
        public boolean onReplyPart(ByteBuf part) {
            return current == this && session.onReplyPart(part);
        }

        @Override
        public boolean claimPassThrough() {
            return current == this && session.claimPassThrough();
        }

        @Override
        public boolean claimPassThrough(byte firstByte) {
            return current == this && session.claimPassThrough(firstByte);
        }

        @Override
        public void onPassThrough(ByteBuf replies) {
            // only the current route claims, and the route cannot change between a claim and this call (both
            // happen within one read of this route's channel, on the session's event loop)
            session.onPassThrough(replies);
        }

        @Override
        public void onReadBatchComplete() {
            if (current == this || ofHandover()) {
                session.onReadBatchComplete();
            }
        }

        @Override
        public void onUpstreamLost(String reason, Throwable cause) {
            if (current == this) {
                session.onUpstreamLost(reason, cause);
            } else if (ofHandover()) {
                host.eventLoop().execute(() -> {
                    if (ofHandover()) {
                        handover.abort("the new upstream connection was lost (" + reason + ")");
                    }
                });
            }
        }

        @Override
        public void onUpstreamWritabilityChanged(boolean writable) {
            if (current == this) {
                session.onUpstreamWritabilityChanged(writable);
            }
        }
    }

    /** A connect failure's root cause in one line (for the client's error and logs). */
    public static String reason(Throwable t) {
        if (t instanceof RateLimitedDialer.RateLimitExceeded) {
            return t.getMessage(); // the gateway's own limit, said plainly
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName()
                + (m == null ? "" : ": " + m.replace('\r', ' ').replace('\n', ' '));
    }
}
