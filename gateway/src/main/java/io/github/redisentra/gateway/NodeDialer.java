package io.github.redisentra.gateway;

import io.github.redisentra.gateway.cluster.ClusterNode;
import io.github.redisentra.gateway.cluster.Topology;
import io.github.redisentra.gateway.upstream.ReplySink;
import io.github.redisentra.gateway.upstream.UpstreamDialer;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Dials one cluster node at its address in the topology at connect time (a node that moved upstream is followed), over
 * TLS with SNI and host-name verification against the cache's host name ({@code REDIS_HOSTNAME}): certificates never
 * name the nodes' IP addresses.
 */
final class NodeDialer implements UpstreamDialer {
    private final String nodeId;
    private final Supplier<Topology> topology;
    private final GatewayServer server;
    private final SslContext tls;
    private final String verifyHostName;
    private final Duration connectTimeout;
    private volatile UpstreamEndpoint last;
    /** Set once the node is in the published topology; before that its listener is open but not advertised. */
    private volatile boolean opened;

    NodeDialer(
            ClusterNode node,
            Supplier<Topology> topology,
            GatewayServer server,
            SslContext tls,
            String verifyHostName,
            Duration connectTimeout) {
        this.nodeId = node.id();
        this.topology = topology;
        this.server = server;
        this.tls = tls;
        this.verifyHostName = verifyHostName;
        this.connectTimeout = connectTimeout;
        this.last = new UpstreamEndpoint(node.host(), node.port(), tls, verifyHostName, connectTimeout);
    }

    @Override
    public Future<Channel> connect(EventLoop loop, ReplySink sink) {
        UpstreamEndpoint to = endpoint();
        if (topology.get().node(nodeId) == null && opened) {
            return loop.newFailedFuture(
                    new IOException("cache node " + Topology.shortId(nodeId) + " left the cluster"));
        }
        return server.connector(to).connect(loop, sink);
    }

    /** The node's current upstream address (the last known one once it left the topology). */
    @Override
    public UpstreamEndpoint endpoint() {
        Topology.Served s = topology.get().node(nodeId);
        if (s == null || s.node().host().isEmpty()) {
            return last;
        }
        opened = true;
        UpstreamEndpoint e = last;
        if (e == null
                || !e.host().equals(s.node().host())
                || e.port() != s.node().port()) {
            e = new UpstreamEndpoint(s.node().host(), s.node().port(), tls, verifyHostName, connectTimeout);
            last = e;
        }
        return e;
    }
}
