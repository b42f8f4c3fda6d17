package io.github.redisentra.gateway.config;

import java.time.Duration;

/**
 * Limits on clients: time and size allowed before {@code AUTH}, connection caps, the sign-in throttle and the rate of
 * audit lines for refusals.
 *
 * @param preAuthMaxBytes {@code PREAUTH_MAX_BYTES}: the budget of input bytes held per unauthenticated connection
 * @param maxUnauthenticatedPerAddress {@code MAX_UNAUTHENTICATED_PER_ADDRESS}; 0 for no cap
 * @param logDeniedPerSecond {@code LOG_DENIED_PER_SECOND}: audit lines per second for refusals of each kind; 0 for
 *     every line
 * @param authFailuresPerAddress {@code AUTH_FAILURES_PER_ADDRESS}; 0 for off
 * @param authFailuresPerUser {@code AUTH_FAILURES_PER_USER}; 0 for off
 */
public record LimitsSettings(
        Duration authTimeout,
        int preAuthMaxBulkBytes,
        int preAuthMaxArgs,
        int preAuthMaxBytes,
        int maxClients,
        int maxUnauthenticatedPerAddress,
        int logDeniedPerSecond,
        int authFailuresPerAddress,
        int authFailuresPerUser,
        Duration authFailureWindow,
        Duration authFailureDelay) {}
