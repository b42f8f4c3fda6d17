package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.testkit.AzureClusterStandIn;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Lettuce's cluster client through the gateway while the cluster changes under it: a {@code CLUSTER FAILOVER} and a
 * slot migration ({@code -ASK} while the slot moves): no acknowledged write lost, and the client is only ever given
 * gateway endpoints. Opt-in ({@code -Dredisentra.cluster.faults=true}): a minute or two.
 */
@EnabledIfSystemProperty(named = "redisentra.cluster.faults", matches = "true")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterGatewayFaultsIT {
    static ClusterGateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new ClusterGateway("on", Duration.ofMinutes(10));
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    static RedisClusterClient client() {
        return gw.lettuceClient(
                Duration.ofSeconds(10),
                ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(Duration.ofSeconds(1))
                        .enableAllAdaptiveRefreshTriggers()
                        .build());
    }

    static void onlyGatewayEndpoints(StatefulRedisClusterConnection<String, String> c) {
        assertThat(gw.gatewayAddresses()).containsAll(ClusterGateway.addresses(c));
    }

    /** Writes distinct keys until stopped; records each acknowledged one. */
    static Thread writer(
            RedisAdvancedClusterCommands<String, String> sync,
            String prefix,
            Map<String, String> acknowledged,
            AtomicBoolean stop,
            AtomicLong errors) {
        Thread t = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                String key = prefix + i;
                try {
                    if ("OK".equals(sync.set(key, "v" + i))) {
                        acknowledged.put(key, "v" + i);
                    }
                } catch (RuntimeException e) {
                    errors.incrementAndGet(); // not acknowledged: may or may not be there
                }
            }
        });
        t.start();
        return t;
    }

    @Test
    void aFailoverLosesNoAcknowledgedWriteAndTheClientFollowsItThroughTheGateway() throws Exception {
        RedisClusterClient client = client();
        try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong errors = new AtomicLong();
            Thread w = writer(c.sync(), "fo:", acknowledged, stop, errors);
            Thread.sleep(1000); // writes flowing before the failover
            int master = gw.cluster.masterOf(0);
            int replica = gw.cluster.replicaOf(master);
            gw.cluster.failover(replica);
            Thread.sleep(3000); // writes flowing after it
            stop.set(true);
            w.join(30_000);
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                assertThat(c.sync().get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
            }
            assertThat(gw.cluster.isMaster(replica)).isTrue();
            onlyGatewayEndpoints(c);
            System.out.printf(
                    "failover through the gateway: %d acknowledged writes kept, %d unacknowledged%n",
                    acknowledged.size(), errors.get());
        } finally {
            client.shutdown();
        }
    }

    @Test
    void writesDuringASlotMigrationFollowAskThroughTheGateway() throws Exception {
        String tag = "{mig}";
        int slot = SlotHash.getSlot(tag);
        int from = gw.cluster.masterOf(slot);
        int to = -1;
        for (int i = 0; i < AzureClusterStandIn.NODES; i++) {
            if (i != from && gw.cluster.isMaster(i)) {
                to = i;
                break;
            }
        }
        RedisClusterClient client = client();
        try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
            RedisAdvancedClusterCommands<String, String> sync = c.sync();
            for (int i = 0; i < 50; i++) {
                sync.set(tag + "old" + i, "o" + i);
            }
            gw.cluster.beginMigration(slot, from, to);
            for (int i = 0; i < 50; i++) {
                // absent at the source: -ASK to the target, rewritten to the target's gateway endpoint
                assertThat(sync.set(tag + "new" + i, "n" + i)).isEqualTo("OK");
            }
            gw.cluster.finishMigration(slot, from, to);
            for (int i = 0; i < 50; i++) {
                assertThat(sync.get(tag + "old" + i)).isEqualTo("o" + i);
                assertThat(sync.get(tag + "new" + i)).isEqualTo("n" + i);
            }
            assertThat(gw.cluster.masterOf(slot)).isEqualTo(to);
            onlyGatewayEndpoints(c);
        } finally {
            client.shutdown();
        }
    }
}
