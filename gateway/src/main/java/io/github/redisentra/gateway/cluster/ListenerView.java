package io.github.redisentra.gateway.cluster;

import java.util.function.Supplier;

/**
 * One listener's {@link ClusterView}: the shared topology, and the node its sessions are bridged to (a node endpoint's
 * node, or for {@code LISTEN_ADDR} the node {@code REDIS_HOSTPORT} answered as).
 */
final class ListenerView implements ClusterView {
    private final ClusterTopology topology;
    private final Supplier<String> self;

    ListenerView(ClusterTopology topology, Supplier<String> self) {
        this.topology = topology;
        this.self = self;
    }

    @Override
    public NodeEndpoints endpoints() {
        return topology.current();
    }

    @Override
    public void refresh(Runnable done) {
        topology.refresh(done);
    }

    /** The node this listener is bridged to, as last read, or {@code null}. */
    @Override
    public ClusterNode self() {
        String id = self.get();
        Topology.Served s = id == null ? null : topology.current().node(id);
        return s == null ? null : s.node();
    }
}
