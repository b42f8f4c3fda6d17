package io.github.redisentra.gateway;

/**
 * Connects the runtime to the RESP server (branch gw-session's {@code GatewayServer}). Kept apart so the two halves
 * of the gateway meet in one place.
 */
final class RespListenerWiring {
    private RespListenerWiring() {}

    static GatewayRuntime.RespListener start(GatewayRuntime runtime) {
        throw new IllegalStateException("the RESP listener (GatewayServer) is not part of this build yet");
    }
}
