/**
 * The gateway's own identities towards Azure and the cache: where its upstream tokens come from
 * ({@link io.github.redisentra.gateway.identity.UpstreamTokenSources}, {@code AzureIdentities}) and the refreshed
 * upstream credential built from {@code config.UpstreamIdentitySettings}
 * ({@link io.github.redisentra.gateway.identity.UpstreamIdentity}, an {@code upstream.UpstreamCredentials}; the
 * roles' identities are kept by {@code acl.RoleUpstreams}), and {@link io.github.redisentra.gateway.identity.UpstreamProbe}, which authenticates a blocking
 * {@code resp.RespConnection} as one of those identities for {@code --check-config} and the start-time command table.
 */
package io.github.redisentra.gateway.identity;
