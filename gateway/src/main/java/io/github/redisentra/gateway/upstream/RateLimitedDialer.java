package io.github.redisentra.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * An {@link UpstreamDialer} that opens connections no faster than a {@link ConnectRateLimiter} allows: a connect over
 * the rate waits for its slot on the event loop's timer (never blocking the loop), and one whose slot is further away
 * than the endpoint's connect timeout fails at once with {@link RateLimitExceeded}, which the client reads as
 * {@code -ERR upstream unavailable: cannot connect to the cache (upstream connection rate limit reached; retry)}.
 *
 * <p>Every upstream connection of a gateway goes through one limiter: the gateway wraps its dialer once and every
 * session, handover and node dialer it builds shares it ({@link #wrap} with the same limiter for each dialer).
 */
public final class RateLimitedDialer implements UpstreamDialer {
    /** The message a refused connect fails with (and the client reads in its error). */
    public static final String REFUSED = "upstream connection rate limit reached; retry";

    /** A connect refused because the connect rate would have made it wait longer than the connect timeout. */
    public static final class RateLimitExceeded extends java.io.IOException {
        RateLimitExceeded() {
            super(REFUSED, null);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // an expected refusal under load: no stack trace to build
        }
    }

    private final UpstreamDialer inner;
    private final ConnectRateLimiter limiter;

    private RateLimitedDialer(UpstreamDialer inner, ConnectRateLimiter limiter) {
        this.inner = inner;
        this.limiter = limiter;
    }

    /**
     * {@code dialer} behind {@code limiter}; {@code dialer} itself when the rate is unlimited. Wrapping a
     * {@code RateLimitedDialer} again with its own limiter returns it unchanged (a connect takes one slot).
     */
    public static UpstreamDialer wrap(UpstreamDialer dialer, ConnectRateLimiter limiter) {
        if (limiter.rate().unlimited()) {
            return dialer;
        }
        if (dialer instanceof RateLimitedDialer r && r.limiter == limiter) {
            return r;
        }
        return new RateLimitedDialer(dialer, limiter);
    }

    @Override
    public Future<Channel> connect(EventLoop loop, ReplySink sink) {
        long wait = limiter.reserve(inner.endpoint().connectTimeout().toNanos());
        if (wait == 0) {
            return inner.connect(loop, sink);
        }
        if (wait < 0) {
            return loop.newFailedFuture(new RateLimitExceeded());
        }
        Promise<Channel> ready = loop.newPromise();
        limiter.waiting.incrementAndGet();
        try {
            loop.schedule(
                    () -> {
                        limiter.waiting.decrementAndGet();
                        inner.connect(loop, sink).addListener(f -> {
                            if (f.isSuccess()) {
                                Channel ch = (Channel) f.getNow();
                                if (!ready.trySuccess(ch)) {
                                    ch.close(); // nobody wants it any more
                                }
                            } else {
                                ready.tryFailure(f.cause());
                            }
                        });
                    },
                    wait,
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) { // the loop is shutting down
            limiter.waiting.decrementAndGet();
            ready.tryFailure(e);
        }
        return ready;
    }

    @Override
    public UpstreamEndpoint endpoint() {
        return inner.endpoint();
    }
}
