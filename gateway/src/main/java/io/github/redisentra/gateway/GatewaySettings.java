package io.github.redisentra.gateway;

import io.github.redisentra.gateway.listener.ListenerTls;
import io.github.redisentra.gateway.session.SessionSettings;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * What {@link GatewayServer} needs, built programmatically (the configuration layer maps environment settings
 * onto it).
 *
 * @param listenAddress where clients connect (port 0 = any free port)
 * @param listenerTls the server TLS context for client connections (asked for each new connection, so a reloaded
 *     certificate applies to later connections), or {@code null} for plaintext
 * @param session per-session limits and timers
 * @param drainTimeout on shutdown, how long in-flight commands may take to be answered before connections close
 */
public record GatewaySettings(
        InetSocketAddress listenAddress, ListenerTls listenerTls, SessionSettings session, Duration drainTimeout) {

    public GatewaySettings {
        Objects.requireNonNull(listenAddress, "listenAddress");
        Objects.requireNonNull(session, "session");
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must be >= 0, got " + drainTimeout);
        }
    }

    /** Plaintext on a loopback port, default session settings, 10 s drain. */
    public static GatewaySettings loopback(int port) {
        return new GatewaySettings(
                new InetSocketAddress("127.0.0.1", port), null, SessionSettings.DEFAULTS, Duration.ofSeconds(10));
    }

    /** A fixed context ({@code null}: plaintext). */
    public GatewaySettings withListenerTls(SslContext tls) {
        return new GatewaySettings(listenAddress, ListenerTls.fixed(tls), session, drainTimeout);
    }

    public GatewaySettings withListenerTls(ListenerTls tls) {
        return new GatewaySettings(listenAddress, tls, session, drainTimeout);
    }

    public GatewaySettings withSession(SessionSettings s) {
        return new GatewaySettings(listenAddress, listenerTls, s, drainTimeout);
    }

    public GatewaySettings withDrainTimeout(Duration d) {
        return new GatewaySettings(listenAddress, listenerTls, session, d);
    }
}
