package io.github.redisentra.spring;

import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import org.redisson.config.Protocol;
import org.redisson.spring.starter.RedissonAutoConfigurationCustomizer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Redisson, through its Spring Boot starter's {@link RedissonAutoConfigurationCustomizer}: the starter keeps building
 * the client's configuration (from {@code spring.data.redis.*}: address, SSL bundle, timeouts); this sets on it one
 * shared {@link RedissonEntraCredentialsResolver} (tokens from the one {@link TokenRefresher}; open connections
 * {@code AUTH} again at each renewal) and the protocol ({@code redis.entra.protocol}, RESP3 by default: on RESP2
 * Redisson's pub/sub connections cannot be re-authenticated).
 */
@AutoConfiguration(after = RedisEntraAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "redis.entra.enabled")
@ConditionalOnClass({RedissonAutoConfigurationCustomizer.class, Protocol.class})
public class RedisEntraRedissonAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    RedissonEntraCredentialsResolver redisEntraRedissonCredentials(
            TokenRefresher refresher,
            TokenSource source,
            RedisEntraProperties properties,
            RedisEntraAutoConfiguration.RedisEntraStartup startup) {
        RedissonEntraCredentialsResolver.Builder b =
                RedissonEntraCredentialsResolver.builder(refresher).usernameFrom(source);
        if (properties.getTokenWait() != null) {
            b.tokenWait(properties.getTokenWait());
        }
        if (properties.getUsername() != null && !properties.getUsername().isBlank()) {
            b.username(properties.getUsername());
        }
        return b.build();
    }

    @Bean
    RedissonAutoConfigurationCustomizer redisEntraRedisson(
            RedissonEntraCredentialsResolver credentials, RedisEntraProperties properties) {
        Protocol protocol =
                properties.getProtocol() == RedisEntraProperties.Protocol.RESP2 ? Protocol.RESP2 : Protocol.RESP3;
        return config -> credentials.applyTo(config, protocol);
    }
}
