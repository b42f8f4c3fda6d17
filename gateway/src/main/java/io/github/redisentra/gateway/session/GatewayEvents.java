package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.auth.AuthDecision;

/**
 * What the session layer reports to metrics. Called on event loops: implementations must be cheap and
 * non-blocking (counters only). Audit events are emitted by the {@link io.github.redisentra.gateway.auth.Authenticator}.
 */
public interface GatewayEvents {

    GatewayEvents NONE = new GatewayEvents() {};

    default void clientConnected() {}

    default void clientDisconnected() {}

    /**
     * A new connection was refused before it got a session; {@code reason} {@code max_clients} or
     * {@code unauthenticated_per_address}.
     */
    default void connectionRefused(String reason) {}

    /** A client AUTH/HELLO AUTH was decided. */
    default void authDecided(AuthDecision decision) {}

    /** A command was answered locally instead of forwarded; {@code reason} e.g. {@code noauth}, {@code expired}. */
    default void commandRefused(String reason) {}

    default void upstreamConnected() {}

    /** An upstream connection could not be opened or was lost; {@code reason} is a short code. */
    default void upstreamFailed(String reason) {}

    /** The gateway re-authenticated an upstream connection with a renewed token. */
    default void upstreamReauthenticated(boolean success) {}

    /**
     * Why a session was closed for want of upstream re-authentication, reported with {@code
     * upstreamReauthenticated(false)}: {@code refused} (the cache answered a renewed token's AUTH with an error),
     * {@code expired} (no renewed token was acknowledged {@link SessionSettings#upstreamReauthMargin()} before the
     * connection's authentication ended: the renewal came too late, or MULTI, a blocking command or a RESP2
     * subscription held it back), {@code handover} (a RESP2 subscriber could not be moved to a new connection).
     */
    default void upstreamReauthFailed(String reason) {}

    default void bytesFromClient(long n) {}

    default void bytesToClient(long n) {}
}
