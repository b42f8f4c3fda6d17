package io.github.redisentra.gateway.cluster;

import java.util.List;
import java.util.Set;

/**
 * One upstream node as a line of {@code CLUSTER NODES} describes it.
 *
 * @param id the 40-character node id (stable across address and port changes)
 * @param host the announced address ({@code ip} field; empty when the node has no address yet)
 * @param port the client port (the TLS port on a {@code tls-cluster} cache)
 * @param busPort the cluster bus port
 * @param hostname the announced host name, or empty
 * @param flags {@code myself}, {@code master}, {@code slave}, {@code fail?}, {@code fail}, {@code handshake},
 *     {@code noaddr}, {@code nofailover}, {@code noflags}
 * @param masterId the id of the master a replica follows, or {@code null} for a master
 * @param slots the slot ranges a master serves (empty for replicas); migrating/importing markers are left out
 */
public record ClusterNode(
        String id,
        String host,
        int port,
        int busPort,
        String hostname,
        Set<String> flags,
        String masterId,
        List<SlotRange> slots) {

    public ClusterNode {
        flags = Set.copyOf(flags);
        slots = List.copyOf(slots);
    }

    public boolean master() {
        return flags.contains("master");
    }

    public boolean replica() {
        return flags.contains("slave");
    }

    public boolean myself() {
        return flags.contains("myself");
    }

    /** Failed, still in handshake, or without an address: not a node a client can use. */
    public boolean unusable() {
        return flags.contains("fail") || flags.contains("handshake") || flags.contains("noaddr") || host.isEmpty();
    }

    /** {@code host:port}, as a redirection names it. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
