package io.github.redisentra.gateway.session;

/**
 * User events a {@link ClientSession} fires down its channel's pipeline (to the handlers after it), for the listener
 * wiring that counts connections by state.
 */
public enum SessionEvent {
    /** A client sign-in succeeded: the connection is no longer unauthenticated. */
    AUTHENTICATED
}
