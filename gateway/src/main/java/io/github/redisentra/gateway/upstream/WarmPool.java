package io.github.redisentra.gateway.upstream;

import io.github.redisentra.core.AccessToken;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pre-authenticated upstream connections ({@code UPSTREAM_POOL_SIZE}, issue #19): a new session takes one instead of
 * waiting for a TCP connect, a TLS handshake and an {@code AUTH} round trip. One pool per listener (per upstream
 * endpoint; per node listener in cluster mode), an {@link UpstreamDialer} in front of the listener's rate-limited
 * dialer: {@link #connect} is the inner dialer's, {@link #takeWarm} hands out a warm connection.
 *
 * <ul>
 *   <li>A session never crosses threads, so each event loop keeps its share of the pool ({@link PoolRules#share}),
 *       and a session takes only from its own loop's; every shelf is confined to its loop.
 *   <li>A warm connection is handed out only once its TLS handshake is done and the cache acknowledged
 *       {@code AUTH} as the gateway's identity (the frame is {@link UpstreamAuth}'s), and only while that AUTH was
 *       with the identity's current token and stays valid beyond the re-AUTH margin, and it has not been idle longer
 *       than {@code UPSTREAM_POOL_MAX_IDLE} ({@link PoolRules#check}); any other is closed and replaced. At each
 *       renewal of the identity's token every loop's warm connections are closed and replaced (no second refresh
 *       engine: the pool listens to the identity as sessions do; a replacement costs one handshake, rarely, and the
 *       idle limit replaces them every few minutes anyway).
 *   <li>Only sessions of the gateway's own identity take one (a role naming another identity dials as before); a
 *       taken connection is the session's for good, never returned (no state passes between users).
 *   <li>Fills go through the inner dialer, so through the connect-rate limiter; one at a time per loop, with a
 *       doubling wait after failures. Closed or broken warm connections are dropped. {@link #close} drains it.
 * </ul>
 */
public final class WarmPool implements UpstreamDialer, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);

    /** How long a refill waits after a session took a warm connection (see {@link Shelf#fillSoon}). */
    static final long REFILL_DELAY_MS = 20;

    private final UpstreamDialer inner;
    private final UpstreamCredentials identity;
    private final UpstreamPoolSettings settings;
    private final Duration margin;
    private final Clock clock;
    private final PoolMetrics metrics;
    private final Map<EventLoop, Shelf> shelves = new IdentityHashMap<>();
    private AutoCloseable renewals;
    private volatile boolean closed;

    /**
     * @param inner the listener's dialer (behind the connect-rate limiter)
     * @param identity the gateway's own upstream identity (only its sessions take warm connections)
     * @param margin the sessions' re-AUTH margin ({@link UpstreamAuth}'s guard)
     * @param loops the event loops sessions run on (each keeps its share)
     */
    public WarmPool(
            UpstreamDialer inner,
            UpstreamCredentials identity,
            UpstreamPoolSettings settings,
            Duration margin,
            Clock clock,
            PoolMetrics metrics,
            EventLoopGroup loops) {
        this.inner = inner;
        this.identity = identity;
        this.settings = settings;
        this.margin = margin;
        this.clock = clock;
        this.metrics = metrics;
        List<EventLoop> all = new ArrayList<>();
        for (EventExecutor e : loops) {
            all.add((EventLoop) e);
        }
        for (int i = 0; i < all.size(); i++) {
            int share = PoolRules.share(settings.size(), all.size(), i);
            if (share > 0) {
                shelves.put(all.get(i), new Shelf(all.get(i), share));
            }
        }
    }

    /** Starts filling, and replacing the warm connections at each renewal of the identity's token. */
    public WarmPool start() {
        renewals = identity.subscribe(token -> onEveryLoop(Shelf::sweep));
        onEveryLoop(Shelf::start);
        log.info(
                "upstream pool: {} warm connections to {} over {} event loops, retired after {} idle",
                settings.size(),
                inner.endpoint(),
                shelves.size(),
                settings.maxIdle().isZero() ? "no limit" : settings.maxIdle());
        return this;
    }

    @Override
    public Future<Channel> connect(EventLoop loop, ReplySink sink) {
        return inner.connect(loop, sink);
    }

    @Override
    public UpstreamEndpoint endpoint() {
        return inner.endpoint();
    }

    @Override
    public Warm takeWarm(EventLoop loop, UpstreamCredentials identity, ReplySink sink) {
        if (identity != this.identity) {
            metrics.otherIdentity();
            return null;
        }
        Shelf s = shelves.get(loop);
        if (s == null || closed) {
            metrics.miss();
            return null;
        }
        return s.take(sink);
    }

    /** Stops filling and closes every warm connection (shutdown, or the node listener retired). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (renewals != null) {
            try {
                renewals.close();
            } catch (Exception e) {
                log.debug("closing the pool's token subscription failed", e);
            }
        }
        onEveryLoop(Shelf::drain);
    }

    private void onEveryLoop(java.util.function.Consumer<Shelf> task) {
        for (Shelf s : shelves.values()) {
            try {
                s.loop.execute(() -> task.accept(s));
            } catch (RejectedExecutionException e) { // the loop is shutting down: its channels close with it
                log.debug("upstream pool: event loop gone", e);
            }
        }
    }

    /** One event loop's warm connections; confined to that loop. */
    private final class Shelf {
        final EventLoop loop;
        final int target;
        final ArrayDeque<Conn> ready = new ArrayDeque<>();
        int filling;
        int failures;
        ScheduledFuture<?> retry;
        ScheduledFuture<?> refill;
        ScheduledFuture<?> sweeper;

        Shelf(EventLoop loop, int target) {
            this.loop = loop;
            this.target = target;
        }

        void start() {
            if (closed) {
                return;
            }
            long period = PoolRules.sweepPeriod(settings.maxIdle(), margin).toMillis();
            sweeper = loop.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
            fill();
        }

        Warm take(ReplySink sink) {
            Conn c;
            while ((c = ready.pollLast()) != null) {
                metrics.removed();
                PoolRules.Verdict v = verdict(c);
                if (!c.channel.isActive()) {
                    retire(c, "closed");
                } else if (v == PoolRules.Verdict.USABLE) {
                    c.state = State.TAKEN;
                    // from now on the channel's replies are the session's, framed afresh
                    c.channel.pipeline().replace("replies", "replies", new UpstreamHandler(sink));
                    metrics.hit();
                    fillSoon();
                    return new Warm(c.channel, c.token, c.acknowledgedAt);
                } else {
                    retire(c, v.label());
                }
            }
            metrics.miss();
            fillSoon();
            return null;
        }

        /** Closes the warm connections that may no longer be handed out, then fills up. */
        void sweep() {
            for (var it = ready.iterator(); it.hasNext(); ) {
                Conn c = it.next();
                PoolRules.Verdict v = verdict(c);
                if (v != PoolRules.Verdict.USABLE) {
                    it.remove();
                    metrics.removed();
                    retire(c, v.label());
                }
            }
            fill();
        }

        private PoolRules.Verdict verdict(Conn c) {
            return PoolRules.check(
                    c.token,
                    identity.authenticatedUntil(c.token, c.acknowledgedAt),
                    c.acknowledgedAt,
                    identity.current().orElse(null),
                    clock.instant(),
                    margin,
                    settings.maxIdle());
        }

        private void retire(Conn c, String reason) {
            c.state = State.GONE;
            metrics.retire(reason);
            c.channel.close();
        }

        /** Opens the next warm connection if the shelf is short, one at a time, unless a retry is pending. */
        void fill() {
            if (closed || retry != null || filling > 0 || ready.size() >= target) {
                return;
            }
            AccessToken token = identity.current().orElse(null);
            if (!PoolRules.worthDialling(token, clock.instant(), margin)) {
                retryLater(Duration.ofSeconds(1)); // no usable token yet: a renewal also sweeps and fills
                return;
            }
            filling++;
            Conn c = new Conn(this, token);
            inner.connect(loop, c).addListener(f -> {
                if (!f.isSuccess()) {
                    failed(c, "connect: " + UpstreamLink.reason(f.cause()));
                    return;
                }
                c.channel = (Channel) f.getNow();
                if (closed) {
                    c.state = State.GONE;
                    filling--;
                    c.channel.close();
                    return;
                }
                c.state = State.AUTHENTICATING;
                ByteBuf frame = c.channel.alloc().buffer(256 + token.secret().length());
                UpstreamAuth.writeAuthFrame(frame, identity, token);
                c.channel.writeAndFlush(frame);
                long timeout = inner.endpoint().connectTimeout().toMillis();
                loop.schedule(
                        () -> {
                            if (c.state == State.AUTHENTICATING) {
                                c.channel.close(); // no answer to AUTH: reported as lost
                            }
                        },
                        timeout,
                        TimeUnit.MILLISECONDS);
            });
        }

        void acknowledged(Conn c, boolean ok) {
            if (!ok) {
                failed(c, "the cache refused the AUTH as " + identity);
                c.channel.close();
                return;
            }
            filling--;
            failures = 0;
            c.state = State.READY;
            c.acknowledgedAt = clock.instant();
            if (closed) {
                c.state = State.GONE;
                c.channel.close();
                return;
            }
            ready.addLast(c);
            metrics.added();
            fill();
        }

        void lost(Conn c) {
            switch (c.state) {
                case READY -> {
                    c.state = State.GONE;
                    if (ready.remove(c)) {
                        metrics.removed();
                    }
                    metrics.retire("closed");
                    fill();
                }
                case DIALLING, AUTHENTICATING -> failed(c, "the connection closed before AUTH was acknowledged");
                default -> {}
            }
        }

        private void failed(Conn c, String why) {
            c.state = State.GONE;
            filling--;
            failures++;
            metrics.fillFailed();
            if (failures == 1 || failures % 10 == 0) {
                log.warn("upstream pool: cannot open a warm connection to {} ({})", inner.endpoint(), why);
            }
            retryLater(PoolRules.retryAfter(failures));
        }

        /**
         * Fills after {@link #REFILL_DELAY_MS}: called when a session takes (or misses), whose first exchange is in
         * flight on this loop; a replacement's TLS handshake started at once would run on the loop in its middle.
         */
        private void fillSoon() {
            if (closed || refill != null) {
                return;
            }
            refill = loop.schedule(
                    () -> {
                        refill = null;
                        fill();
                    },
                    REFILL_DELAY_MS,
                    TimeUnit.MILLISECONDS);
        }

        private void retryLater(Duration after) {
            if (closed || retry != null) {
                return;
            }
            retry = loop.schedule(
                    () -> {
                        retry = null;
                        fill();
                    },
                    after.toMillis(),
                    TimeUnit.MILLISECONDS);
        }

        void drain() {
            if (sweeper != null) {
                sweeper.cancel(false);
            }
            if (retry != null) {
                retry.cancel(false);
                retry = null;
            }
            if (refill != null) {
                refill.cancel(false);
                refill = null;
            }
            Conn c;
            while ((c = ready.poll()) != null) {
                metrics.removed();
                c.state = State.GONE;
                c.channel.close();
            }
        }
    }

    private enum State {
        DIALLING,
        AUTHENTICATING,
        READY,
        TAKEN,
        GONE
    }

    /** One warm connection: receives its AUTH reply, and notices when it is lost while waiting. */
    private static final class Conn implements ReplySink {
        final Shelf shelf;
        final AccessToken token;
        Channel channel;
        State state = State.DIALLING;
        Instant acknowledgedAt;

        Conn(Shelf shelf, AccessToken token) {
            this.shelf = shelf;
            this.token = token;
        }

        @Override
        public void onReply(ByteBuf frame, boolean push) {
            boolean ok = UpstreamAuth.isOk(frame);
            frame.release();
            if (state == State.AUTHENTICATING) {
                shelf.acknowledged(this, ok);
            } else if (state == State.READY) {
                channel.close(); // nothing was asked: a warm connection that speaks is not handed out
            }
        }

        @Override
        public void onReadBatchComplete() {}

        @Override
        public void onUpstreamLost(String reason, Throwable cause) {
            shelf.lost(this);
        }

        @Override
        public void onUpstreamWritabilityChanged(boolean writable) {}
    }
}
