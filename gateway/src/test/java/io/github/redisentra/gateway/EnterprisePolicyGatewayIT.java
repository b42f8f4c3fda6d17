package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.RedisServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code REDIS_CLUSTER} against caches that are one endpoint: an Enterprise-policy stand-in (one cluster-enabled TLS
 * redis-server serving every slot, whose user, the gateway's identity, is denied {@code CLUSTER}) and a non-clustered
 * cache ({@code cluster_enabled:0}).
 * {@code auto} serves them as today; {@code on} refuses to start, saying why.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EnterprisePolicyGatewayIT {
    static ClusterTestBed bed;
    static RedisServer enterprise;
    static RedisServer plain;
    static AzureCacheStandIn enterpriseCache;
    static AzureCacheStandIn plainCache;

    @BeforeAll
    static void start() throws Exception {
        bed = new ClusterTestBed();
        // Cluster-enabled (INFO says cluster_enabled:1, one node serving every slot) so that only the refusal of
        // CLUSTER commands tells it apart, as with Azure Managed Redis's Enterprise policy.
        enterprise = RedisServer.builder()
                .tlsOnly()
                .name("enterprise-policy")
                .config("cluster-enabled yes")
                .config("cluster-config-file nodes.conf")
                .start();
        enterprise.cli().call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!enterprise.cli().callString("CLUSTER", "INFO").contains("cluster_state:ok")) {
            assertThat(System.nanoTime()).as("cluster_state:ok within 30 s").isLessThan(deadline);
            Thread.sleep(50); // waiting for the one-node cluster to settle
        }
        enterpriseCache = AzureCacheStandIn.builder(enterprise)
                .objectId(bed.mi.objectId())
                .rules(AzureCacheStandIn.DATA_OWNER_RULES + " -cluster")
                .build()
                .watch(bed.emu);
        plain = RedisServer.builder().tlsOnly().name("not-clustered").start();
        plainCache = AzureCacheStandIn.builder(plain)
                .objectId(bed.mi.objectId())
                .build()
                .watch(bed.emu);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {enterpriseCache, plainCache, enterprise, plain, bed}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    static Map<String, String> env(RedisServer cache, String mode) {
        return bed.env(
                "REDIS_HOSTPORT",
                "127.0.0.1:" + cache.tlsPort(),
                "REDIS_HOSTNAME",
                "localhost",
                "REDIS_CA_FILE",
                cache.caFile().toString(),
                "REDIS_CLUSTER",
                mode);
    }

    void servedAsOneEndpoint(RedisServer cache) throws Exception {
        try (GatewayRuntime runtime = bed.gateway(env(cache, "auto"), Duration.ofMinutes(10))) {
            runtime.start(RespListenerWiring::start);
            GatewayRuntime.RespListener listener = runtime.listener().orElseThrow();
            try (RedisCli client =
                    RedisCli.connect("127.0.0.1", listener.localAddress().getPort())) {
                assertThat(client.callString("AUTH", bed.userToken())).isEqualTo("OK");
                assertThat(client.callString("SET", "policy", cache.toString())).isEqualTo("OK");
                assertThat(client.callString("GET", "policy")).isEqualTo(cache.toString());
                assertThat(client.callString("ACL", "WHOAMI")).isEqualTo(bed.mi.objectId());
            } finally {
                listener.drainAndClose(Duration.ZERO);
            }
            assertThat(runtime.metrics().render())
                    .as("no node endpoints")
                    .doesNotContain("cluster_nodes")
                    .doesNotContain("cluster_node_connections");
        }
    }

    @Test
    void autoServesAnEnterprisePolicyCacheThatRefusesClusterAsOneEndpoint() throws Exception {
        // the stand-in's user: the gateway's identity may not run CLUSTER commands
        assertThat(String.valueOf(enterprise.cli().call("ACL", "GETUSER", bed.mi.objectId())))
                .contains("-cluster");
        servedAsOneEndpoint(enterprise);
        assertThat(enterprise.cli().callString("GET", "policy")).isEqualTo(enterprise.toString());
    }

    @Test
    void autoServesANonClusteredCacheAsOneEndpoint() throws Exception {
        servedAsOneEndpoint(plain);
        assertThat(plain.cli().callString("GET", "policy")).isEqualTo(plain.toString());
    }

    @Test
    void onRefusesToStartForACacheThatIsNotACluster() throws Exception {
        try (GatewayRuntime runtime = bed.gateway(env(enterprise, "on"), Duration.ofMinutes(10))) {
            assertThatThrownBy(() -> runtime.start(RespListenerWiring::start))
                    .hasMessageContaining("REDIS_CLUSTER=on but the cache is not an OSS cluster")
                    .hasMessageContaining("refuses CLUSTER NODES: -NOPERM");
            assertThat(runtime.listener()).isEmpty();
        }
        try (GatewayRuntime runtime = bed.gateway(env(plain, "on"), Duration.ofMinutes(10))) {
            assertThatThrownBy(() -> runtime.start(RespListenerWiring::start))
                    .hasMessageContaining("cluster_enabled:0");
        }
    }

    @Test
    void theEnterpriseStandInRefusesClusterCommandsToTheIdentity() {
        try (RedisCli c = RedisCli.connectTls("127.0.0.1", enterprise.tlsPort(), enterprise.trustingSslContext())) {
            c.callString("AUTH", bed.mi.objectId(), bed.miToken(Duration.ofMinutes(5)));
            assertThatThrownBy(() -> c.call("CLUSTER", "NODES"))
                    .isInstanceOf(RedisErrorReply.class)
                    .hasMessageContaining("NOPERM");
        }
    }
}
