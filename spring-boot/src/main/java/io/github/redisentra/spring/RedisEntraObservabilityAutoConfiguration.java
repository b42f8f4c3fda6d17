package io.github.redisentra.spring;

import io.github.redisentra.core.TokenRefresher;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code redisEntra} health indicator (with Spring Boot's health support on the classpath, e.g. the actuator) and
 * Micrometer meters (with Micrometer on the classpath; Boot binds every {@link MeterBinder} bean).
 */
@AutoConfiguration(after = RedisEntraAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "redis.entra.enabled")
public class RedisEntraObservabilityAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "redisEntraHealthIndicator")
        RedisEntraHealthIndicator redisEntraHealthIndicator(TokenRefresher refresher, RedisEntraStatistics statistics) {
            return new RedisEntraHealthIndicator(refresher, statistics);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        RedisEntraMetrics redisEntraMetrics(TokenRefresher refresher, RedisEntraStatistics statistics) {
            return new RedisEntraMetrics(refresher, statistics);
        }
    }
}
