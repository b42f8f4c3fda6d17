package io.github.redisentra.gateway.upstream;

/**
 * How fast the gateway may open upstream connections ({@code UPSTREAM_CONNECT_RATE}, {@code UPSTREAM_CONNECT_BURST}):
 * caches rate-limit new connections, so a reconnect storm of thousands of clients is spread out by the gateway
 * instead of hammering the cache. See {@link ConnectRateLimiter}.
 *
 * @param perSecond new upstream connections per second, sustained; {@code 0}: unlimited
 * @param burst how many may open at once after a quiet period (at least 1)
 */
public record UpstreamConnectRate(int perSecond, int burst) {
    /** No cap (what a programmatic {@code GatewaySettings} gets unless told otherwise). */
    public static final UpstreamConnectRate UNLIMITED = new UpstreamConnectRate(0, 1);

    public UpstreamConnectRate {
        if (perSecond < 0) {
            throw new IllegalArgumentException("perSecond must be >= 0 (0: unlimited), got " + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be >= 1, got " + burst);
        }
    }

    public boolean unlimited() {
        return perSecond == 0;
    }
}
