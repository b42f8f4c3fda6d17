/**
 * The {@code redis-entra} command: {@code login}, {@code token}, {@code status}, {@code logout} over core's MSAL user
 * sign-in with its persistent cache, and {@code connect}, a loopback tunnel that is the gateway's own listener,
 * session and upstream machinery with another front door ({@link io.github.redisentra.cli.LocalAuthenticator}) and
 * the signed-in user as the upstream credential. Settings: flag, then {@code REDIS_ENTRA_*} environment variable,
 * then the config file ({@link io.github.redisentra.cli.Settings}).
 */
package io.github.redisentra.cli;
