/**
 * Configuration: environment variables read once, in one place ({@link io.github.redisentra.gateway.config.GatewayConfig}),
 * completely validated (every problem reported at once, naming the setting), into small immutable settings records
 * per area — {@code ListenerSettings}, {@code EntraSettings}, {@code HttpSettings}, {@code UpstreamSettings},
 * {@code UpstreamIdentitySettings} (with the {@code UpstreamCredentialSource} the settings chose),
 * {@code RolesSettings}, {@code LimitsSettings}, {@code LifecycleSettings}, {@code AdminSettings},
 * {@code LogSettings} and {@link io.github.redisentra.gateway.config.LdapConfig} — of which each part of the gateway
 * takes its own. {@link io.github.redisentra.gateway.config.Setting} is the one list of settings behind {@code --help},
 * {@code --env-example} and the README reference table. This package depends on no other gateway package: files whose
 * contents others understand (the roles file) are read by the assembly through a {@code GatewayConfig.FileCheck}.
 */
package io.github.redisentra.gateway.config;
