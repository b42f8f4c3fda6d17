package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.cluster.Topology;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.testkit.AzureClusterStandIn;
import io.github.redisentra.testkit.RedisCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster mode's wiring against an OSS-clustered Azure cache, locally ({@link AzureClusterStandIn}: 3 masters and 3
 * replicas, TLS with a certificate naming only the cache host name, the gateway's managed identity as the ACL user,
 * connections cut when their token expires): {@code REDIS_CLUSTER=auto} finds the cluster, every node gets an endpoint
 * of its own bridged to that node, the endpoints stay authenticated across renewals of short upstream tokens, and a
 * node keeps its endpoint when its announced port changes. Upstream tokens live
 * {@code redisentra.cluster.gatewayTokenSeconds} seconds (default 20, renewed at half).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterGatewayIT {
    static final Duration LIFETIME = Duration.ofSeconds(Long.getLong("redisentra.cluster.gatewayTokenSeconds", 20));

    static ClusterTestBed bed;
    static AzureClusterStandIn cluster;
    static GatewayRuntime runtime;
    static int seedPort;

    static Map<String, String> env(String... kv) {
        List<String> all = new ArrayList<>(List.of(
                "REDIS_HOSTPORT",
                "127.0.0.1:" + cluster.seedPort(),
                "REDIS_HOSTNAME",
                cluster.cacheHostName(),
                "REDIS_CA_FILE",
                cluster.caFile().toString(),
                "REDIS_CLUSTER",
                "auto"));
        all.addAll(List.of(kv));
        return bed.env(all.toArray(String[]::new));
    }

    @BeforeAll
    static void start() throws Exception {
        bed = new ClusterTestBed();
        cluster = AzureClusterStandIn.builder()
                .objectId(bed.mi.objectId())
                .watch(bed.emu)
                .start();
        runtime = bed.gateway(env(), LIFETIME);
        runtime.start(RespListenerWiring::start);
        seedPort = runtime.listener().orElseThrow().localAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (runtime != null) {
            runtime.listener().ifPresent(l -> l.drainAndClose(Duration.ZERO));
            runtime.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (bed != null) {
            bed.close();
        }
    }

    static RedisCli signedIn(int port) {
        RedisCli c = RedisCli.connect("127.0.0.1", port);
        assertThat(c.callString("AUTH", bed.userToken())).isEqualTo("OK");
        return c;
    }

    /** Node endpoint port per node index, from /metrics. */
    static Map<String, Integer> endpoints() {
        return ClusterTestBed.nodeEndpoints(runtime.metrics().render());
    }

    static int endpointOf(AzureClusterStandIn.Node node) {
        Integer port = endpoints().get(Topology.shortId(node.id()));
        assertThat(port).as("endpoint of %s", node).isNotNull();
        return port;
    }

    @Test
    @Order(1)
    void everyNodeMastersAndReplicasHasAnEndpointBridgedToItAndTheSeedListenerToTheSeedNode() {
        Map<String, Integer> endpoints = endpoints();
        assertThat(endpoints).hasSize(AzureClusterStandIn.NODES);
        assertThat(endpoints.values()).doesNotHaveDuplicates().doesNotContain(seedPort);
        String metrics = runtime.metrics().render();
        assertThat(metrics)
                .contains(GatewayMetricsNames.CLUSTER_NODES + "{role=\"master\"} 3")
                .contains(GatewayMetricsNames.CLUSTER_NODES + "{role=\"replica\"} 3");
        for (AzureClusterStandIn.Node node : cluster.nodes()) {
            try (RedisCli c = signedIn(endpointOf(node))) {
                assertThat(c.callString("CLUSTER", "MYID"))
                        .as("endpoint of %s", node)
                        .isEqualTo(node.id());
                assertThat(c.callString("ACL", "WHOAMI")).isEqualTo(bed.mi.objectId());
            }
        }
        try (RedisCli c = signedIn(seedPort)) {
            assertThat(c.callString("CLUSTER", "MYID"))
                    .isEqualTo(cluster.node(0).id());
        }
    }

    @Test
    @Order(2)
    void aMastersEndpointServesItsSlotsAndAReplicasEndpointReadsAfterReadonly() throws Exception {
        String key = "{user1000}.following"; // slot 3443 hashes to node 0's range 0-5460
        int master = cluster.masterOf(3443);
        int replica = cluster.replicaOf(master);
        try (RedisCli m = signedIn(endpointOf(cluster.node(master)));
                RedisCli r = signedIn(endpointOf(cluster.node(replica)))) {
            assertThat(m.callString("CLUSTER", "KEYSLOT", key)).isEqualTo("3443");
            assertThat(m.callString("SET", key, "v")).isEqualTo("OK");
            assertThat(m.call("WAIT", "1", "5000")).isEqualTo(1L);
            assertThat(r.callString("READONLY")).isEqualTo("OK");
            assertThat(r.callString("GET", key)).isEqualTo("v");
        }
        String metrics = runtime.metrics().render();
        assertThat(metrics)
                .containsPattern("cluster_node_connections\\{node=\"[0-9a-f]{8}\",endpoint=\"127.0.0.1:\\d+\"} 0");
    }

    @Test
    @Order(3)
    void checkConfigShowsTheTopology() throws Exception {
        String token = bed.miToken(Duration.ofMinutes(5));
        GatewayConfig config = GatewayConfig.from(env(
                "LOCAL_REDIS_TOKEN", token, "REDIS_AAD_OBJECT_ID", bed.mi.objectId(), "LISTEN_ADDR", "127.0.0.1:7400"));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int status = ConfigCheck.run(config, new PrintStream(buf, true, StandardCharsets.UTF_8), Clock.systemUTC());
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(status).as(out).isZero();
        assertThat(out).contains("is a cluster of 6 nodes (3 masters); node endpoints at 127.0.0.1 on ports 7401-7432");
        for (AzureClusterStandIn.Node node : cluster.nodes()) {
            assertThat(out)
                    .containsPattern(
                            Topology.shortId(node.id()) + " (master slots [0-9-]+|replica of [0-9a-f]{8}): 127.0.0.1:"
                                    + node.announcedPort() + " -> 127.0.0.1:74\\d\\d");
        }
    }

    @Test
    @Order(4)
    void everyNodeEndpointStaysAuthenticatedAcrossThreeRenewalsOfShortUpstreamTokens() throws Exception {
        AtomicInteger renewals = new AtomicInteger();
        long cutBefore = cluster.connectionsCut();
        List<RedisCli> clients = new ArrayList<>();
        try (AutoCloseable sub = runtime.upstream().subscribe(t -> renewals.incrementAndGet())) {
            for (AzureClusterStandIn.Node node : cluster.nodes()) {
                clients.add(signedIn(endpointOf(node)));
            }
            long opened = System.nanoTime();
            long deadline = opened + LIFETIME.multipliedBy(3).toNanos();
            int pings = 0;
            // subscribe delivers the current token first: three renewals are four deliveries; and the token each
            // connection authenticated with must have expired meanwhile (the cache cuts connections at expiry)
            while (renewals.get() < 4
                    || System.nanoTime() - opened < LIFETIME.plusSeconds(1).toNanos()) {
                assertThat(System.nanoTime())
                        .as("three renewals within 3 lifetimes")
                        .isLessThan(deadline);
                for (RedisCli c : clients) {
                    assertThat(c.callString("PING")).isEqualTo("PONG");
                    pings++;
                }
                Thread.sleep(500); // one round of PINGs per half second while the tokens renew
            }
            for (RedisCli c : clients) {
                assertThat(c.callString("ACL", "WHOAMI")).isEqualTo(bed.mi.objectId());
            }
            assertThat(pings).isGreaterThan(6);
        } finally {
            clients.forEach(RedisCli::close);
        }
        assertThat(cluster.connectionsCut()).as("connections cut at expiry").isEqualTo(cutBefore);
    }

    @Test
    @Order(5)
    void aNodeKeepsItsEndpointWhenItsAnnouncedPortChanges() throws Exception {
        AzureClusterStandIn.Node node = cluster.node(cluster.replicaOf(cluster.masterOf(0)));
        int endpoint = endpointOf(node);
        int newPort = cluster.restartAnnouncingNewPort(node.index());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (RedisCli c = signedIn(endpoint)) {
                assertThat(c.callString("CLUSTER", "MYID")).isEqualTo(node.id());
                if (runtime.metrics().render().contains("node=\"127.0.0.1:" + newPort + "\"} 1")) {
                    break; // this connection went to the node's new port
                }
            }
            assertThat(System.nanoTime())
                    .as("the endpoint follows the node to port %d", newPort)
                    .isLessThan(deadline);
            Thread.sleep(200); // until the next topology refresh (every second here)
        }
        assertThat(endpointOf(node)).isEqualTo(endpoint);
        assertThat(endpoints()).hasSize(AzureClusterStandIn.NODES);
    }
}
