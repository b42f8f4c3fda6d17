/**
 * Assembly and entry points: {@link io.github.redisentra.gateway.Main} (command line), {@code GatewayRuntime}
 * (authenticator, upstream identities, metrics, admin listener, built from the configuration),
 * {@code RespListenerWiring} and {@link io.github.redisentra.gateway.GatewayServer} (the Netty RESP listener that
 * gives every client a {@link io.github.redisentra.gateway.session.ClientSession} once {@code ClientAdmission} has
 * admitted the connection), and {@code ConfigCheck}
 * ({@code --check-config}). The path of a byte through the gateway is described in {@code gateway/ARCHITECTURE.md}.
 */
package io.github.redisentra.gateway;
