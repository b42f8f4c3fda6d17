package io.github.redisentra.gateway;

import io.github.redisentra.gateway.listener.ListenerTls;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.upstream.UpstreamConnectRate;
import io.github.redisentra.gateway.upstream.UpstreamPoolSettings;
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
 * @param connectionLimits how many connections are admitted ({@link ClientAdmission})
 * @param upstreamConnectRate how fast upstream connections may be opened ({@link UpstreamConnectRate#UNLIMITED}
 *     unless set: the {@code UPSTREAM_CONNECT_RATE} setting's default applies to the configured gateway)
 * @param upstreamPool the warm pool of pre-authenticated upstream connections ({@link UpstreamPoolSettings#OFF}
 *     unless set)
 */
public record GatewaySettings(
        InetSocketAddress listenAddress,
        ListenerTls listenerTls,
        SessionSettings session,
        Duration drainTimeout,
        ConnectionLimits connectionLimits,
        UpstreamConnectRate upstreamConnectRate,
        UpstreamPoolSettings upstreamPool) {

    public GatewaySettings {
        Objects.requireNonNull(upstreamPool, "upstreamPool");
        Objects.requireNonNull(listenAddress, "listenAddress");
        Objects.requireNonNull(upstreamConnectRate, "upstreamConnectRate");
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(connectionLimits, "connectionLimits");
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must be >= 0, got " + drainTimeout);
        }
    }

    /** Without a warm pool. */
    public GatewaySettings(
            InetSocketAddress listenAddress,
            ListenerTls listenerTls,
            SessionSettings session,
            Duration drainTimeout,
            ConnectionLimits connectionLimits,
            UpstreamConnectRate upstreamConnectRate) {
        this(
                listenAddress,
                listenerTls,
                session,
                drainTimeout,
                connectionLimits,
                upstreamConnectRate,
                UpstreamPoolSettings.OFF);
    }

    /** Without a cap on the upstream connect rate. */
    public GatewaySettings(
            InetSocketAddress listenAddress,
            ListenerTls listenerTls,
            SessionSettings session,
            Duration drainTimeout,
            ConnectionLimits connectionLimits) {
        this(listenAddress, listenerTls, session, drainTimeout, connectionLimits, UpstreamConnectRate.UNLIMITED);
    }

    /** With the default {@link ConnectionLimits}. */
    public GatewaySettings(
            InetSocketAddress listenAddress, ListenerTls listenerTls, SessionSettings session, Duration drainTimeout) {
        this(listenAddress, listenerTls, session, drainTimeout, ConnectionLimits.DEFAULTS);
    }

    /** Plaintext on a loopback port, default session settings, 10 s drain. */
    public static GatewaySettings loopback(int port) {
        return new GatewaySettings(
                new InetSocketAddress("127.0.0.1", port), null, SessionSettings.DEFAULTS, Duration.ofSeconds(10));
    }

    /** A fixed context ({@code null}: plaintext). */
    public GatewaySettings withListenerTls(SslContext tls) {
        return new GatewaySettings(
                listenAddress,
                ListenerTls.fixed(tls),
                session,
                drainTimeout,
                connectionLimits,
                upstreamConnectRate,
                upstreamPool);
    }

    public GatewaySettings withListenerTls(ListenerTls tls) {
        return new GatewaySettings(
                listenAddress, tls, session, drainTimeout, connectionLimits, upstreamConnectRate, upstreamPool);
    }

    public GatewaySettings withSession(SessionSettings s) {
        return new GatewaySettings(
                listenAddress, listenerTls, s, drainTimeout, connectionLimits, upstreamConnectRate, upstreamPool);
    }

    public GatewaySettings withDrainTimeout(Duration d) {
        return new GatewaySettings(
                listenAddress, listenerTls, session, d, connectionLimits, upstreamConnectRate, upstreamPool);
    }

    public GatewaySettings withConnectionLimits(ConnectionLimits limits) {
        return new GatewaySettings(
                listenAddress, listenerTls, session, drainTimeout, limits, upstreamConnectRate, upstreamPool);
    }

    public GatewaySettings withUpstreamConnectRate(UpstreamConnectRate rate) {
        return new GatewaySettings(
                listenAddress, listenerTls, session, drainTimeout, connectionLimits, rate, upstreamPool);
    }

    public GatewaySettings withUpstreamPool(UpstreamPoolSettings pool) {
        return new GatewaySettings(
                listenAddress, listenerTls, session, drainTimeout, connectionLimits, upstreamConnectRate, pool);
    }
}
