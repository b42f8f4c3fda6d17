/**
 * The gateway's own identities towards Azure and the cache: where its upstream tokens come from
 * ({@link io.github.redisentra.gateway.identity.UpstreamTokenSources}, {@code AzureIdentities}),
 * the refreshed upstream credential of the process ({@link io.github.redisentra.gateway.identity.UpstreamIdentity})
 * and of each role that names one ({@link io.github.redisentra.gateway.identity.RoleIdentities}), the Graph token for
 * group overage, and {@link io.github.redisentra.gateway.identity.UpstreamProbe}, which authenticates a blocking
 * {@code resp.RespConnection} as one of those identities for {@code --check-config} and the start-time command table.
 */
package io.github.redisentra.gateway.identity;
