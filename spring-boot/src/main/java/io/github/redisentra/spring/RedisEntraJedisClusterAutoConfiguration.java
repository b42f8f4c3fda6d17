package io.github.redisentra.spring;

import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.jedis.EntraJedisCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;
import org.springframework.boot.data.redis.autoconfigure.JedisClientConfigurationBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.builders.ClusterClientBuilder;

/**
 * Jedis with cluster settings ({@code spring.data.redis.cluster.nodes}, an OSS-clustered Azure cache): Spring Data
 * Redis builds a {@link RedisClusterClient}; this customizer gives it the client configuration Boot produced (SSL
 * bundle, timeouts, client name) plus RESP3 and the token credentials, and {@link EntraJedisCluster}'s provider, whose
 * every node pool re-authenticates its connections as {@code EntraJedis} does for one server. TLS SNI and host-name
 * verification use {@code redis.entra.tls-server-name}, else the first cluster node's host when it is a name (the
 * topology names shards by IP address; Azure's certificates name only the cache host).
 */
@AutoConfiguration(before = DataRedisAutoConfiguration.class, after = RedisEntraAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "redis.entra.enabled")
@ConditionalOnClass({JedisConnectionFactory.class, EntraJedisCluster.class, RedisClusterClient.class})
@Conditional(RedisEntraJedisAutoConfiguration.JedisIsTheClient.class)
@ConditionalOnProperty(name = "spring.data.redis.cluster.nodes")
public class RedisEntraJedisClusterAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(RedisEntraJedisClusterAutoConfiguration.class);

    @Bean
    JedisClientConfigurationBuilderCustomizer redisEntraJedisCluster(
            TokenRefresher refresher,
            TokenSource source,
            RedisEntraProperties properties,
            RedisEntraStatistics statistics,
            DataRedisConnectionDetails connection,
            DataRedisProperties redisProperties,
            @Value("${redis.entra.tls-server-name:}") String tlsServerName) {
        DataRedisConnectionDetails.Cluster cluster = connection.getCluster();
        if (cluster == null) {
            throw new RedisEntraConfigurationException(
                    "spring.data.redis.cluster.nodes is set but the Redis connection details name no cluster.",
                    "Check which connection details bean replaces spring.data.redis.* in this application.");
        }
        if (properties.getProtocol() == RedisEntraProperties.Protocol.RESP2) {
            throw new RedisEntraConfigurationException(
                    "redis.entra.protocol=RESP2 with Jedis: subscribed connections cannot be re-authenticated on RESP2.",
                    "Remove redis.entra.protocol (RESP3 is the default) or use Lettuce.");
        }
        List<HostAndPort> nodes = cluster.getNodes().stream()
                .map(node -> new HostAndPort(node.host(), node.port()))
                .toList();
        String serverName = serverName(tlsServerName, nodes);
        if (serverName == null) {
            log.warn("redis.entra: cluster nodes are given by address and redis.entra.tls-server-name is not set;"
                    + " shard certificates are verified as Jedis does by default (Azure's name only the cache host)");
        }
        ReauthenticationListener logging = ReauthenticationListener.logging();
        ReauthenticationListener counting = new ReauthenticationListener() {
            @Override
            public void onReauthenticated(String connectionId, String tokenFingerprint) {
                statistics.reauthenticated();
                logging.onReauthenticated(connectionId, tokenFingerprint);
            }

            @Override
            public void onReauthenticationFailed(String connectionId, Throwable cause) {
                statistics.reauthenticationFailed();
                logging.onReauthenticationFailed(connectionId, cause);
            }
        };
        return builder -> {
            AtomicReference<DefaultJedisClientConfig.Builder> clientConfig = new AtomicReference<>();
            builder.customizeClientConfig(config -> {
                config.protocol(RedisProtocol.RESP3);
                clientConfig.set(config);
            });
            builder.customizeClient(client -> {
                if (!(client instanceof ClusterClientBuilder<?> clusterClient)) {
                    return;
                }
                EntraJedisCluster.Builder entra = EntraJedisCluster.builder(refresher)
                        .usernameFrom(source)
                        .poolConfig(RedisEntraJedisAutoConfiguration.poolConfig(
                                redisProperties.getJedis().getPool()))
                        .listener(counting)
                        // As for a single server: the start already waited for the first token as
                        // redis.entra.fail-fast says; without fail-fast it must not block here, so the client starts
                        // without its topology and loads it once a token arrives (EntraJedisCluster.Builder).
                        .firstTokenWait(Duration.ZERO);
                if (properties.getTokenWait() != null) {
                    entra.tokenWait(properties.getTokenWait());
                }
                nodes.forEach(entra::node);
                if (clientConfig.get() != null) {
                    entra.clientConfig(clientConfig.get().build());
                }
                if (serverName != null
                        && clientConfig.get() != null
                        && clientConfig.get().build().isSsl()) {
                    entra.tlsServerName(serverName);
                }
                if (properties.getUsername() != null
                        && !properties.getUsername().isBlank()) {
                    entra.username(properties.getUsername());
                }
                EntraJedisCluster.Components components = entra.buildComponents();
                clusterClient
                        .clientConfig(components.clientConfig())
                        .connectionProvider(components.connectionProvider());
            });
        };
    }

    /** The configured name, else the first node's host when it is a DNS name; null when there is none. */
    static String serverName(String configured, List<HostAndPort> nodes) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        if (nodes.isEmpty()) {
            return null;
        }
        String host = nodes.get(0).getHost();
        if (host.isEmpty() || host.matches("[0-9.]+") || host.contains(":")) {
            return null;
        }
        return host;
    }
}
