/**
 * The connection side towards the cache: where ({@link io.github.redisentra.gateway.upstream.UpstreamEndpoint}), as
 * whom ({@link io.github.redisentra.gateway.upstream.UpstreamCredentials}), and how bytes come back
 * ({@link io.github.redisentra.gateway.upstream.UpstreamHandler} → {@link io.github.redisentra.gateway.upstream.ReplySink});
 * how one session's connection stays authenticated ({@link io.github.redisentra.gateway.upstream.UpstreamAuth}:
 * initial AUTH, re-AUTH on renewal, identity switch, the expiry guard; the only writer of AUTH frames), and which
 * connection's events reach the session ({@link io.github.redisentra.gateway.upstream.UpstreamLink}, with the RESP2
 * subscriber's make-before-break {@code Handover} to a re-authenticated connection).
 * {@link io.github.redisentra.gateway.upstream.PubSubReply} reads the head of pub/sub replies for both.
 */
package io.github.redisentra.gateway.upstream;
