package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.cluster.Topology;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.testkit.AzureClusterStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisShardedPubSub;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.util.JedisClusterCRC16;

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

    static ClusterGateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new ClusterGateway("auto", LIFETIME);
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    static RedisCli signedIn(int port) {
        RedisCli c = RedisCli.connect("127.0.0.1", port);
        assertThat(c.callString("AUTH", gw.bed.userToken())).isEqualTo("OK");
        return c;
    }

    static int endpointOf(AzureClusterStandIn.Node node) {
        Integer port = gw.endpoints().get(Topology.shortId(node.id()));
        assertThat(port).as("endpoint of %s", node).isNotNull();
        return port;
    }

    @Test
    @Order(1)
    void everyNodeMastersAndReplicasHasAnEndpointBridgedToItAndTheSeedListenerToTheSeedNode() {
        Map<String, Integer> endpoints = gw.endpoints();
        assertThat(endpoints).hasSize(AzureClusterStandIn.NODES);
        assertThat(endpoints.values()).doesNotHaveDuplicates().doesNotContain(gw.seedPort);
        String metrics = gw.runtime.metrics().render();
        assertThat(metrics)
                .contains(GatewayMetricsNames.CLUSTER_NODES + "{role=\"master\"} 3")
                .contains(GatewayMetricsNames.CLUSTER_NODES + "{role=\"replica\"} 3");
        for (AzureClusterStandIn.Node node : gw.cluster.nodes()) {
            try (RedisCli c = signedIn(endpointOf(node))) {
                assertThat(c.callString("CLUSTER", "MYID"))
                        .as("endpoint of %s", node)
                        .isEqualTo(node.id());
                assertThat(c.callString("ACL", "WHOAMI")).isEqualTo(gw.bed.mi.objectId());
            }
        }
        try (RedisCli c = signedIn(gw.seedPort)) {
            assertThat(c.callString("CLUSTER", "MYID"))
                    .isEqualTo(gw.cluster.node(0).id());
        }
    }

    @Test
    @Order(2)
    void aMastersEndpointServesItsSlotsAndAReplicasEndpointReadsAfterReadonly() throws Exception {
        String key = "{user1000}.following"; // slot 3443 hashes to node 0's range 0-5460
        int master = gw.cluster.masterOf(3443);
        int replica = gw.cluster.replicaOf(master);
        try (RedisCli m = signedIn(endpointOf(gw.cluster.node(master)));
                RedisCli r = signedIn(endpointOf(gw.cluster.node(replica)))) {
            assertThat(m.callString("CLUSTER", "KEYSLOT", key)).isEqualTo("3443");
            assertThat(m.callString("SET", key, "v")).isEqualTo("OK");
            assertThat(m.call("WAIT", "1", "5000")).isEqualTo(1L);
            assertThat(r.callString("READONLY")).isEqualTo("OK");
            assertThat(r.callString("GET", key)).isEqualTo("v");
        }
        String metrics = gw.runtime.metrics().render();
        assertThat(metrics)
                .containsPattern("cluster_node_connections\\{node=\"[0-9a-f]{8}\",endpoint=\"127.0.0.1:\\d+\"} 0");
    }

    @Test
    @Order(3)
    void checkConfigShowsTheTopology() throws Exception {
        String token = gw.bed.miToken(Duration.ofMinutes(5));
        GatewayConfig config = GatewayConfig.from(gw.env(
                "LOCAL_REDIS_TOKEN",
                token,
                "REDIS_AAD_OBJECT_ID",
                gw.bed.mi.objectId(),
                "LISTEN_ADDR",
                "127.0.0.1:7400"));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int status = ConfigCheck.run(config, new PrintStream(buf, true, StandardCharsets.UTF_8), Clock.systemUTC());
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(status).as(out).isZero();
        assertThat(out).contains("is a cluster of 6 nodes (3 masters); node endpoints at 127.0.0.1 on ports 7401-7432");
        for (AzureClusterStandIn.Node node : gw.cluster.nodes()) {
            assertThat(out)
                    .containsPattern(
                            Topology.shortId(node.id()) + " (master slots [0-9-]+|replica of [0-9a-f]{8}): 127.0.0.1:"
                                    + node.announcedPort() + " -> 127.0.0.1:74\\d\\d");
        }
    }

    /** One key per hash slot. */
    static String[] keyPerSlot() {
        String[] keys = new String[SlotHash.SLOT_COUNT];
        int missing = keys.length;
        for (int i = 0; missing > 0; i++) {
            String key = "k" + i;
            int slot = SlotHash.getSlot(key);
            if (keys[slot] == null) {
                keys[slot] = key;
                missing--;
            }
        }
        return keys;
    }

    @Test
    @Order(4)
    void lettuceClusterClientThroughTheGateway() throws Exception {
        RedisClusterClient client = gw.lettuceClient(
                Duration.ofSeconds(60),
                ClusterTopologyRefreshOptions.builder()
                        .enableAllAdaptiveRefreshTriggers()
                        .build());
        try (StatefulRedisClusterConnection<String, String> c = client.connect();
                StatefulRedisClusterPubSubConnection<String, String> pubSub = client.connectPubSub()) {
            // the topology the client sees names gateway endpoints only, masters and replicas
            Set<String> seen = ClusterGateway.addresses(c);
            assertThat(seen).hasSize(AzureClusterStandIn.NODES).isEqualTo(gw.gatewayAddresses());

            // keys over all 16384 slots, pipelined in batches of 1024 (each command's wait stays bounded on a
            // loaded machine), read back in a spread sample (every write was acknowledged)
            String[] keys = keyPerSlot();
            RedisAdvancedClusterAsyncCommands<String, String> async = c.async();
            for (int from = 0; from < keys.length; from += 1024) {
                List<RedisFuture<String>> writes = new ArrayList<>();
                for (int i = from; i < from + 1024; i++) {
                    writes.add(async.set(keys[i], "v:" + keys[i]));
                }
                for (RedisFuture<String> w : writes) {
                    assertThat(w.get(30, TimeUnit.SECONDS)).isEqualTo("OK");
                }
            }
            List<RedisFuture<String>> reads = new ArrayList<>();
            for (int i = 0; i < keys.length; i += 8) {
                reads.add(async.get(keys[i]));
            }
            for (int i = 0; i < reads.size(); i++) {
                assertThat(reads.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("v:" + keys[i * 8]);
            }
            for (AzureClusterStandIn.Node node : gw.cluster.nodes()) {
                if (gw.cluster.isMaster(node.index())) {
                    assertThat((Long) node.server().cli().call("DBSIZE"))
                            .as("keys on %s", node)
                            .isGreaterThan(5000L);
                }
            }
            // MULTI on one slot, on the slot's node connection
            int slot = SlotHash.getSlot("{tx}");
            String nodeId = c.getPartitions().getPartitionBySlot(slot).getNodeId();
            RedisCommands<String, String> tx = c.getConnection(nodeId).sync();
            tx.multi();
            tx.incr("{tx}:a");
            tx.incr("{tx}:b");
            TransactionResult result = tx.exec();
            assertThat(result.wasDiscarded()).isFalse();
            assertThat(result).hasSize(2);

            // a blocking command, served when another connection pushes (the cluster connection shares one node
            // connection for the slot, so the push goes through a second one)
            RedisFuture<KeyValue<String, String>> popped = async.blpop(5, "queue{q}");
            Thread.sleep(200); // the BLPOP is waiting on its node
            try (StatefulRedisClusterConnection<String, String> pusher = client.connect()) {
                assertThat(pusher.sync().lpush("queue{q}", "job")).isEqualTo(1L);
            }
            assertThat(popped.get(10, TimeUnit.SECONDS).getValue()).isEqualTo("job");
            // pub/sub and sharded pub/sub
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            pubSub.addListener(new RedisClusterPubSubAdapter<>() {
                @Override
                public void message(RedisClusterNode node, String channel, String message) {
                    received.add(channel + "=" + message);
                }

                @Override
                public void smessage(RedisClusterNode node, String channel, String message) {
                    received.add("s:" + channel + "=" + message);
                }
            });
            pubSub.sync().subscribe("news");
            pubSub.sync().ssubscribe("orders{a}");
            c.sync().publish("news", "hello");
            c.sync().spublish("orders{a}", "o1");
            Set<String> messages = new HashSet<>();
            for (int i = 0; i < 2; i++) {
                messages.add(received.poll(10, TimeUnit.SECONDS));
            }
            assertThat(messages).containsExactlyInAnyOrder("news=hello", "s:orders{a}=o1");
            // after all of it (redirections, refreshes), still only gateway endpoints
            c.getPartitions()
                    .forEach(n ->
                            seen.add(n.getUri().getHost() + ":" + n.getUri().getPort()));
            client.refreshPartitions();
            c.getPartitions()
                    .forEach(n ->
                            seen.add(n.getUri().getHost() + ":" + n.getUri().getPort()));
            assertThat(seen).isEqualTo(gw.gatewayAddresses());
        } finally {
            client.shutdown();
        }
    }

    @Test
    @Order(5)
    void jedisClusterClientThroughTheGateway() throws Exception {
        JedisClientConfig config = DefaultJedisClientConfig.builder()
                .password(gw.bed.userToken())
                .protocol(RedisProtocol.RESP3)
                .socketTimeoutMillis(20_000)
                .build();
        try (redis.clients.jedis.RedisClusterClient client = redis.clients.jedis.RedisClusterClient.builder()
                .nodes(Set.of(new HostAndPort("127.0.0.1", gw.seedPort)))
                .clientConfig(config)
                .build()) {
            assertThat(client.getClusterNodes().keySet())
                    .isSubsetOf(gw.gatewayAddresses())
                    .hasSizeGreaterThanOrEqualTo(3);
            String[] keys = keyPerSlot();
            try (ClusterPipeline pipeline = client.pipelined()) {
                List<Response<String>> writes = new ArrayList<>();
                for (int i = 0; i < keys.length; i += 8) { // every 8th slot: all nodes (the Lettuce test does all)
                    writes.add(pipeline.set(keys[i], "j:" + keys[i]));
                }
                pipeline.sync();
                for (Response<String> w : writes) {
                    assertThat(w.get()).isEqualTo("OK");
                }
            }
            for (int i = 0; i < keys.length; i += 8 * 97) {
                assertThat(client.get(keys[i])).isEqualTo("j:" + keys[i]);
            }
            try (Connection connection = client.getConnectionFromSlot(JedisClusterCRC16.getSlot("{jtx}"))) {
                Transaction tx = new Transaction(connection, true, false);
                tx.incr("{jtx}:a");
                tx.incr("{jtx}:b");
                assertThat(tx.exec()).containsExactly(1L, 1L);
            }
            assertThat(client.blpop(1, "empty{q}")).isNull();
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            JedisShardedPubSub shard = new JedisShardedPubSub() {
                @Override
                public void onSMessage(String channel, String message) {
                    received.add(channel + "=" + message);
                }
            };
            Thread subscribing = new Thread(() -> client.ssubscribe(shard, "orders{b}"));
            subscribing.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!shard.isSubscribed()) {
                    assertThat(System.nanoTime()).as("subscribed within 10 s").isLessThan(deadline);
                    Thread.sleep(20); // until the SSUBSCRIBE is confirmed
                }
                assertThat(client.spublish("orders{b}", "o2")).isEqualTo(1L);
                assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("orders{b}=o2");
            } finally {
                shard.sunsubscribe();
                subscribing.join(10_000);
            }
            assertThat(client.getClusterNodes().keySet()).isSubsetOf(gw.gatewayAddresses());
        }
    }

    @Test
    @Order(6)
    void everyNodeEndpointStaysAuthenticatedAcrossThreeRenewalsOfShortUpstreamTokens() throws Exception {
        AtomicInteger renewals = new AtomicInteger();
        long cutBefore = gw.cluster.connectionsCut();
        List<RedisCli> clients = new ArrayList<>();
        try (AutoCloseable sub = gw.runtime.upstream().subscribe(t -> renewals.incrementAndGet())) {
            for (AzureClusterStandIn.Node node : gw.cluster.nodes()) {
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
                assertThat(c.callString("ACL", "WHOAMI")).isEqualTo(gw.bed.mi.objectId());
            }
            assertThat(pings).isGreaterThan(6);
        } finally {
            clients.forEach(RedisCli::close);
        }
        assertThat(gw.cluster.connectionsCut()).as("connections cut at expiry").isEqualTo(cutBefore);
    }

    @Test
    @Order(7)
    void aNodeKeepsItsEndpointWhenItsAnnouncedPortChanges() throws Exception {
        AzureClusterStandIn.Node node = gw.cluster.node(gw.cluster.replicaOf(gw.cluster.masterOf(0)));
        int endpoint = endpointOf(node);
        int newPort = gw.cluster.restartAnnouncingNewPort(node.index());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (RedisCli c = signedIn(endpoint)) {
                assertThat(c.callString("CLUSTER", "MYID")).isEqualTo(node.id());
                if (gw.runtime.metrics().render().contains("node=\"127.0.0.1:" + newPort + "\"} 1")) {
                    break; // this connection went to the node's new port
                }
            }
            assertThat(System.nanoTime())
                    .as("the endpoint follows the node to port %d", newPort)
                    .isLessThan(deadline);
            Thread.sleep(200); // until the next topology refresh (every second here)
        }
        assertThat(endpointOf(node)).isEqualTo(endpoint);
        assertThat(gw.endpoints()).hasSize(AzureClusterStandIn.NODES);
        java.util.regex.Matcher refreshes = java.util.regex.Pattern.compile("cluster_topology_refreshes_total (\\d+)")
                .matcher(gw.runtime.metrics().render());
        assertThat(refreshes.find()).isTrue();
        assertThat(Long.parseLong(refreshes.group(1)))
                .as("topology reads so far")
                .isPositive();
    }

    @Test
    @Order(8)
    void autoWithoutAnAnswerAtStartServesOneEndpointThenTurnsToClusterMode() throws Exception {
        // the gateway's identity answers only after ClusterWiring.AUTO_WAIT: the cache cannot be asked at start
        GatewayRuntime late = GatewayRuntime.create(
                GatewayConfig.from(gw.env("AUTH_TIMEOUT", "2m")),
                Clock.systemUTC(),
                gw.bed.identity(LIFETIME, ClusterWiring.AUTO_WAIT.plusSeconds(2)));
        try {
            late.start(RespListenerWiring::start);
            int port = late.listener().orElseThrow().localAddress().getPort();
            assertThat(ClusterTestBed.nodeEndpoints(late.metrics().render()))
                    .as("one endpoint at first")
                    .isEmpty();
            RedisCli early = RedisCli.connect("127.0.0.1", port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ClusterTestBed.nodeEndpoints(late.metrics().render()).size() < AzureClusterStandIn.NODES) {
                assertThat(System.nanoTime()).as("cluster mode within 30 s").isLessThan(deadline);
                Thread.sleep(100); // the background detection asks every CLUSTER_REFRESH_INTERVAL (1 s here)
            }
            while (!early.isClosedByServer()) {
                assertThat(System.nanoTime())
                        .as("a connection from before cluster mode is closed")
                        .isLessThan(deadline);
                Thread.sleep(100); // the close follows the node endpoints by a moment
            }
            early.close();
            Map<String, Integer> lateEndpoints =
                    ClusterTestBed.nodeEndpoints(late.metrics().render());
            try (RedisCli c = signedIn(port)) {
                String nodes = c.callString("CLUSTER", "NODES");
                for (AzureClusterStandIn.Node node : gw.cluster.nodes()) {
                    assertThat(nodes)
                            .contains(node.id() + " 127.0.0.1:" + lateEndpoints.get(Topology.shortId(node.id())) + "@")
                            .doesNotContain(":" + node.announcedPort() + "@");
                }
            }
        } finally {
            late.listener().ifPresent(l -> l.drainAndClose(Duration.ZERO));
            late.close();
        }
    }
}
