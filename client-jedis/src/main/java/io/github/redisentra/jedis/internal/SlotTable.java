package io.github.redisentra.jedis.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.exceptions.JedisClusterOperationException;

/**
 * One immutable view of a cluster's topology, as one node described it in its {@code CLUSTER SLOTS} reply: which
 * primary serves each of the 16384 hash slots and which replicas follow it.
 *
 * <p>Built by the pure function {@link #parse}; {@link ClusterTopology} publishes a new table on every refresh, so readers
 * never lock. Slots no range covers map to no node.
 */
final class SlotTable {
    static final int SLOTS = 16384;
    private static final int NONE = -1;

    static final SlotTable EMPTY = new SlotTable(List.of(), List.of(), emptySlots(), List.of(), emptySlots());

    /** Every node, primaries first, each once. */
    private final List<HostAndPort> nodes;

    private final List<HostAndPort> primaries;
    /** Per slot: index into {@link #nodes} of its primary, or {@link #NONE}. */
    private final int[] primaryBySlot;
    /** Distinct replica sets, each once. */
    private final List<List<HostAndPort>> replicaSets;
    /** Per slot: index into {@link #replicaSets}, or {@link #NONE} if the slot's primary has no replica. */
    private final int[] replicaSetBySlot;

    private SlotTable(
            List<HostAndPort> nodes,
            List<HostAndPort> primaries,
            int[] primaryBySlot,
            List<List<HostAndPort>> replicaSets,
            int[] replicaSetBySlot) {
        this.nodes = nodes;
        this.primaries = primaries;
        this.primaryBySlot = primaryBySlot;
        this.replicaSets = replicaSets;
        this.replicaSetBySlot = replicaSetBySlot;
    }

    private static int[] emptySlots() {
        int[] slots = new int[SLOTS];
        Arrays.fill(slots, NONE);
        return slots;
    }

    /**
     * Reads a {@code CLUSTER SLOTS} reply: a list of {@code [start, end, primary, replica...]} where each node is
     * {@code [endpoint, port, id, metadata...]}. An endpoint of {@code ?}, empty or null names the host of the node
     * that was asked ({@code askedHost}).
     *
     * @throws JedisClusterOperationException if the reply does not have that shape
     */
    static SlotTable parse(Object reply, String askedHost) {
        if (!(reply instanceof List<?> ranges)) {
            throw malformed("reply is not an array");
        }
        List<Range> parsed = new ArrayList<>(ranges.size());
        for (Object entry : ranges) {
            if (!(entry instanceof List<?> range) || range.size() < 3) {
                throw malformed("slot range is not [start, end, primary, ...]");
            }
            int start = slot(range.get(0));
            int end = slot(range.get(1));
            if (start > end) {
                throw malformed("slot range " + start + "-" + end + " is reversed");
            }
            List<HostAndPort> replicas = new ArrayList<>(range.size() - 3);
            for (int i = 3; i < range.size(); i++) {
                replicas.add(node(range.get(i), askedHost));
            }
            parsed.add(new Range(start, end, node(range.get(2), askedHost), List.copyOf(replicas)));
        }

        // Nodes: primaries first, then replicas; each node, and each distinct replica set, once.
        Map<HostAndPort, Integer> nodeIndex = new LinkedHashMap<>();
        for (Range range : parsed) {
            nodeIndex.putIfAbsent(range.primary, nodeIndex.size());
        }
        List<HostAndPort> primaries = List.copyOf(nodeIndex.keySet());
        for (Range range : parsed) {
            for (HostAndPort replica : range.replicas) {
                nodeIndex.putIfAbsent(replica, nodeIndex.size());
            }
        }
        Map<List<HostAndPort>, Integer> replicaSetIndex = new LinkedHashMap<>();
        int[] primaryBySlot = emptySlots();
        int[] replicaSetBySlot = emptySlots();
        for (Range range : parsed) {
            Arrays.fill(primaryBySlot, range.start, range.end + 1, nodeIndex.get(range.primary));
            if (!range.replicas.isEmpty()) {
                int set = replicaSetIndex.computeIfAbsent(range.replicas, k -> replicaSetIndex.size());
                Arrays.fill(replicaSetBySlot, range.start, range.end + 1, set);
            } else {
                Arrays.fill(replicaSetBySlot, range.start, range.end + 1, NONE);
            }
        }
        return new SlotTable(
                List.copyOf(nodeIndex.keySet()),
                primaries,
                primaryBySlot,
                List.copyOf(replicaSetIndex.keySet()),
                replicaSetBySlot);
    }

    private record Range(int start, int end, HostAndPort primary, List<HostAndPort> replicas) {}

    private static int slot(Object value) {
        if (!(value instanceof Number n)) {
            throw malformed("slot number is not an integer");
        }
        long slot = n.longValue();
        if (slot < 0 || slot >= SLOTS) {
            throw malformed("slot " + slot + " is out of range");
        }
        return (int) slot;
    }

    private static HostAndPort node(Object value, String askedHost) {
        if (!(value instanceof List<?> fields) || fields.size() < 2) {
            throw malformed("node is not [endpoint, port, ...]");
        }
        String endpoint = text(fields.get(0));
        if (endpoint == null || endpoint.isEmpty() || endpoint.equals("?")) {
            endpoint = askedHost;
        }
        if (!(fields.get(1) instanceof Number port)) {
            throw malformed("node port is not an integer");
        }
        return new HostAndPort(endpoint, port.intValue());
    }

    private static String text(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (value instanceof CharSequence chars) {
            return chars.toString();
        }
        throw malformed("node endpoint is not a string");
    }

    private static JedisClusterOperationException malformed(String why) {
        return new JedisClusterOperationException("Unexpected CLUSTER SLOTS reply: " + why);
    }

    /** True if no slot is assigned (a node outside a cluster, or one that knows no topology yet). */
    boolean isEmpty() {
        return primaries.isEmpty();
    }

    /** The primary serving {@code slot}, or null if no node does. */
    HostAndPort primary(int slot) {
        int i = primaryBySlot[slot];
        return i == NONE ? null : nodes.get(i);
    }

    /** The replicas following {@code slot}'s primary (possibly empty). */
    List<HostAndPort> replicas(int slot) {
        int i = replicaSetBySlot[slot];
        return i == NONE ? List.of() : replicaSets.get(i);
    }

    /** Every primary that serves at least one slot. */
    List<HostAndPort> primaries() {
        return primaries;
    }

    /** Every node named in the reply, primaries first. */
    List<HostAndPort> nodes() {
        return nodes;
    }
}
