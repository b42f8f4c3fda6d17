/**
 * The gateway's own identities towards Azure and the cache: where its upstream tokens come from
 * ({@link io.github.redisentra.gateway.identity.UpstreamTokenSources}, {@code AzureIdentities}),
 * the refreshed upstream credential of the process ({@link io.github.redisentra.gateway.identity.UpstreamIdentity})
 * and of each role that names one ({@link io.github.redisentra.gateway.acl.RoleUpstreams}), the Graph token for
 * group overage, trust material, and the blocking probe used by {@code --check-config} and readiness.
 */
package io.github.redisentra.gateway.identity;
