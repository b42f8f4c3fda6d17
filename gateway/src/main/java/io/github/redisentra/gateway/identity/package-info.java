/**
 * The gateway's own identities towards Azure and the cache: where its upstream tokens come from
 * ({@link io.github.redisentra.gateway.identity.UpstreamTokenSources}, {@code AzureIdentities}) and the refreshed
 * upstream credential built from {@code config.UpstreamIdentitySettings}
 * ({@link io.github.redisentra.gateway.identity.UpstreamIdentity}, an {@code upstream.UpstreamCredentials}; the
 * roles' identities are kept by {@code acl.RoleUpstreams}), trust material, and the blocking probe used by
 * {@code --check-config} and readiness.
 */
package io.github.redisentra.gateway.identity;
