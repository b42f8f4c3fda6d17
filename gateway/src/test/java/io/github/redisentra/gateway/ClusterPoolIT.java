package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.admin.GatewayMetrics;
import io.github.redisentra.gateway.cluster.Topology;
import io.github.redisentra.testkit.AzureClusterStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.netty.util.NettyRuntime;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm pool in cluster mode (issue #19): with {@code UPSTREAM_POOL_SIZE} every node endpoint keeps warm
 * connections to its own node (and the seed listener to the seed node), and a session on a node endpoint takes one of
 * that node's, authenticated as the gateway's identity. Against {@link AzureClusterStandIn} (3 masters, 3 replicas,
 * TLS, the managed identity as ACL user).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ClusterPoolIT {
    /** One per event loop and listener (Netty's default: two loops per CPU). */
    static final int SIZE = 2 * NettyRuntime.availableProcessors();

    static ClusterGateway gw;
    static ClusterTestBed bed;
    static AzureClusterStandIn cluster;
    static GatewayRuntime runtime;

    @BeforeAll
    static void start() throws Exception {
        gw = new ClusterGateway("on", Duration.ofMinutes(5), "UPSTREAM_POOL_SIZE", Integer.toString(SIZE));
        bed = gw.bed;
        cluster = gw.cluster;
        runtime = gw.runtime;
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    static long metric(String sample) {
        String prefix = GatewayMetrics.PREFIX + sample + " ";
        return runtime.metrics()
                .render()
                .lines()
                .filter(l -> l.startsWith(prefix))
                .mapToLong(l -> Long.parseLong(l.substring(prefix.length()).trim()))
                .sum();
    }

    @Test
    void everyNodeEndpointKeepsWarmConnectionsToItsOwnNodeAndASessionTakesOne() {
        int listeners = AzureClusterStandIn.NODES + 1; // the node endpoints and the seed listener
        await().atMost(Duration.ofSeconds(60))
                .until(() -> metric("upstream_pool_connections") == (long) SIZE * listeners);
        Map<String, Integer> endpoints =
                ClusterTestBed.nodeEndpoints(runtime.metrics().render());
        for (AzureClusterStandIn.Node node : cluster.nodes()) {
            long hits = metric("upstream_pool_takes_total{result=\"hit\"}");
            try (RedisCli c = RedisCli.connect("127.0.0.1", endpoints.get(Topology.shortId(node.id())))) {
                assertThat(c.callString("AUTH", bed.userToken())).isEqualTo("OK");
                assertThat(c.callString("CLUSTER", "MYID"))
                        .as("endpoint of %s", node)
                        .isEqualTo(node.id());
                assertThat(c.callString("ACL", "WHOAMI")).isEqualTo(bed.mi.objectId());
            }
            assertThat(metric("upstream_pool_takes_total{result=\"hit\"}"))
                    .as("a warm connection of %s's pool", node)
                    .isEqualTo(hits + 1);
        }
    }
}
