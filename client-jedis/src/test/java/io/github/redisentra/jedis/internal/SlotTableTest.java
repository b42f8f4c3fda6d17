package io.github.redisentra.jedis.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** {@link SlotTable} built from hand-written CLUSTER SLOTS replies, and {@link ClusterTopology}'s pools; no sockets. */
class SlotTableTest {
    static final String ASKED = "10.0.0.9";

    /** One node as CLUSTER SLOTS writes it: endpoint (bulk string), port, id, then metadata. */
    static List<Object> node(String endpoint, long port, Object... metadata) {
        List<Object> node = new ArrayList<>(Arrays.asList(bytes(endpoint), port, bytes("id-" + endpoint + "-" + port)));
        node.addAll(Arrays.asList(metadata));
        return node;
    }

    static Object bytes(String s) {
        return s == null ? null : s.getBytes(UTF_8);
    }

    @SafeVarargs
    static List<Object> range(long start, long end, List<Object>... nodes) {
        List<Object> range = new ArrayList<>(List.of(start, end));
        range.addAll(Arrays.asList(nodes));
        return range;
    }

    static final HostAndPort A = new HostAndPort("10.0.0.1", 7000);
    static final HostAndPort B = new HostAndPort("10.0.0.2", 7001);
    static final HostAndPort C = new HostAndPort("10.0.0.3", 7002);
    static final HostAndPort A1 = new HostAndPort("10.0.0.4", 7003);
    static final HostAndPort B1 = new HostAndPort("10.0.0.5", 7004);
    static final HostAndPort C1 = new HostAndPort("10.0.0.6", 7005);

    static List<Object> threeShards() {
        return List.of(
                range(0, 5460, node("10.0.0.1", 7000), node("10.0.0.4", 7003)),
                range(5461, 10922, node("10.0.0.2", 7001), node("10.0.0.5", 7004)),
                range(10923, 16383, node("10.0.0.3", 7002), node("10.0.0.6", 7005)));
    }

    @Test
    void threePrimariesWithReplicas() {
        SlotTable table = SlotTable.parse(threeShards(), ASKED);

        assertThat(table.primary(0)).isEqualTo(A);
        assertThat(table.primary(5460)).isEqualTo(A);
        assertThat(table.primary(5461)).isEqualTo(B);
        assertThat(table.primary(10922)).isEqualTo(B);
        assertThat(table.primary(10923)).isEqualTo(C);
        assertThat(table.primary(16383)).isEqualTo(C);
        assertThat(table.replicas(42)).containsExactly(A1);
        assertThat(table.replicas(6000)).containsExactly(B1);
        assertThat(table.replicas(16383)).containsExactly(C1);
        assertThat(table.primaries()).containsExactly(A, B, C);
        assertThat(table.nodes()).containsExactly(A, B, C, A1, B1, C1);
        assertThat(table.isEmpty()).isFalse();
    }

    @Test
    void primaryWithSeveralRangesAndReplicasIsListedOnce() {
        SlotTable table = SlotTable.parse(
                List.of(
                        range(0, 99, node("10.0.0.1", 7000), node("10.0.0.4", 7003)),
                        range(100, 199, node("10.0.0.2", 7001)),
                        range(200, 16383, node("10.0.0.1", 7000), node("10.0.0.4", 7003))),
                ASKED);

        assertThat(table.primaries()).containsExactly(A, B);
        assertThat(table.nodes()).containsExactly(A, B, A1);
        assertThat(table.primary(150)).isEqualTo(B);
        assertThat(table.replicas(150)).isEmpty();
        assertThat(table.replicas(300)).containsExactly(A1);
    }

    @Test
    void unknownOrEmptyEndpointMeansTheHostThatWasAsked() {
        SlotTable table = SlotTable.parse(
                List.of(
                        range(0, 8000, node("?", 7000)),
                        range(8001, 16000, node("", 7001)),
                        range(16001, 16383, node(null, 7002))),
                ASKED);

        assertThat(table.primary(0)).isEqualTo(new HostAndPort(ASKED, 7000));
        assertThat(table.primary(8001)).isEqualTo(new HostAndPort(ASKED, 7001));
        assertThat(table.primary(16383)).isEqualTo(new HostAndPort(ASKED, 7002));
    }

    @Test
    void hostNameEndpointsAreKeptWithTheirMetadataIgnored() {
        Object metadata = List.of(bytes("ip"), bytes("10.0.0.1"));
        SlotTable table = SlotTable.parse(
                List.of(range(
                        0,
                        16383,
                        node("shard-0.cache.example", 10000, metadata),
                        node("shard-1.cache.example", 10001, List.of()))),
                ASKED);

        assertThat(table.primary(1234)).isEqualTo(new HostAndPort("shard-0.cache.example", 10000));
        assertThat(table.replicas(1234)).containsExactly(new HostAndPort("shard-1.cache.example", 10001));
    }

