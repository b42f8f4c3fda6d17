package io.github.redisentra.gateway.cluster;

import io.github.redisentra.gateway.config.HostPort;

/**
 * Where the gateway serves each upstream node: the address a client must be given instead of the node's own. A node
 * keeps its gateway endpoint while its upstream address or port changes (keyed by node id).
 */
public interface NodeEndpoints {

    /** The gateway endpoint for the node with this id, or {@code null} when the gateway does not serve it (yet). */
    HostPort forNodeId(String nodeId);

    /**
     * The gateway endpoint for the node upstream at {@code host:port} (as a reply names it: an IP, or the announced
     * host name), or {@code null} when no known node has that address.
     */
    HostPort forUpstream(String host, int port);
}
