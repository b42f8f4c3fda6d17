package io.github.redisentra.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The upstream cache as an endpoint: {@code REDIS_HOSTPORT}, the host name for SNI and certificate verification
 * ({@code REDIS_HOSTNAME}, else the host of {@code REDIS_HOSTPORT}), {@code REDIS_TLS}, {@code REDIS_CA_FILE} and
 * {@code REDIS_CONNECT_TIMEOUT}, and how fast new connections to it may be opened ({@code UPSTREAM_CONNECT_RATE}
 * per second, {@code 0}: unlimited; {@code UPSTREAM_CONNECT_BURST} at once), and the warm pool of pre-authenticated
 * connections to it ({@code UPSTREAM_POOL_SIZE}, {@code 0}: off; {@code UPSTREAM_POOL_MAX_IDLE}, {@code 0}: no
 * limit). Who the gateway is towards it is {@link UpstreamIdentitySettings}.
 */
public record UpstreamSettings(
        HostPort address,
        String hostname,
        boolean tls,
        Optional<Path> caFile,
        Duration connectTimeout,
        int connectRate,
        int connectBurst,
        int poolSize,
        Duration poolMaxIdle) {

    /** Without a cap on the connect rate, without a warm pool. */
    public UpstreamSettings(
            HostPort address, String hostname, boolean tls, Optional<Path> caFile, Duration connectTimeout) {
        this(address, hostname, tls, caFile, connectTimeout, 0, 1, 0, Duration.ofMinutes(5));
    }
}