    @Test
    void unassignedSlotsHaveNoNode() {
        SlotTable table = SlotTable.parse(
                List.of(range(0, 99, node("10.0.0.1", 7000)), range(200, 16382, node("10.0.0.2", 7001))), ASKED);

        assertThat(table.primary(99)).isEqualTo(A);
        assertThat(table.primary(100)).isNull();
        assertThat(table.primary(199)).isNull();
        assertThat(table.replicas(150)).isEmpty();
        assertThat(table.primary(200)).isEqualTo(B);
        assertThat(table.primary(16383)).isNull();
    }

    @Test
    void noRangesIsAnEmptyTable() {
        SlotTable table = SlotTable.parse(List.of(), ASKED);

        assertThat(table.isEmpty()).isTrue();
        assertThat(table.primary(0)).isNull();
        assertThat(table.nodes()).isEmpty();
    }

    @Test
    void malformedRepliesAreRejected() {
        assertThatThrownBy(() -> SlotTable.parse(bytes("ERR"), ASKED))
                .isInstanceOf(JedisClusterOperationException.class);
        assertThatThrownBy(() -> SlotTable.parse(List.of(List.of(0L, 10L)), ASKED))
                .isInstanceOf(JedisClusterOperationException.class);
        assertThatThrownBy(() -> SlotTable.parse(List.of(range(0, 16384, node("a", 1))), ASKED))
                .hasMessageContaining("16384");
        assertThatThrownBy(() -> SlotTable.parse(List.of(range(10, 5, node("a", 1))), ASKED))
                .hasMessageContaining("reversed");
        assertThatThrownBy(() -> SlotTable.parse(List.of(range(0, 5, List.of(bytes("a")))), ASKED))
                .isInstanceOf(JedisClusterOperationException.class);
    }

    @Test
    void departedNodesPoolIsClosedAndTheOthersAreKept() {
        ClusterTopology topology = new ClusterTopology(
                node -> new ConnectionPool(
                        node, DefaultJedisClientConfig.builder().build()),
                seed -> {
                    throw new JedisConnectionException("no sockets in this test");
                },
                Set.of(A),
                true,
                null);
        try {
            topology.publish(SlotTable.parse(threeShards(), ASKED));
            Map<String, ConnectionPool> before = topology.nodePools();
            assertThat(before)
                    .containsOnlyKeys(
                            "10.0.0.1:7000",
                            "10.0.0.2:7001",
                            "10.0.0.3:7002",
                            "10.0.0.4:7003",
                            "10.0.0.5:7004",
                            "10.0.0.6:7005");
            assertThat(topology.primaryPools()).containsOnlyKeys("10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:7002");
            assertThat(topology.shuffledPrimaryPools()).hasSize(3);
            assertThat(topology.shuffledNodePools()).hasSize(6);
            assertThat(topology.primaryPool(0)).isSameAs(before.get("10.0.0.1:7000"));
            assertThat(topology.replicaPools(0)).containsExactly(before.get("10.0.0.4:7003"));

            // C's replica was promoted (and came back on another port); C is gone.
            topology.publish(SlotTable.parse(
                    List.of(
                            range(0, 5460, node("10.0.0.1", 7000), node("10.0.0.4", 7003)),
                            range(5461, 10922, node("10.0.0.2", 7001), node("10.0.0.5", 7004)),
                            range(10923, 16383, node("10.0.0.6", 7005))),
                    ASKED));

            Map<String, ConnectionPool> after = topology.nodePools();
            assertThat(after).doesNotContainKey("10.0.0.3:7002");
            assertThat(before.get("10.0.0.3:7002").isClosed()).isTrue();
            assertThat(after.get("10.0.0.1:7000")).isSameAs(before.get("10.0.0.1:7000"));
            assertThat(after.get("10.0.0.6:7005")).isSameAs(before.get("10.0.0.6:7005"));
            assertThat(after.values()).noneMatch(ConnectionPool::isClosed);
            assertThat(topology.primaryOf(16383)).isEqualTo(C1);
            assertThat(topology.replicaPools(16383)).isEmpty();

            // A redirection target outside the table gets a pool, dropped at the next refresh that omits it.
            ConnectionPool extra = topology.pool(new HostAndPort("10.0.0.7", 7006));
            assertThat(topology.pool(new HostAndPort("10.0.0.7", 7006))).isSameAs(extra);
            topology.publish(SlotTable.parse(threeShards(), ASKED));
            assertThat(extra.isClosed()).isTrue();
        } finally {
            topology.close();
        }
        assertThat(topology.nodePools()).isEmpty();
        assertThat(topology.primaryOf(0)).isNull();
    }
}
