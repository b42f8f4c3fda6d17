package io.github.redisentra.samples.quickstart;

import io.github.redisentra.lettuce.EntraCredentialsProvider;
import io.github.redisentra.lettuce.EntraLettuceCluster;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;

/** The README's "Clustered caches" block (see {@link LettuceQuickStart} for how the README includes it). */
final class LettuceClusterQuickStart {
    private LettuceClusterQuickStart() {}

    static void ossClusteredCache(String cacheHost, EntraCredentialsProvider credentials) {
        // tag::lettuce-cluster[]
        RedisURI seed = RedisURI.builder()
                .withHost(cacheHost) // <name>.<region>.redis.azure.net
                .withPort(10000)
                .withSsl(true)
                .withAuthentication(credentials) // one EntraCredentialsProvider, shared
                .build();
        RedisClusterClient client = RedisClusterClient.create(seed);
        client.setOptions(
                EntraLettuceCluster.clusterClientOptions(ClusterClientOptions.builder() // re-AUTH, RESP3, refresh
                        .sslOptions(
                                EntraLettuceCluster.sslOptions(SslOptions.create(), cacheHost)) // SNI + host-name check
                        .build()));
        StatefulRedisClusterConnection<String, String> redis = EntraLettuceCluster.connect(client, credentials);
        StatefulRedisClusterPubSubConnection<String, String> pubSub =
                EntraLettuceCluster.connectPubSub(client, credentials);
        redis.sync().set("greeting", "hello");
        // end::lettuce-cluster[]
        pubSub.close();
        redis.close();
        client.shutdown();
    }
}
