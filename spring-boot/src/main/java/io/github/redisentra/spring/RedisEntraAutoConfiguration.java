package io.github.redisentra.spring;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Entra ID tokens for Spring Data Redis: one {@link TokenSource} (from {@code redis.entra.*}, or the application's own
 * bean), one {@link TokenRefresher} (the core refresh engine) and the statistics the health indicator and metrics
 * report. Lettuce is wired by {@link RedisEntraLettuceAutoConfiguration}. Active only with
 * {@code redis.entra.enabled=true}.
 *
 * <p>At start it refuses, with a message saying what to change, when Azure's own passwordless Redis mode or a static
 * Redis password is configured as well, when the refresh policy is invalid, and (with {@code fail-fast}, the
 * default) when the first token cannot be had.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "redis.entra.enabled")
@EnableConfigurationProperties(RedisEntraProperties.class)
public class RedisEntraAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(RedisEntraAutoConfiguration.class);

    /** Properties that switch on Spring Cloud Azure's passwordless Redis support, which replaces the client options. */
    static final String[] AZURE_PASSWORDLESS_PROPERTIES = {
        "spring.data.redis.azure.passwordless-enabled", "spring.cloud.azure.redis.passwordless-enabled"
    };

    public RedisEntraAutoConfiguration(Environment environment) {
        refuseConflicts(environment);
    }

    static void refuseConflicts(Environment environment) {
        for (String property : AZURE_PASSWORDLESS_PROPERTIES) {
            if (environment.getProperty(property, Boolean.class, false)) {
                throw new RedisEntraConfigurationException(
                        "redis.entra.enabled=true and " + property
                                + "=true both sign Spring Data Redis in with Entra ID. Spring Cloud Azure's"
                                + " passwordless mode fetches a token only when a connection opens (open connections"
                                + " are dropped when it expires), forces RESP2 and replaces Boot's client options.",
                        "Remove " + property + " (and spring-cloud-azure-starter-data-redis-lettuce) to keep"
                                + " redis.entra, or set redis.entra.enabled=false.");
            }
        }
        String password = environment.getProperty("spring.data.redis.password");
        if (password != null && !password.isEmpty()) {
            throw new RedisEntraConfigurationException(
                    "redis.entra.enabled=true sends Entra ID tokens as the Redis password, but"
                            + " spring.data.redis.password is set too (it would be ignored).",
                    "Remove spring.data.redis.password, or set redis.entra.enabled=false.");
        }
    }

    @Bean
    @ConditionalOnMissingBean
    RedisEntraStatistics redisEntraStatistics() {
        return new RedisEntraStatistics();
    }

    @Bean
    @ConditionalOnMissingBean
    TokenSource redisEntraTokenSource(RedisEntraProperties properties) throws Exception {
        return TokenSourceFactory.create(properties);
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    TokenRefresher redisEntraTokenRefresher(
            TokenSource source, RedisEntraProperties properties, RedisEntraStatistics statistics) {
        RefreshPolicy policy = properties.getRefresh().toPolicy();
        return TokenRefresher.builder(statistics.timing(source))
                .policy(policy)
                .name("redis.entra (" + source.describe() + ")")
                .build();
    }

    @Bean(destroyMethod = "close")
    RedisEntraStartup redisEntraStartup(
            TokenRefresher refresher, RedisEntraProperties properties, RedisEntraStatistics statistics)
            throws InterruptedException {
        return new RedisEntraStartup(refresher, properties, statistics);
    }

    /**
     * Connects the statistics to the refresher and waits for the first token (fail-fast). The Redis client
     * configurations depend on it, so no connection factory exists before the first token is in or has failed.
     */
    public static final class RedisEntraStartup implements AutoCloseable {
        private final AutoCloseable subscription;

        RedisEntraStartup(TokenRefresher refresher, RedisEntraProperties properties, RedisEntraStatistics statistics)
                throws InterruptedException {
            this.subscription = refresher.subscribe(statistics);
            awaitFirstToken(refresher, properties);
        }

        private static void awaitFirstToken(TokenRefresher refresher, RedisEntraProperties properties)
                throws InterruptedException {
            CompletableFuture<Object> firstFailure = new CompletableFuture<>();
            AutoCloseable watch = refresher.subscribe(new TokenListener() {
                @Override
                public void onToken(AccessToken token) {}

                @Override
                public void onRefreshFailure(Throwable error, int consecutiveFailures, Instant nextAttempt) {
                    firstFailure.complete(error);
                }
            });
            try {
                if (refresher.status().consecutiveFailures() > 0) {
                    firstFailure.complete(null);
                }
                CompletableFuture<Object> first =
                        properties.isFailFast() ? CompletableFuture.anyOf(refresher.firstToken(), firstFailure) : null;
                if (first == null) {
                    refresher.firstToken().whenComplete((t, e) -> {
                        if (t != null) {
                            log.info("redis.entra: first token {}", t);
                        }
                    });
                    return;
                }
                Object outcome;
                try {
                    outcome = first.get(properties.getFirstTokenTimeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    throw new RedisEntraConfigurationException(
                            "redis.entra: no Entra ID token within " + properties.getFirstTokenTimeout()
                                    + " (redis.entra.first-token-timeout); refresher status: " + refresher.status()
                                    + ".",
                            "Check the redis.entra credential settings, or set redis.entra.fail-fast=false to start"
                                    + " anyway and keep retrying.");
                } catch (ExecutionException e) {
                    throw new IllegalStateException("redis.entra: " + e.getCause(), e.getCause());
                }
                if (!(outcome instanceof AccessToken token)) {
                    throw new RedisEntraConfigurationException(
                            "redis.entra: the first token could not be had ("
                                    + refresher.status().lastFailureMessage() + ").",
                            "Check the redis.entra credential settings, or set redis.entra.fail-fast=false to start"
                                    + " anyway and keep retrying.");
                }
                log.info("redis.entra: first token {}", token);
            } finally {
                closeQuietly(watch);
            }
        }

        @Override
        public void close() {
            closeQuietly(subscription);
        }

        private static void closeQuietly(AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // a refresher subscription's close cannot fail
            }
        }
    }
}
