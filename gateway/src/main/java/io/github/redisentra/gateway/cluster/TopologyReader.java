package io.github.redisentra.gateway.cluster;

import io.github.redisentra.gateway.config.HostPort;
import io.github.redisentra.gateway.resp.RespConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Reads {@code CLUSTER NODES} from the seed ({@code REDIS_HOSTPORT}), else from each usable known node in turn. */
final class TopologyReader {

    /** What was read, and whether the seed answered (then its {@code myself} line is the seed's node). */
    record Answer(List<ClusterNode> nodes, boolean fromSeed) {}

    private final HostPort seed;
    private final ClusterTopology.NodeConnector connector;

    TopologyReader(HostPort seed, ClusterTopology.NodeConnector connector) {
        this.seed = Objects.requireNonNull(seed, "seed");
        this.connector = Objects.requireNonNull(connector, "connector");
    }

    /** @throws Exception the last node's failure when none answered with a usable topology */
    Answer read(Topology known) throws Exception {
        List<HostPort> candidates = new ArrayList<>();
        candidates.add(seed);
        for (Topology.Served s : known.nodes()) {
            if (!s.node().unusable()) {
                candidates.add(new HostPort(s.node().host(), s.node().port()));
            }
        }
        Exception last = null;
        for (HostPort node : candidates) {
            try (RespConnection c = connector.open(node)) {
                Object text = c.call("CLUSTER", "NODES");
                if (!(text instanceof String s)) {
                    throw new IllegalStateException(c.address() + " answered CLUSTER NODES with " + text);
                }
                List<ClusterNode> nodes = ClusterNodes.parse(s);
                if (nodes.stream().noneMatch(n -> n.master() && !n.slots().isEmpty())) {
                    throw new IllegalStateException(c.address() + " lists no master serving slots");
                }
                return new Answer(nodes, node == seed);
            } catch (Exception e) {
                last = e;
            }
        }
        throw last;
    }
}
