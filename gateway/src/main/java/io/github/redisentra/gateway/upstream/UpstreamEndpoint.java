package io.github.redisentra.gateway.upstream;

import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the gateway connects for each client: one upstream connection per client connection.
 *
 * @param host the host name or address to dial
 * @param port the TCP port (6380 for Azure Cache for Redis TLS, 10000 for Azure Managed Redis)
 * @param sslContext the client TLS context (trust roots, protocols), or {@code null} for plaintext (local Redis)
 * @param verifyHostName the name sent as SNI and checked against the server certificate (defaults to {@code host});
 *     lets the gateway dial an address while verifying the cache's name
 * @param connectTimeout how long a connect plus TLS handshake may take
 */
public record UpstreamEndpoint(
        String host, int port, SslContext sslContext, String verifyHostName, Duration connectTimeout) {

    public UpstreamEndpoint {
        Objects.requireNonNull(host, "host");
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("upstream port must be 1..65535, got " + port);
        }
        if (verifyHostName == null || verifyHostName.isBlank()) {
            verifyHostName = host;
        }
        if (connectTimeout == null) {
            connectTimeout = Duration.ofSeconds(10);
        }
    }

    /** A TLS endpoint verified against {@code host}. */
    public static UpstreamEndpoint tls(String host, int port, SslContext sslContext) {
        return new UpstreamEndpoint(host, port, Objects.requireNonNull(sslContext, "sslContext"), host, null);
    }

    /** A plaintext endpoint (only for a local Redis). */
    public static UpstreamEndpoint plaintext(String host, int port) {
        return new UpstreamEndpoint(host, port, null, host, null);
    }

    public boolean tls() {
        return sslContext != null;
    }

    @Override
    public String toString() {
        return (tls() ? "rediss://" : "redis://") + host + ":" + port
                + (tls() && !verifyHostName.equals(host) ? " (verify " + verifyHostName + ")" : "");
    }
}
