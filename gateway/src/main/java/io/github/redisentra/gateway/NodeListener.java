package io.github.redisentra.gateway;

import io.github.redisentra.gateway.upstream.WarmPool;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import java.net.InetSocketAddress;

/**
 * One more listener of a {@link GatewayServer} (a cluster node's endpoint): its port, its open connections, and how
 * it is retired (stop accepting, later close what is still open).
 */
public final class NodeListener {
    private final Channel server;
    private final ChannelGroup connections;
    /** Its warm pool ({@code UPSTREAM_POOL_SIZE}), or {@code null}. */
    private final WarmPool pool;

    NodeListener(Channel server, ChannelGroup connections, WarmPool pool) {
        this.server = server;
        this.connections = connections;
        this.pool = pool;
    }

    /** The bound port. */
    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Open client connections accepted here. */
    public int connections() {
        return connections.size();
    }

    /** Whether it still accepts connections. */
    public boolean accepting() {
        return server.isOpen();
    }

    /** Closes the listening socket and its warm pool; open connections continue. */
    public void stopAccepting() {
        server.close().syncUninterruptibly();
        if (pool != null) {
            pool.close();
        }
    }

    /** Closes every connection still open here (clients reconnect through the current topology). */
    public int closeConnections() {
        int n = connections.size();
        connections.close();
        return n;
    }
}
