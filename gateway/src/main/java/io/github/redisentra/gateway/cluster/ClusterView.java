package io.github.redisentra.gateway.cluster;

/**
 * What a session of a cluster-transparent gateway needs from the topology: the current node-to-endpoint map, and a
 * way to have the topology re-read when a reply names a node the map does not know (a {@code -MOVED} to a new node
 * must not be forwarded before the gateway has an endpoint for it).
 */
public interface ClusterView {

    /** The current map; never {@code null}. Read on the session's event loop at the moment a reply is rewritten. */
    NodeEndpoints endpoints();

    /**
     * Re-reads the upstream topology now (coalesced with one already under way) and runs {@code done} once it has
     * been read and endpoints for any new nodes are listening, or once it failed. {@code done} may run on any thread.
     */
    void refresh(Runnable done);

    /**
     * The upstream node this session's listener is bridged to, or {@code null} when not known. Rewriting needs it for
     * what names "this node" without an address: a redirect to {@code :port} (the host the client is talking to) and
     * the {@code laddr=} of {@code CLIENT LIST} / {@code INFO}'s {@code tcp_port}. Added by {@code cluster-a}; the
     * wiring overrides it.
     */
    default ClusterNode self() {
        return null;
    }
}
