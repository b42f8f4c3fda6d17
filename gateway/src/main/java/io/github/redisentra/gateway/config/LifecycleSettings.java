package io.github.redisentra.gateway.config;

import java.time.Duration;

/**
 * Shutdown: on SIGTERM the gateway is not ready but still accepting for {@code shutdownDelay}, then drains sessions
 * for up to {@code drainTimeout}.
 */
public record LifecycleSettings(Duration drainTimeout, Duration shutdownDelay) {}
