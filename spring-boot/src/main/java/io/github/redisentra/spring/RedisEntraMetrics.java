package io.github.redisentra.spring;

import io.github.redisentra.core.RefreshStatus;
import io.github.redisentra.core.TokenRefresher;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.time.Instant;

/**
 * Micrometer meters for the application's Entra ID tokens (names as Micrometer writes them; Prometheus turns the dots
 * into underscores):
 *
 * <ul>
 *   <li>{@code redis.entra.token.renewals} (counter): new tokens after the first;
 *   <li>{@code redis.entra.token.failures} (counter): failed attempts to obtain a token;
 *   <li>{@code redis.entra.token.acquisition} (timer): how long each request to the token source took;
 *   <li>{@code redis.entra.token.expiry} (gauge, seconds): time left on the current token (0 when none);
 *   <li>{@code redis.entra.token.consecutive.failures} (gauge);
 *   <li>{@code redis.entra.reauthentications} (counter, tag {@code result=success|failure}): connections
 *       re-authenticated with a renewed token, as the Redis client reports them.
 * </ul>
 */
public class RedisEntraMetrics implements MeterBinder {
    private final TokenRefresher refresher;
    private final RedisEntraStatistics statistics;

    public RedisEntraMetrics(TokenRefresher refresher, RedisEntraStatistics statistics) {
        this.refresher = refresher;
        this.statistics = statistics;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("redis.entra.token.renewals", statistics, RedisEntraStatistics::renewals)
                .description("New Entra ID tokens after the first")
                .register(registry);
        FunctionCounter.builder("redis.entra.token.failures", statistics, RedisEntraStatistics::failedAttempts)
                .description("Failed attempts to obtain an Entra ID token")
                .register(registry);
        Timer acquisition = Timer.builder("redis.entra.token.acquisition")
                .description("Time taken by each request to the token source")
                .register(registry);
        statistics.onAcquisitionTime(acquisition::record);
        Gauge.builder("redis.entra.token.expiry", refresher, RedisEntraMetrics::secondsToExpiry)
                .description("Seconds until the current Entra ID token expires (0 when there is none)")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder(
                        "redis.entra.token.consecutive.failures",
                        refresher,
                        r -> r.status().consecutiveFailures())
                .description("Failed token attempts since the last new token")
                .register(registry);
        FunctionCounter.builder(
                        "redis.entra.reauthentications", statistics, RedisEntraStatistics::reauthenticationsSucceeded)
                .description("Connections re-authenticated with a renewed token")
                .tag("result", "success")
                .register(registry);
        FunctionCounter.builder(
                        "redis.entra.reauthentications", statistics, RedisEntraStatistics::reauthenticationsFailed)
                .description("Connections re-authenticated with a renewed token")
                .tag("result", "failure")
                .register(registry);
    }

    private static double secondsToExpiry(TokenRefresher refresher) {
        RefreshStatus status = refresher.status();
        if (status.tokenExpiry() == null) {
            return 0;
        }
        return Math.max(0, Duration.between(Instant.now(), status.tokenExpiry()).toMillis() / 1000.0);
    }
}
