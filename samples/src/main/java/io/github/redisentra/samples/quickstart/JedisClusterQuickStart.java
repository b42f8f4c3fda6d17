package io.github.redisentra.samples.quickstart;

import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.jedis.EntraJedisCluster;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;

/** The README's "Clustered caches" Jedis block (see {@link LettuceQuickStart} for how the README includes it). */
final class JedisClusterQuickStart {
    private JedisClusterQuickStart() {}

    static void ossClusteredCache(String cacheHost, TokenRefresher refresher) {
        // tag::jedis-cluster[]
        RedisClusterClient redis = EntraJedisCluster.builder(refresher) // one TokenRefresher, shared
                .node(new HostAndPort(cacheHost, 10000)) // <name>.<region>.redis.azure.net
                .clientConfig(DefaultJedisClientConfig.builder().ssl(true).build())
                .tlsServerName(cacheHost) // SNI + host-name check on every shard
                .build();
        redis.set("greeting", "hello");
        // end::jedis-cluster[]
        redis.close();
    }
}
