package io.github.redisentra.gateway;

import io.github.redisentra.testkit.AzureClusterStandIn;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.protocol.ProtocolVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the cluster gateway ITs share: a gateway in this JVM (started, with its RESP listener: the seed listener) in
 * cluster mode over an {@link AzureClusterStandIn} whose ACL user is the {@link ClusterTestBed}'s managed identity.
 * Closes the gateway, the cluster and the test bed, in that order; a start that fails closes what it had started.
 */
final class ClusterGateway implements AutoCloseable {
    final ClusterTestBed bed;
    final AzureClusterStandIn cluster;
    final GatewayRuntime runtime;
    final int seedPort;
    private final String clusterMode;

    /**
     * @param clusterMode the gateway's {@code REDIS_CLUSTER}
     * @param tokenLifetime the lifetime of the gateway's upstream tokens (renewed at half of it)
     */
    ClusterGateway(String clusterMode, Duration tokenLifetime) throws Exception {
        this(clusterMode, tokenLifetime, new String[0]);
    }

    /**
     * @param clusterMode the gateway's {@code REDIS_CLUSTER}
     * @param tokenLifetime the lifetime of the gateway's upstream tokens (renewed at half of it)
     * @param settings further gateway settings, {@code KEY, value, ...}
     */
    ClusterGateway(String clusterMode, Duration tokenLifetime, String... settings) throws Exception {
        this.clusterMode = clusterMode;
        bed = new ClusterTestBed();
        try {
            cluster = AzureClusterStandIn.builder()
                    .objectId(bed.mi.objectId())
                    .watch(bed.emu)
                    .start();
            runtime = bed.gateway(env(settings), tokenLifetime);
            runtime.start(RespListenerWiring::start);
            seedPort = runtime.listener().orElseThrow().localAddress().getPort();
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** The test bed's settings for a gateway of this cluster, in this fixture's cluster mode; {@code kv} adds or overrides. */
    Map<String, String> env(String... kv) {
        List<String> all = new ArrayList<>(List.of(
                "REDIS_HOSTPORT",
                "127.0.0.1:" + cluster.seedPort(),
                "REDIS_HOSTNAME",
                cluster.cacheHostName(),
                "REDIS_CA_FILE",
                cluster.caFile().toString(),
                "REDIS_CLUSTER",
                clusterMode));
        all.addAll(List.of(kv));
        return bed.env(all.toArray(String[]::new));
    }

    /** Node endpoint port per short node id, from /metrics. */
    Map<String, Integer> endpoints() {
        return ClusterTestBed.nodeEndpoints(runtime.metrics().render());
    }

    /** The gateway's node endpoints, as {@code host:port}: the only addresses a client may ever be given. */
    Set<String> gatewayAddresses() {
        Set<String> s = new HashSet<>();
        endpoints().values().forEach(p -> s.add("127.0.0.1:" + p));
        return s;
    }

    /** The nodes' addresses ({@code host:port}) in {@code connection}'s view of the topology (a set of its own). */
    static Set<String> addresses(StatefulRedisClusterConnection<String, String> connection) {
        Set<String> seen = new HashSet<>();
        for (RedisClusterNode node : connection.getPartitions()) {
            seen.add(node.getUri().getHost() + ":" + node.getUri().getPort());
        }
        return seen;
    }

    /** Lettuce's cluster client (RESP3), seeded with the seed listener, signed in as the test bed's user. */
    RedisClusterClient lettuceClient(Duration timeout, ClusterTopologyRefreshOptions refresh) {
        RedisClusterClient client = RedisClusterClient.create(RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(seedPort)
                .withAuthentication("default", bed.userToken())
                .withTimeout(timeout)
                .build());
        client.setOptions(ClusterClientOptions.builder()
                .protocolVersion(ProtocolVersion.RESP3)
                .topologyRefreshOptions(refresh)
                .build());
        return client;
    }

    @Override
    public void close() {
        if (runtime != null) {
            runtime.listener().ifPresent(l -> l.drainAndClose(Duration.ZERO));
            runtime.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        bed.close();
    }
}
