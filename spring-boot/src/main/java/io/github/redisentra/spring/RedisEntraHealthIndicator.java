package io.github.redisentra.spring;

import io.github.redisentra.core.RefreshStatus;
import io.github.redisentra.core.TokenRefresher;
import java.time.Duration;
import java.time.Instant;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code redisEntra} health: UP while the refresher holds a token that has not expired, DOWN otherwise. Details: when
 * the token expires and how many seconds are left, renewals, consecutive and total failed attempts, the last
 * failure (never a token), the next attempt and the connections' re-authentication counts.
 */
public class RedisEntraHealthIndicator implements HealthIndicator {
    private final TokenRefresher refresher;
    private final RedisEntraStatistics statistics;

    public RedisEntraHealthIndicator(TokenRefresher refresher, RedisEntraStatistics statistics) {
        this.refresher = refresher;
        this.statistics = statistics;
    }

    @Override
    public Health health() {
        RefreshStatus status = refresher.status();
        Instant now = Instant.now();
        Health.Builder b = status.hasValidToken(now) ? Health.up() : Health.down();
        b.withDetail("source", refresher.name());
        if (status.tokenExpiry() != null) {
            b.withDetail("tokenExpiry", status.tokenExpiry().toString());
            b.withDetail(
                    "secondsToExpiry",
                    Math.max(0, Duration.between(now, status.tokenExpiry()).toSeconds()));
        } else {
            b.withDetail("tokenExpiry", "no token yet");
        }
        if (statistics.lastRenewal() != null) {
            b.withDetail("lastRenewal", statistics.lastRenewal().toString());
        }
        b.withDetail("renewals", statistics.renewals());
        b.withDetail("consecutiveFailures", status.consecutiveFailures());
        b.withDetail("failedAttempts", statistics.failedAttempts());
        if (status.lastFailureMessage() != null) {
            b.withDetail("lastFailure", status.lastFailureMessage());
        }
        if (status.nextAttempt() != null) {
            b.withDetail("nextAttempt", status.nextAttempt().toString());
        }
        b.withDetail("reauthenticationsSucceeded", statistics.reauthenticationsSucceeded());
        b.withDetail("reauthenticationsFailed", statistics.reauthenticationsFailed());
        return b.build();
    }
}
