/**
 * Assembly and entry points: {@link io.github.redisentra.gateway.Main} (command line),
 * {@link io.github.redisentra.gateway.GatewaySetup} (the configuration and the roles file it names, read together),
 * {@code GatewayRuntime} (authenticator chain — {@code ClientAuth} —, upstream identities, roles, metrics, admin
 * listener, built from the settings), {@code RespListenerWiring} and
 * {@link io.github.redisentra.gateway.GatewayServer} (the Netty RESP listener that gives every client a
 * {@link io.github.redisentra.gateway.session.ClientSession} once {@code ClientAdmission} has admitted the
 * connection), and {@code ConfigCheck} ({@code --check-config}). The path of a byte through the gateway is described
 * in {@code gateway/ARCHITECTURE.md}. The packages form no dependency cycle ({@code PackageCyclesTest}).
 */
package io.github.redisentra.gateway;
