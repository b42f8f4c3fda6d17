package io.github.redisentra.jedis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.Faults;
import io.github.redisentra.testkit.AcknowledgedWriter;
import io.github.redisentra.testkit.AzureClusterStandIn;
import io.github.redisentra.testkit.ClusterITBase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.DefaultRedisCredentials;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.JedisShardedPubSub;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisCredentialsProvider;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * {@link EntraJedisCluster} straight against an OSS-clustered Azure cache, locally: a 3-master / 3-replica TLS cluster
 * whose every node accepts only the signed-in user's current tokens, cuts connections at token expiry and presents a
 * certificate naming only the cache host name. Tokens live {@code redisentra.cluster.tokenSeconds} seconds (default 8).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class JedisClusterIT extends ClusterITBase {
    final Map<String, AtomicLong> reauthByConnection = new ConcurrentHashMap<>();
    final List<Throwable> reauthFailures = new CopyOnWriteArrayList<>();

    static JedisClientConfig tlsConfig() {
        return DefaultJedisClientConfig.builder()
                .ssl(true)
                .sslSocketFactory(cluster.trustingSslContext().getSocketFactory())
                .socketTimeoutMillis(10_000)
                .build();
    }

    EntraJedisCluster.Builder builder() {
        return EntraJedisCluster.builder(refresher)
                .node(new HostAndPort(cluster.host(), cluster.seedPort()))
                .clientConfig(tlsConfig())
                .listener(new ReauthenticationListener() {
                    @Override
                    public void onReauthenticated(String connectionId, String tokenFingerprint) {
                        reauthByConnection
                                .computeIfAbsent(connectionId, k -> new AtomicLong())
                                .incrementAndGet();
                    }

                    @Override
                    public void onReauthenticationFailed(String connectionId, Throwable cause) {
                        reauthFailures.add(cause);
                    }
                });
    }

    RedisClusterClient client() {
        RedisClusterClient client =
                builder().tlsServerName(cluster.cacheHostName()).build();
        cleanup.add(client);
        return client;
    }

    /**
     * {@code firstTokenWait(ZERO)} (the Spring Boot wiring without fail-fast): building returns while the identity
     * provider is down, without the topology; commands fail with the token error, then work once a token arrives.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void withZeroFirstTokenWaitTheClientIsBuiltWhileTheIdentityProviderIsDownAndWorksOnceATokenArrives() {
        azure.emu.faults().outage(Endpoint.TOKEN, Faults.OutageMode.CONNECTION_DROP);
        try (TokenRefresher late = TokenRefresher.builder(id.source)
                .policy(RefreshPolicy.builder()
                        .refreshRatio(0.5)
                        .lowerBound(Duration.ZERO)
                        .minimumDelay(Duration.ofSeconds(2))
                        .initialBackoff(Duration.ofMillis(500))
                        .maxBackoff(Duration.ofSeconds(1))
                        .build())
                .build()) {
            RedisClusterClient client = assertTimeoutPreemptively(
                    Duration.ofSeconds(20),
                    () -> EntraJedisCluster.builder(late)
                            .node(new HostAndPort(cluster.host(), cluster.seedPort()))
                            .clientConfig(tlsConfig())
                            .tlsServerName(cluster.cacheHostName())
                            .firstTokenWait(Duration.ZERO)
                            .build());
            cleanup.add(client);
            assertThat(late.firstToken()).as("built without the first token").isNotDone();
            assertThat(client.getClusterNodes()).as("topology not loaded yet").isEmpty();
            assertThat(EntraJedisCluster.openConnections(client)).isZero();
            assertThatThrownBy(() -> client.set("lazy", "v"))
                    .isInstanceOf(JedisException.class)
                    .hasMessageContaining("No cluster topology yet");

            azure.emu.faults().outage(Endpoint.TOKEN, false);
            await().atMost(Duration.ofSeconds(30)).until(() -> late.firstToken().isDone());
            await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .until(() -> "OK".equals(client.set("lazy", "v")));
            assertThat(client.get("lazy")).isEqualTo("v");
            assertThat(client.getClusterNodes()).as("topology loaded").isNotEmpty();
            assertThat(EntraJedisCluster.connectionsOnExpiredTokens(client)).isZero();
        } finally {
            azure.emu.faults().outage(Endpoint.TOKEN, false);
        }
    }

    @Test
    void withoutTheCacheHostNameTheCertificateCheckFails() {
        // Host-name verification against the dialled IP: the certificate names only the cache host.
        JedisClientConfig tls = DefaultJedisClientConfig.builder()
                .ssl(true)
                .sslSocketFactory(cluster.trustingSslContext().getSocketFactory())
                .sslParameters(EntraJedisCluster.sslParameters(null, "not-the-cache.example"))
                .build();
        assertThatThrownBy(() -> builder().clientConfig(tls).build()).isInstanceOf(RuntimeException.class);
    }

    /** The control: Jedis's own cluster client, current token at each handshake only, is cut at token expiry. */
    @Test
    void jedissOwnClusterClientIsCutAtTokenExpiry() {
        JedisClientConfig config = DefaultJedisClientConfig.builder()
                .ssl(true)
                .sslSocketFactory(cluster.trustingSslContext().getSocketFactory())
                .sslParameters(EntraJedisCluster.sslParameters(null, cluster.cacheHostName()))
                .credentialsProvider((RedisCredentialsProvider) () -> new DefaultRedisCredentials(
                        id.user.objectId(), refresher.current().orElseThrow().secret()))
                .protocol(RedisProtocol.RESP3)
                .build();
        RedisClusterClient plain = RedisClusterClient.builder()
                .nodes(Set.of(new HostAndPort(cluster.host(), cluster.seedPort())))
                .clientConfig(config)
                .build();
        cleanup.add(plain);
        long before = cluster.connectionsCut();
        assertThat(plain.set("control", "v")).isEqualTo("OK");
        await().atMost(LIFETIME.plusSeconds(10))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    try {
                        plain.get("control");
                    } catch (RuntimeException e) {
                        // the cut connection's command; Jedis retries on a new one
                    }
                    return cluster.connectionsCut() > before;
                });
    }

    @Test
    void everyNodeConnectionStaysAuthenticatedAcrossRenewals() throws Exception {
        RedisClusterClient client = client();
        for (AzureClusterStandIn.Node node : cluster.nodes()) {
            node.server().cli().call("CONFIG", "RESETSTAT");
        }
        long cutBefore = cluster.connectionsCut();
        long renewalsBefore = renewals.get();
        Instant until = Instant.now().plus(LIFETIME.multipliedBy(2)).plusSeconds(1);
        try (Connection connection = client.getConnectionFromSlot(0)) {
            assertThat(connection.executeCommand(new CommandObject<>(
                            new CommandArguments(Protocol.Command.ACL).add("WHOAMI"), BuilderFactory.STRING)))
                    .isEqualTo(id.user.objectId());
        }

        String[] keys = keyPerSlot(JedisClusterCRC16::getSlot);
        try (ClusterPipeline pipeline = client.pipelined()) {
            List<Response<String>> writes = new ArrayList<>();
            for (String key : keys) {
                writes.add(pipeline.set(key, key));
            }
            pipeline.sync();
            for (Response<String> write : writes) {
                assertThat(write.get()).isEqualTo("OK");
            }
        }

        AtomicLong messages = new AtomicLong();
        JedisPubSub subscriber = new JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                messages.incrementAndGet();
            }
        };
        AtomicLong shardMessages = new AtomicLong();
        JedisShardedPubSub shardSubscriber = new JedisShardedPubSub() {
            @Override
            public void onSMessage(String channel, String message) {
                shardMessages.incrementAndGet();
            }
        };
        Thread subscribing = new Thread(() -> client.subscribe(subscriber, "news"));
        Thread shardSubscribing = new Thread(() -> client.ssubscribe(shardSubscriber, "orders{a}"));
        subscribing.start();
        shardSubscribing.start();
        cleanup.add(() -> {
            if (subscriber.isSubscribed()) {
                subscriber.unsubscribe();
            }
            if (shardSubscriber.isSubscribed()) {
                shardSubscriber.sunsubscribe();
            }
            subscribing.join(10_000);
            shardSubscribing.join(10_000);
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> subscriber.isSubscribed() && shardSubscriber.isSubscribed());

        int txSlot = JedisClusterCRC16.getSlot("{tx}");
        long published = 0;
        long shardPublished = 0;
        long transactions = 0;
        int round = 0;
        Instant roundsUntil = roundsUntil(until);
        while (anotherRound(roundsUntil, renewalsBefore)) {
            round++;
            setAndGetRound(keys, round, client::set, client::get);
            try (ClusterPipeline pipeline = client.pipelined()) {
                List<Response<Long>> incrs = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    incrs.add(pipeline.incr("pipe:" + i));
                }
                pipeline.sync();
                for (Response<Long> r : incrs) {
                    assertThat(r.get()).isPositive();
                }
            }
            // MULTI on one slot: RedisClusterClient refuses transactions, a slot's connection runs one.
            try (Connection connection = client.getConnectionFromSlot(txSlot)) {
                Transaction tx = new Transaction(connection, true, false);
                tx.incr("{tx}:a");
                tx.incr("{tx}:b");
                List<Object> result = tx.exec();
                assertThat(result).hasSize(2);
                transactions++;
            }
            published += client.publish("news", "m" + round) >= 0 ? 1 : 0;
            shardPublished += client.spublish("orders{a}", "s" + round) > 0 ? 1 : 0;
            Thread.sleep(100); // pacing: the test is about time passing across renewals
        }
        awaitCount("messages", messages, published);
        awaitCount("shard messages", shardMessages, shardPublished);
        keysKept(keys, transactions, client::get);

        Map<Integer, Long> authsByNode = authCallsByNode();
        System.out.printf(
                "Jedis cluster: %d renewals of %s tokens over %d rounds; AUTH calls per node %s; re-auth events per"
                        + " connection %s; %d transactions, %d/%d messages, %d/%d shard messages; %d open"
                        + " connections, %d on expired tokens; %d connections cut%n",
                renewals.get() - renewalsBefore,
                LIFETIME,
                round,
                authsByNode,
                reauthByConnection.values().stream()
                        .map(AtomicLong::get)
                        .sorted()
                        .toList(),
                transactions,
                messages.get(),
                published,
                shardMessages.get(),
                shardPublished,
                EntraJedisCluster.openConnections(client),
                EntraJedisCluster.connectionsOnExpiredTokens(client),
                cluster.connectionsCut() - cutBefore);

        assertThat(renewals.get() - renewalsBefore).isGreaterThanOrEqualTo(3);
        assertThat(reauthFailures).isEmpty();
        assertThat(cluster.connectionsCut() - cutBefore).isZero();
        assertThat(EntraJedisCluster.connectionsOnExpiredTokens(client)).isZero();
        assertEveryMasterReauthenticatedThrice(authsByNode);
        assertThat(published).isPositive();
        assertThat(shardPublished).isPositive();
    }

    @Test
    void followsAskRedirectionsDuringASlotMigration() {
        RedisClusterClient client = client();
        // the target is a node pool of ours, which Jedis follows with ASKING
        keysStayReachableDuringAMigration(
                JedisClusterCRC16.getSlot("{mig}"), client::set, client::get, client::refreshClusterTopology);
        assertThat(EntraJedisCluster.connectionsOnExpiredTokens(client)).isZero();
    }

    @Test
    void failoverKeepsEveryAcknowledgedWrite() throws Exception {
        RedisClusterClient client = client();
        long cutBefore = cluster.connectionsCut();
        int slot = JedisClusterCRC16.getSlot("{fo}");
        int oldMaster = cluster.masterOf(slot);
        int replica = cluster.replicaOf(oldMaster);

        AcknowledgedWriter writer = AcknowledgedWriter.start(i -> (i % 2 == 0 ? "{fo}:" : "spread:") + i, client::set);
        failoverWhileWriting(writer, replica, 200, 500, Duration.ofSeconds(30));

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            client.refreshClusterTopology();
            assertThat(cluster.masterOf(slot)).isEqualTo(replica);
            String node = client.getConnectionFromSlot(slot).getHostAndPort().toString();
            assertThat(node).endsWith(":" + cluster.node(replica).announcedPort());
        });
        long lost = writer.lost(client::get);
        System.out.printf(
                "Jedis cluster failover: %d acknowledged writes, %d lost, %d failed (unacknowledged), %d cut%n",
                writer.acknowledgedCount(), lost, writer.failures().size(), cluster.connectionsCut() - cutBefore);
        assertThat(lost).isZero();
        assertThat(cluster.connectionsCut() - cutBefore).isZero();
    }

    @Test
    void followsANodeThatComesBackOnAnotherAnnouncedPort() throws Exception {
        RedisClusterClient client = client();
        long cutBefore = cluster.connectionsCut();
        int slot = JedisClusterCRC16.getSlot("{port}");
        int master = cluster.masterOf(slot);
        int replica = cluster.replicaOf(master);
        int oldPort = cluster.node(replica).announcedPort();
        int newPort = cluster.restartAnnouncingNewPort(replica); // as AMR moves a shard to another 85xx port

        AcknowledgedWriter writer = AcknowledgedWriter.start(i -> "{port}:" + i, client::set);
        failoverWhileWriting(
                writer, replica, 100, 300, Duration.ofSeconds(30)); // the node on the new port then serves the slot

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            client.refreshClusterTopology();
            try (Connection connection = client.getConnectionFromSlot(slot)) {
                assertThat(connection.getHostAndPort().getPort()).isEqualTo(newPort);
            }
        });
        long lost = writer.lost(client::get);
        System.out.printf(
                "Jedis cluster port change: node %d now on %d; %d acknowledged writes, %d lost, %d failed commands;"
                        + " %d node pools%n",
                replica,
                newPort,
                writer.acknowledgedCount(),
                lost,
                writer.failures().size(),
                client.getClusterNodes().size());
        assertThat(lost).isZero();
        assertThat(cluster.connectionsCut()).isEqualTo(cutBefore);
        assertThat(client.getClusterNodes().keySet())
                .as("the old address's pool is gone")
                .noneMatch(node -> node.endsWith(":" + oldPort));
    }
}
