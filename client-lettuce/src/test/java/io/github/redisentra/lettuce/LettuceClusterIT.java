package io.github.redisentra.lettuce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.testkit.AcknowledgedWriter;
import io.github.redisentra.testkit.AzureClusterStandIn;
import io.github.redisentra.testkit.ClusterITBase;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lettuce's {@link RedisClusterClient} straight against an OSS-clustered Azure cache, locally: a 3-master / 3-replica
 * TLS cluster whose every node accepts only the signed-in user's current tokens, cuts connections at token expiry and
 * presents a certificate naming only the cache host name. Tokens live {@code redisentra.cluster.tokenSeconds} seconds
 * (default 8; the 20 s with {@code -Dredisentra.cluster.tokenSeconds=20}).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LettuceClusterIT extends ClusterITBase {

    EntraCredentialsProvider provider;

    RedisClusterClient client(boolean sni) {
        provider = EntraCredentialsProvider.create(refresher);
        cleanup.add(provider);
        RedisURI seed = RedisURI.builder()
                .withHost(cluster.host())
                .withPort(cluster.seedPort())
                .withSsl(true)
                .withTimeout(Duration.ofSeconds(10))
                .withAuthentication(provider)
                .build();
        RedisClusterClient client = RedisClusterClient.create(seed);
        SslOptions trust =
                SslOptions.builder().trustManager(cluster.caFile().toFile()).build();
        client.setOptions(EntraLettuceCluster.clusterClientOptions(ClusterClientOptions.builder()
                .sslOptions(sni ? EntraLettuceCluster.sslOptions(trust, cluster.cacheHostName()) : trust)
                .build()));
        cleanup.add(client::shutdown);
        return client;
    }

    @Test
    void withoutTheCacheHostNameTheCertificateCheckFails() {
        RedisClusterClient client = client(false);
        assertThatThrownBy(client::connect).isInstanceOf(RuntimeException.class);
    }

    @Test
    void lettucesOwnClusterConnectionIsCutAtTokenExpiry() {
        // The control for EntraLettuceCluster.connect: Lettuce 7.7 does not re-authenticate the cluster connection's
        // own channel (keyless commands), so the cache closes it when the token it authenticated with expires.
        RedisClusterClient client = client(true);
        long before = cluster.connectionsCut();
        StatefulRedisClusterConnection<String, String> plain = client.connect();
        cleanup.add(plain);
        assertThat(plain.sync().ping()).isEqualTo("PONG");
        await().atMost(LIFETIME.plusSeconds(10)).until(() -> cluster.connectionsCut() > before);
    }

    @Test
    void everyNodeConnectionStaysAuthenticatedAcrossRenewals() throws Exception {
        RedisClusterClient client = client(true);
        Map<String, AtomicLong> reauthByEndpoint = new ConcurrentHashMap<>();
        List<Throwable> reauthFailures = new CopyOnWriteArrayList<>();
        cleanup.add(EntraLettuce.watchReauthentication(
                client, new io.github.redisentra.core.ReauthenticationListener() {
                    @Override
                    public void onReauthenticated(String endpointId, String tokenFingerprint) {
                        reauthByEndpoint
                                .computeIfAbsent(String.valueOf(endpointId), k -> new AtomicLong())
                                .incrementAndGet();
                    }

                    @Override
                    public void onReauthenticationFailed(String endpointId, Throwable cause) {
                        reauthFailures.add(cause);
                    }
                }));
        for (AzureClusterStandIn.Node node : cluster.nodes()) {
            node.server().cli().call("CONFIG", "RESETSTAT");
        }
        // Two lifetimes: every connection's first token and the first renewed one expire within the run.
        Instant until = Instant.now().plus(LIFETIME.multipliedBy(2)).plusSeconds(1);
        long cutBefore = cluster.connectionsCut();
        long renewalsBefore = renewals.get();

        StatefulRedisClusterConnection<String, String> connection = EntraLettuceCluster.connect(client, provider);
        cleanup.add(connection);
        RedisAdvancedClusterCommands<String, String> sync = connection.sync();
        RedisAdvancedClusterAsyncCommands<String, String> async = connection.async();
        assertThat(sync.aclWhoami()).isEqualTo(id.user.objectId());

        // Keys over all 16384 slots, pipelined in batches.
        String[] keys = keyPerSlot(SlotHash::getSlot);
        Instant writesStart = Instant.now();
        for (int from = 0; from < keys.length; from += 512) {
            List<RedisFuture<String>> writes = new ArrayList<>();
            for (int i = from; i < Math.min(keys.length, from + 512); i++) {
                writes.add(async.set(keys[i], keys[i]));
            }
            for (RedisFuture<String> write : writes) {
                assertThat(write.get(30, TimeUnit.SECONDS)).isEqualTo("OK");
            }
        }
        System.out.printf(
                "Lettuce cluster: %d keys over all slots written in %d ms%n",
                keys.length, Duration.between(writesStart, Instant.now()).toMillis());

        // Pub/sub and sharded pub/sub (one shard channel per master).
        StatefulRedisClusterPubSubConnection<String, String> subscriber =
                EntraLettuceCluster.connectPubSub(client, provider);
        cleanup.add(subscriber);
        AtomicLong messages = new AtomicLong();
        AtomicLong shardMessages = new AtomicLong();
        subscriber.addListener(new RedisClusterPubSubAdapter<>() {
            @Override
            public void message(RedisClusterNode node, String channel, String message) {
                messages.incrementAndGet();
            }

            @Override
            public void smessage(RedisClusterNode node, String shardChannel, String message) {
                shardMessages.incrementAndGet();
            }
        });
        subscriber.sync().subscribe("news");
        List<String> shardChannels = List.of("orders{a}", "orders{b}", "orders{c}"); // slots 15495, 3300, 7365
        for (String channel : shardChannels) {
            subscriber.sync().ssubscribe(channel); // one slot per SSUBSCRIBE (CROSSSLOT otherwise)
        }

        // MULTI on one slot: on the node connection of that slot, from a cluster connection of its own.
        StatefulRedisClusterConnection<String, String> txCluster = EntraLettuceCluster.connect(client, provider);
        cleanup.add(txCluster);
        int txSlot = SlotHash.getSlot("{tx}");
        String txNode = client.getPartitions().getPartitionBySlot(txSlot).getNodeId();
        StatefulRedisConnection<String, String> tx = txCluster.getConnection(txNode);

        long published = 0;
        long shardPublished = 0;
        long transactions = 0;
        int round = 0;
        Instant roundsUntil = roundsUntil(until);
        while (anotherRound(roundsUntil, renewalsBefore)) {
            round++;
            setAndGetRound(keys, round, sync::set, sync::get);
            List<RedisFuture<Long>> pipeline = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                pipeline.add(async.incr("pipe:" + i));
            }
            for (RedisFuture<Long> f : pipeline) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isPositive();
            }
            RedisCommands<String, String> txSync = tx.sync();
            txSync.multi();
            txSync.incr("{tx}:a");
            txSync.incr("{tx}:b");
            TransactionResult result = txSync.exec();
            assertThat(result.wasDiscarded()).isFalse();
            assertThat(result).hasSize(2);
            transactions++;
            sync.publish("news", "m" + round); // the receiver count is node-local: the subscriber may be elsewhere
            published++;
            for (String channel : shardChannels) {
                shardPublished += sync.spublish(channel, "s" + round) > 0 ? 1 : 0;
            }
            Thread.sleep(100); // pacing the rounds: the test is about time passing across renewals
        }
        awaitCount("messages", messages, published);
        awaitCount("shard messages", shardMessages, shardPublished);
        keysKept(keys, transactions, sync::get);

        Map<Integer, Long> authsByNode = authCallsByNode();
        System.out.printf(
                "Lettuce cluster: %d renewals of %s tokens over %d rounds; AUTH calls per node %s; re-auth events per"
                        + " connection %s; %d transactions, %d/%d messages, %d/%d shard messages; %d connections cut%n",
                renewals.get() - renewalsBefore,
                LIFETIME,
                round,
                authsByNode,
                reauthByEndpoint.values().stream().map(AtomicLong::get).sorted().toList(),
                transactions,
                messages.get(),
                published,
                shardMessages.get(),
                shardPublished,
                cluster.connectionsCut() - cutBefore);

        assertThat(renewals.get() - renewalsBefore).isGreaterThanOrEqualTo(3);
        assertThat(reauthFailures).isEmpty();
        // The decisive check: a connection that missed a renewal is closed by its node when its token expires.
        assertThat(cluster.connectionsCut() - cutBefore).isZero();
        assertEveryMasterReauthenticatedThrice(authsByNode);
        assertThat(published).isPositive();
        assertThat(shardPublished).isPositive();
    }

    @Test
    void failoverRefreshesTheTopologyWithoutLosingAcknowledgedWrites() throws Exception {
        RedisClusterClient client = client(true);
        StatefulRedisClusterConnection<String, String> connection = EntraLettuceCluster.connect(client, provider);
        cleanup.add(connection);
        RedisAdvancedClusterCommands<String, String> sync = connection.sync();
        long cutBefore = cluster.connectionsCut();
        int slot = SlotHash.getSlot("{fo}");
        int oldMaster = cluster.masterOf(slot);
        int replica = cluster.replicaOf(oldMaster);

        AcknowledgedWriter writer = AcknowledgedWriter.start(i -> (i % 2 == 0 ? "{fo}:" : "spread:") + i, sync::set);
        failoverWhileWriting(writer, replica, 200, 500, Duration.ofSeconds(20));

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            client.refreshPartitions();
            assertThat(client.getPartitions().getPartitionBySlot(slot).getNodeId())
                    .isEqualTo(cluster.node(replica).id());
        });
        long lost = writer.lost(sync::get);
        System.out.printf(
                "Lettuce cluster failover: %d acknowledged writes, %d lost, %d failed commands%n",
                writer.acknowledgedCount(), lost, writer.failures().size());
        assertThat(lost).isZero();
        assertThat(cluster.connectionsCut()).isEqualTo(cutBefore);
    }

    @Test
    void followsAskRedirectionsDuringASlotMigration() {
        RedisClusterClient client = client(true);
        StatefulRedisClusterConnection<String, String> connection = EntraLettuceCluster.connect(client, provider);
        cleanup.add(connection);
        RedisAdvancedClusterCommands<String, String> sync = connection.sync();
        keysStayReachableDuringAMigration(SlotHash.getSlot("{mig}"), sync::set, sync::get, client::refreshPartitions);
    }

    @Test
    void followsANodeThatComesBackOnAnotherAnnouncedPort() throws Exception {
        RedisClusterClient client = client(true);
        StatefulRedisClusterConnection<String, String> connection = EntraLettuceCluster.connect(client, provider);
        cleanup.add(connection);
        RedisAdvancedClusterCommands<String, String> sync = connection.sync();
        long cutBefore = cluster.connectionsCut();
        int slot = SlotHash.getSlot("{port}");
        int master = cluster.masterOf(slot);
        int replica = cluster.replicaOf(master);
        int newPort = cluster.restartAnnouncingNewPort(replica); // as AMR moves a shard to another 85xx port

        AcknowledgedWriter writer = AcknowledgedWriter.start(i -> "{port}:" + i, sync::set);
        failoverWhileWriting(
                writer, replica, 100, 300, Duration.ofSeconds(20)); // the node on the new port then serves the slot

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            client.refreshPartitions();
            assertThat(client.getPartitions().getPartitionBySlot(slot).getUri().getPort())
                    .isEqualTo(newPort);
        });
        long lost = writer.lost(sync::get);
        System.out.printf(
                "Lettuce cluster port change: node %d now on %d; %d acknowledged writes, %d lost, %d failed commands%n",
                replica,
                newPort,
                writer.acknowledgedCount(),
                lost,
                writer.failures().size());
        assertThat(lost).isZero();
        assertThat(cluster.connectionsCut()).isEqualTo(cutBefore);
    }
}
