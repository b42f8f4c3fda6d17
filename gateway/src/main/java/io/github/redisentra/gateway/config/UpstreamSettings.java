package io.github.redisentra.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The upstream cache as an endpoint: {@code REDIS_HOSTPORT}, the host name for SNI and certificate verification
 * ({@code REDIS_HOSTNAME}, else the host of {@code REDIS_HOSTPORT}), {@code REDIS_TLS}, {@code REDIS_CA_FILE} and
 * {@code REDIS_CONNECT_TIMEOUT}. Who the gateway is towards it is {@link UpstreamIdentitySettings}.
 */
public record UpstreamSettings(
        HostPort address, String hostname, boolean tls, Optional<Path> caFile, Duration connectTimeout) {}
