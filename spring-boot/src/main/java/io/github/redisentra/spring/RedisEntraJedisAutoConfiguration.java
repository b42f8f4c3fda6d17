package io.github.redisentra.spring;

import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.jedis.EntraJedis;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;
import org.springframework.boot.data.redis.autoconfigure.JedisClientConfigurationBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisProtocol;

/**
 * Jedis, through Boot's {@link JedisClientConfigurationBuilderCustomizer} only. Spring Data Redis 4.1 drives Jedis 7.2+
 * through its pooled {@code RedisClient} (the "unified" mode, its default when that class is present); the customizer
 * hands that client the re-authenticating connection provider of {@code redis-entra-jedis}, built from the Jedis
 * client configuration Boot produced (SSL bundle, timeouts, client name, database) plus RESP3 and the token
 * credentials:
 *
 * <ul>
 *   <li>pooled connections re-AUTH when borrowed, returned or tested while idle (each renewal tests the idle ones at
 *       once), never inside a transaction or pipeline;
 *   <li>subscribed connections (the listener container's) get an in-band {@code AUTH} at each renewal (RESP3).
 * </ul>
 *
 * Standalone servers (cluster settings: {@link RedisEntraJedisClusterAutoConfiguration}); with sentinel or
 * master/replica settings it refuses to start (use Lettuce).
 */
@AutoConfiguration(before = DataRedisAutoConfiguration.class, after = RedisEntraAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "redis.entra.enabled")
@ConditionalOnClass({JedisConnectionFactory.class, EntraJedis.class, RedisClient.class})
@Conditional(RedisEntraJedisAutoConfiguration.JedisIsTheClient.class)
public class RedisEntraJedisAutoConfiguration {

    /** Boot uses Jedis when asked to ({@code spring.data.redis.client-type=jedis}) or when Lettuce is absent. */
    static final class JedisIsTheClient extends AnyNestedCondition {
        JedisIsTheClient() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnProperty(name = "spring.data.redis.client-type", havingValue = "jedis")
        static final class Chosen {}

        @ConditionalOnMissingClass("io.lettuce.core.RedisClient")
        static final class OnlyClient {}
    }

    @Bean
    JedisClientConfigurationBuilderCustomizer redisEntraJedis(
            TokenRefresher refresher,
            TokenSource source,
            RedisEntraProperties properties,
            RedisEntraStatistics statistics,
            DataRedisConnectionDetails connection,
            DataRedisProperties redisProperties,
            RedisEntraAutoConfiguration.RedisEntraStartup startup) {
        if (connection.getCluster() != null
                && redisProperties.getCluster() != null
                && redisProperties.getCluster().getNodes() != null
                && !redisProperties.getCluster().getNodes().isEmpty()) {
            return builder -> {}; // spring.data.redis.cluster.nodes: RedisEntraJedisClusterAutoConfiguration
        }
        if (connection.getSentinel() != null
                || connection.getCluster() != null
                || connection.getMasterReplica() != null) {
            throw new RedisEntraConfigurationException(
                    "redis.entra with Jedis supports a standalone server, or a cluster given by"
                            + " spring.data.redis.cluster.nodes; sentinel, master/replica and other cluster connection"
                            + " details are not re-authenticated by redis-entra-jedis.",
                    "Use Lettuce (spring-boot-starter-data-redis's default client) for those, or connect to one"
                            + " standalone endpoint.");
        }
        if (properties.getProtocol() == RedisEntraProperties.Protocol.RESP2) {
            throw new RedisEntraConfigurationException(
                    "redis.entra.protocol=RESP2 with Jedis: subscribed connections cannot be re-authenticated on RESP2.",
                    "Remove redis.entra.protocol (RESP3 is the default) or use Lettuce.");
        }
        HostAndPort hostAndPort = new HostAndPort(
                connection.getStandalone().getHost(), connection.getStandalone().getPort());
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
        ConnectionPoolConfig pool = poolConfig(redisProperties.getJedis().getPool());
        return builder -> {
            // Spring Data Redis builds the Jedis client configuration (Boot's SSL bundle, timeouts, client name,
            // database) from this builder; keep a handle on it and add RESP3.
            AtomicReference<DefaultJedisClientConfig.Builder> clientConfig = new AtomicReference<>();
            builder.customizeClientConfig(config -> {
                config.protocol(RedisProtocol.RESP3);
                clientConfig.set(config);
            });
            builder.customizeClient(client -> {
                EntraJedis.Builder entra = EntraJedis.builder(refresher)
                        .usernameFrom(source)
                        .hostAndPort(hostAndPort)
                        .poolConfig(pool)
                        .listener(counting)
                        // The start already waited for the first token as redis.entra.fail-fast says; without
                        // fail-fast it must not block here (connections fail, or wait token-wait, until a token).
                        .firstTokenWait(Duration.ZERO);
                if (properties.getTokenWait() != null) {
                    entra.tokenWait(properties.getTokenWait());
                }
                if (clientConfig.get() != null) {
                    entra.clientConfig(clientConfig.get().build());
                }
                if (properties.getUsername() != null
                        && !properties.getUsername().isBlank()) {
                    entra.username(properties.getUsername());
                }
                EntraJedis.Components components = entra.buildComponents();
                client.clientConfig(components.clientConfig()).connectionProvider(components.connectionProvider());
            });
        };
    }

    /** Boot's {@code spring.data.redis.jedis.pool.*} settings as a Jedis pool configuration. */
    static ConnectionPoolConfig poolConfig(DataRedisProperties.Pool pool) {
        ConnectionPoolConfig config = new ConnectionPoolConfig();
        if (pool == null || Boolean.FALSE.equals(pool.getEnabled())) {
            return config;
        }
        config.setMaxTotal(pool.getMaxActive());
        config.setMaxIdle(pool.getMaxIdle());
        config.setMinIdle(pool.getMinIdle());
        if (pool.getMaxWait() != null) {
            config.setMaxWait(pool.getMaxWait());
        }
        if (pool.getTimeBetweenEvictionRuns() != null) {
            config.setTimeBetweenEvictionRuns(pool.getTimeBetweenEvictionRuns());
        }
        return config;
    }
}
