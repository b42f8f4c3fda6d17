/**
 * The connection side towards the cache: where ({@link io.github.redisentra.gateway.upstream.UpstreamEndpoint}), as
 * whom ({@link io.github.redisentra.gateway.upstream.UpstreamCredentials}), and how bytes come back
 * ({@link io.github.redisentra.gateway.upstream.UpstreamHandler} → {@link io.github.redisentra.gateway.upstream.ReplySink}),
 * and how one session's connection stays authenticated ({@link io.github.redisentra.gateway.upstream.UpstreamAuth}:
 * initial AUTH, re-AUTH on renewal, identity switch, the expiry guard).
 */
package io.github.redisentra.gateway.upstream;
