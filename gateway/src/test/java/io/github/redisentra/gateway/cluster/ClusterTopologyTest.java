package io.github.redisentra.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.config.ClusterSettings;
import io.github.redisentra.gateway.config.HostPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClusterTopologyTest {
    static final String A = "a".repeat(40);
    static final String B = "b".repeat(40);
    static final String C = "c".repeat(40);
    static final String D = "d".repeat(40);

    /** Node listeners that record what happens and check that nothing is advertised before it listens. */
    static final class Listeners implements ClusterTopology.NodeListeners {
        ClusterTopology topology;
        final List<String> events = new ArrayList<>();
        final Set<Integer> taken = new HashSet<>();

        @Override
        public int open(ClusterNode node, int port) throws Exception {
            if (taken.contains(port)) {
                throw new java.net.BindException("Address already in use");
            }
            assertThat(topology.endpoints().forNodeId(node.id()))
                    .as("not advertised before it listens")
                    .isNull();
            events.add("open " + node.id().charAt(0) + " " + port);
            return port;
        }

        @Override
        public void retire(String nodeId, Duration grace) {
            events.add("retire " + nodeId.charAt(0) + " " + grace.toSeconds());
        }
    }

    static ClusterTopology topology(Listeners l, int first, int last) {
        ClusterSettings s = new ClusterSettings(
                ClusterSettings.Mode.ON,
                new ClusterSettings.PortRange(first, last),
                Optional.of("gw.example"),
                Duration.ofSeconds(5),
                Duration.ofSeconds(30));
        ClusterTopology t = new ClusterTopology(
                new HostPort("cache.example", 10000),
                node -> {
                    throw new java.io.IOException("not in this test");
                },
                l,
                s);
        l.topology = t;
        return t;
    }

    static List<ClusterNode> nodes(String text) {
        return ClusterNodes.parse(text);
    }

    static final String THREE = A + " 10.0.0.1:8501@18501 myself,master - 0 0 1 connected 0-8191\n"
            + B + " 10.0.0.2:8502@18502 master - 0 0 2 connected 8192-16383\n"
            + C + " 10.0.0.1:8503@18503 slave " + A + " 0 0 1 connected\n";

    @Test
    void everyNodeGetsAnEndpointOfItsOwnReplicasToo() {
        Listeners l = new Listeners();
        ClusterTopology t = topology(l, 7001, 7010);
        t.apply(nodes(THREE));
        assertThat(l.events).containsExactly("open a 7001", "open b 7002", "open c 7003");
        NodeEndpoints e = t.endpoints();
        assertThat(e.forNodeId(A)).isEqualTo(new HostPort("gw.example", 7001));
        assertThat(e.forNodeId(C)).isEqualTo(new HostPort("gw.example", 7003));
        assertThat(e.forUpstream("10.0.0.2", 8502)).isEqualTo(new HostPort("gw.example", 7002));
        assertThat(e.forUpstream("10.0.0.2", 8501)).isNull();
        assertThat(e.forUpstream("", 8503)).as("unknown-endpoint form: by port").isEqualTo(e.forNodeId(C));
        assertThat(e.forNodeId(D)).isNull();
        assertThat(t.current().describe())
                .first()
                .asString()
                .isEqualTo("aaaaaaaa master slots 0-8191: 10.0.0.1:8501 -> gw.example:7001");
    }

    @Test
    void aNodeKeepsItsEndpointWhenItsUpstreamPortChanges() {
        Listeners l = new Listeners();
        ClusterTopology t = topology(l, 7001, 7010);
        t.apply(nodes(THREE));
        t.apply(nodes(THREE.replace("10.0.0.2:8502@18502", "10.0.0.9:8599@18599")));
        assertThat(l.events).hasSize(3); // nothing opened or retired
        assertThat(t.endpoints().forNodeId(B)).isEqualTo(new HostPort("gw.example", 7002));
        assertThat(t.endpoints().forUpstream("10.0.0.9", 8599)).isEqualTo(new HostPort("gw.example", 7002));
        assertThat(t.endpoints().forUpstream("10.0.0.2", 8502)).isNull();
        assertThat(t.current().node(B).node().port()).as("the dialer's address").isEqualTo(8599);
    }

    @Test
    void aDepartedNodeIsRetiredAndItsPortNotReusedDuringTheGrace() {
        Listeners l = new Listeners();
        ClusterTopology t = topology(l, 7001, 7010);
        t.apply(nodes(THREE));
        String withoutC = THREE.substring(0, THREE.indexOf(C));
        t.apply(nodes(withoutC + D + " 10.0.0.3:8504@18504 slave " + A + " 0 0 1 connected\n"));
        assertThat(l.events).containsExactly("open a 7001", "open b 7002", "open c 7003", "open d 7004", "retire c 30");
        assertThat(t.endpoints().forNodeId(C)).isNull();
        assertThat(t.endpoints().forNodeId(D)).isEqualTo(new HostPort("gw.example", 7004));
    }

    @Test
    void aTakenPortIsSkippedAndAFullRangeLeavesTheNodeUnadvertised() {
        Listeners l = new Listeners();
        l.taken.add(7001);
        ClusterTopology t = topology(l, 7001, 7003);
        t.apply(nodes(THREE));
        assertThat(l.events).containsExactly("open a 7002", "open b 7003");
        assertThat(t.endpoints().forNodeId(C)).isNull();
        assertThat(t.refreshFailures()).isEqualTo(1);
        assertThat(t.lastProblem()).contains("no free port left in CLUSTER_LISTEN_PORTS 7001-7003");
    }

    @Test
    void aNodeWithoutAnAddressIsServedOnceItHasOne() {
        Listeners l = new Listeners();
        ClusterTopology t = topology(l, 7001, 7010);
        String handshake = THREE + D + " :0@0 handshake,noaddr - 0 0 0 disconnected\n";
        t.apply(nodes(handshake));
        assertThat(t.endpoints().forNodeId(D)).isNull();
        t.apply(nodes(THREE + D + " 10.0.0.4:8505@18505 master - 0 0 0 connected\n"));
        assertThat(t.endpoints().forNodeId(D)).isEqualTo(new HostPort("gw.example", 7004));
    }

    @Test
    void portsAreGivenInNodeIdOrderWhateverOrderTheCacheListsThem() {
        Listeners l = new Listeners();
        ClusterTopology t = topology(l, 7001, 7010);
        List<String> lines = new ArrayList<>(THREE.lines().toList());
        java.util.Collections.reverse(lines);
        t.apply(nodes(String.join("\n", lines)));
        assertThat(l.events).containsExactly("open a 7001", "open b 7002", "open c 7003");
        assertThat(t.current().describe()).first().asString().startsWith("cccccccc replica of aaaaaaaa:");
    }

    @Test
    void eachListenersViewNamesItsNodeAndTheSeedsViewTheNodeTheSeedAnsweredAs() throws Exception {
        Listeners l = new Listeners();
        ClusterTopology t = topology(l, 7001, 7010);
        try {
            t.start(nodes(THREE)); // as detection read it from the seed: A is "myself"
            assertThat(t.viewOf(C).self().id()).isEqualTo(C);
            assertThat(t.viewOf(B).endpoints().forNodeId(A)).isEqualTo(new HostPort("gw.example", 7001));
            assertThat(t.seedView().self().id()).isEqualTo(A);
            assertThat(t.viewOf(D).self()).isNull();
        } finally {
            t.close();
        }
    }
}
