package io.github.redisentra.gateway.cluster;

import io.github.redisentra.gateway.config.HostPort;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One immutable view of the cache's nodes and where the gateway serves each: what sessions rewrite replies with
 * ({@link NodeEndpoints}) and what each node's dialer looks up (the node's current upstream address) at connect time.
 * Only nodes whose endpoint is listening are in it.
 */
public final class Topology implements NodeEndpoints {

    /** A served node: its latest description and its gateway endpoint. */
    public record Served(ClusterNode node, HostPort endpoint) {}

    public static final Topology EMPTY = new Topology(Map.of());

    private final Map<String, Served> byId;

    Topology(Map<String, Served> byId) {
        this.byId = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byId));
    }

    @Override
    public HostPort forNodeId(String nodeId) {
        Served s = byId.get(nodeId);
        return s == null ? null : s.endpoint();
    }

    /**
     * Matches the address a reply names: the node's IP or announced host name with its port; an empty or {@code ?} host
     * (the {@code unknown-endpoint} form, "the host you asked") matches by port when only one node has it.
     */
    @Override
    public HostPort forUpstream(String host, int port) {
        boolean anyHost = host == null || host.isEmpty() || host.equals("?");
        HostPort found = null;
        for (Served s : byId.values()) {
            ClusterNode n = s.node();
            if (n.port() != port) {
                continue;
            }
            if (anyHost) {
                if (found != null) {
                    return null; // ambiguous
                }
                found = s.endpoint();
            } else if (n.host().equalsIgnoreCase(strip(host)) || n.hostname().equalsIgnoreCase(host)) {
                return s.endpoint();
            }
        }
        return found;
    }

    private static String strip(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The served node with this id, or {@code null}. */
    public Served node(String nodeId) {
        return byId.get(nodeId);
    }

    /** Every served node, in the order the cache listed them. */
    public Collection<Served> nodes() {
        return byId.values();
    }

    public int size() {
        return byId.size();
    }

    /** One line per node: short id, role, slots, upstream address → gateway endpoint. */
    public List<String> describe() {
        return byId.values().stream()
                .map(s -> {
                    ClusterNode n = s.node();
                    String role = n.master() ? "master" : n.replica() ? "replica of " + shortId(n.masterId()) : "node";
                    String slots = n.slots().isEmpty()
                            ? ""
                            : " slots "
                                    + String.join(
                                            ",",
                                            n.slots().stream()
                                                    .map(SlotRange::toString)
                                                    .toList());
                    String state = n.unusable() ? " (" + String.join(",", n.flags()) + ")" : "";
                    return shortId(n.id()) + " " + role + slots + ": " + n.address() + " -> " + s.endpoint() + state;
                })
                .toList();
    }

    /** The first 8 characters of a node id, as logs and {@code --check-config} show it. */
    public static String shortId(String id) {
        return id == null ? "-" : id.length() <= 8 ? id : id.substring(0, 8);
    }
}
