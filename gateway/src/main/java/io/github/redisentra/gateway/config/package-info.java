/**
 * Configuration: environment variables read once into an immutable, completely validated
 * {@link io.github.redisentra.gateway.config.GatewayConfig} (every problem reported at once, naming the setting), with
 * {@link io.github.redisentra.gateway.config.Setting} as the one list of settings behind {@code --help} and the README
 * reference table.
 */
package io.github.redisentra.gateway.config;
