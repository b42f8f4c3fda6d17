package io.github.redisentra.gateway;

import io.github.redisentra.gateway.auth.SourceAddress;
import io.github.redisentra.gateway.session.GatewayEvents;
import io.github.redisentra.gateway.session.SessionEvent;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The listener's door: every accepted connection passes {@link #admit} before it gets a session. Refused ones get one
 * error line and are closed before any of their input is read; admitted ones carry a {@link #tracker} that gives
 * their places back (the unauthenticated one at the first successful sign-in, {@link SessionEvent#AUTHENTICATED},
 * the other when the connection closes).
 *
 * <p>Counters are shared by all event loops (atomics; the per-address map drops an address when it reaches zero, so
 * it holds at most one entry per unauthenticated connection).
 */
final class ClientAdmission {
    /** Redis's own reply when {@code maxclients} is reached. */
    static final String MAX_CLIENTS_REACHED = "-ERR max number of clients reached";

    private final ConnectionLimits limits;
    private final GatewayEvents events;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger unauthenticated = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> unauthenticatedByAddress = new ConcurrentHashMap<>();

    ClientAdmission(ConnectionLimits limits, GatewayEvents events) {
        this.limits = limits;
        this.events = events;
    }

    /**
     * Takes a place for a new connection from {@code remote}: {@code null} when admitted (then the caller must add
     * {@link #tracker} to its pipeline), otherwise the error line to answer before closing it.
     */
    String admit(SocketAddress remote) {
        if (open.incrementAndGet() > limits.maxClients()) {
            open.decrementAndGet();
            events.connectionRefused("max_clients");
            return MAX_CLIENTS_REACHED;
        }
        InetAddress address = addressOf(remote);
        int cap = limits.maxUnauthenticatedPerAddress();
        if (cap > 0 && address != null) {
            boolean[] over = new boolean[1];
            unauthenticatedByAddress.compute(address, (a, n) -> {
                AtomicInteger c = n == null ? new AtomicInteger() : n;
                if (c.get() >= cap) {
                    over[0] = true;
                } else {
                    c.incrementAndGet();
                }
                return c.get() == 0 ? null : c;
            });
            if (over[0]) {
                open.decrementAndGet();
                events.connectionRefused("unauthenticated_per_address");
                return "-ERR too many unauthenticated connections from " + SourceAddress.describe(address) + " (limit "
                        + cap
                        + ", MAX_UNAUTHENTICATED_PER_ADDRESS): sign in on the open ones first, or raise the limit";
            }
        }
        unauthenticated.incrementAndGet();
        return null;
    }

    /** The handler (after the session) that gives an admitted connection's places back. */
    ChannelHandler tracker(SocketAddress remote) {
        return new Tracker(limits.maxUnauthenticatedPerAddress() > 0 ? addressOf(remote) : null);
    }

    /** The handler for a refused connection: writes {@code errorLine}, closes, reads nothing. */
    static ChannelHandler refusal(String errorLine) {
        byte[] line = (errorLine + "\r\n").getBytes(StandardCharsets.UTF_8);
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                // With TLS the line is held by the SslHandler until the handshake completes (or times out).
                ctx.writeAndFlush(Unpooled.wrappedBuffer(line)).addListener(ChannelFutureListener.CLOSE);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
            }
        };
    }

    /** Open client connections. */
    int open() {
        return open.get();
    }

    /** Open connections that have not signed in yet. */
    int unauthenticated() {
        return unauthenticated.get();
    }

    private void signedIn(InetAddress address) {
        unauthenticated.decrementAndGet();
        if (address != null) {
            unauthenticatedByAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
    }

    private static InetAddress addressOf(SocketAddress remote) {
        return SourceAddress.of(remote);
    }

    private final class Tracker extends ChannelInboundHandlerAdapter {
        private final InetAddress address;
        private boolean unauthenticated = true;
        private boolean closed;

        Tracker(InetAddress address) {
            this.address = address;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == SessionEvent.AUTHENTICATED) {
                if (unauthenticated && !closed) {
                    unauthenticated = false;
                    signedIn(address);
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            release();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            release();
            ctx.fireChannelInactive();
        }

        private void release() {
            if (closed) {
                return;
            }
            closed = true;
            if (unauthenticated) {
                unauthenticated = false;
                signedIn(address);
            }
            open.decrementAndGet();
        }
    }
}
