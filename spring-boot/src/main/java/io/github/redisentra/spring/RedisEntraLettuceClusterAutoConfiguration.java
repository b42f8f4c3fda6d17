package io.github.redisentra.spring;

import io.github.redisentra.lettuce.EntraLettuceCluster;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.SslOptions;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Lettuce with {@code spring.data.redis.cluster.nodes} (an OSS-clustered Azure cache): the topology names the shards by
 * IP address while the cache's certificate names only its host name, so every shard connection must send that host
 * name as TLS SNI and verify the certificate against it. This sets it on Boot's client options (keeping Boot's SSL
 * bundle, topology refresh and the rest): {@code redis.entra.tls-server-name}, else the first cluster node's host when
 * it is a name, not an address. Credentials, re-authentication and RESP3 come from
 * {@link RedisEntraLettuceAutoConfiguration}, as for a single server: Lettuce re-authenticates every per-node
 * connection.
 *
 * <p>Limit: Lettuce 7.7 does not re-authenticate the channel each cluster connection keeps of its own (keyless commands
 * such as {@code PUBLISH}); Spring Data Redis opens those connections itself, so that channel is closed by the cache
 * once per token lifetime and Lettuce reconnects it. {@link EntraLettuceCluster#connect} avoids that for applications
 * that use Lettuce directly.
 */
@AutoConfiguration(before = DataRedisAutoConfiguration.class, after = RedisEntraLettuceAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "redis.entra.enabled")
@ConditionalOnClass({LettuceConnectionFactory.class, EntraLettuceCluster.class, ClientOptions.class})
@ConditionalOnProperty(name = "spring.data.redis.client-type", havingValue = "lettuce", matchIfMissing = true)
@ConditionalOnProperty(name = "spring.data.redis.cluster.nodes")
public class RedisEntraLettuceClusterAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(RedisEntraLettuceClusterAutoConfiguration.class);

    @Bean
    LettuceClientOptionsBuilderCustomizer redisEntraLettuceClusterTls(
            @Value("${redis.entra.tls-server-name:}") String tlsServerName,
            @Value("${spring.data.redis.cluster.nodes}") List<String> nodes) {
        String name = serverName(tlsServerName, nodes);
        return builder -> {
            SslOptions current = builder.build().getSslOptions();
            if (name == null) {
                log.warn("redis.entra: cluster nodes are given by address and redis.entra.tls-server-name is not set;"
                        + " shard certificates are verified against the shards' IP addresses (Azure's name only"
                        + " the cache host name)");
                return;
            }
            builder.sslOptions(EntraLettuceCluster.sslOptions(current, name));
        };
    }

    /** The configured name, else the first node's host when it is a DNS name; null when there is none. */
    static String serverName(String configured, List<String> nodes) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        if (nodes == null || nodes.isEmpty()) {
            return null;
        }
        String first = nodes.get(0).trim();
        int colon = first.lastIndexOf(':');
        String host = first.startsWith("[") || colon < 0 ? first : first.substring(0, colon);
        if (host.isEmpty() || host.startsWith("[") || host.matches("[0-9.]+") || host.contains(":")) {
            return null;
        }
        return host;
    }
}
