package io.github.redisentra.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cluster stand-in itself: topology through the front doors, failover, slot migration, port change. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AzureClusterStandInIT {
    static final String OID = UUID.randomUUID().toString();
    static AzureClusterStandIn cluster;

    @BeforeAll
    static void start() {
        cluster = AzureClusterStandIn.builder().objectId(OID).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void topologyAnnouncesTheFrontDoorsAndTheirCertificateNamesOnlyTheCacheHost() {
        String nodes = cluster.node(1).server().cli().callString("CLUSTER", "NODES");
        for (AzureClusterStandIn.Node node : cluster.nodes()) {
            assertThat(nodes).contains(node.id() + " 127.0.0.1:" + node.announcedPort() + "@");
            assertThat(nodes).doesNotContain(":" + node.server().tlsPort() + "@");
        }
        // Verified against the dialled IP, the certificate does not match (as on Azure): the client needs SNI.
        assertThatThrownBy(() -> RedisCli.connectTls("127.0.0.1", cluster.seedPort(), cluster.trustingSslContext()))
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void acceptsTheIdentitysTokensOnEveryNode() {
        String token = "token-" + UUID.randomUUID();
        cluster.accept(OID, token, Instant.now().plusSeconds(60));
        for (AzureClusterStandIn.Node node : cluster.nodes()) {
            assertThat(node.cache().isAccepted(OID, token)).isTrue();
            try (RedisCli direct = node.server().connectTls()) {
                assertThat(direct.call("AUTH", OID, token)).isEqualTo("OK");
            }
        }
    }

    @Test
    void failoverMigrationAndPortChange() {
        int replica = cluster.replicaOf(0);
        cluster.failover(replica);
        assertThat(cluster.isMaster(replica)).isTrue();
        assertThat(cluster.isMaster(0)).isFalse();
        assertThat(cluster.masterOf(100)).isEqualTo(replica);

        int slot = 12182; // "foo"
        int from = cluster.masterOf(slot);
        int to = cluster.masterOf(1);
        RedisCli admin = cluster.node(from).server().cli();
        admin.call("SET", "foo", "bar");
        cluster.beginMigration(slot, from, to);
        assertThatThrownBy(() -> admin.call("GET", "absent{foo}"))
                .hasMessageStartingWith(
                        "ASK " + slot + " 127.0.0.1:" + cluster.node(to).announcedPort());
        cluster.finishMigration(slot, from, to);
        assertThat(cluster.masterOf(slot)).isEqualTo(to);
        assertThat(cluster.node(to).server().cli().call("GET", "foo")).isEqualTo("bar");

        int oldMaster = 0; // a replica since the failover
        int before = cluster.node(oldMaster).announcedPort();
        int after = cluster.restartAnnouncingNewPort(oldMaster);
        assertThat(after).isNotEqualTo(before);
        String nodes = cluster.node(2).server().cli().callString("CLUSTER", "NODES");
        assertThat(nodes).contains("127.0.0.1:" + after + "@");
        assertThat(List.of(nodes.split("\n"))).noneMatch(l -> l.contains(":" + before + "@"));
    }
}
