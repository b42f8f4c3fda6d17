/**
 * RESP, the one codec of the gateway: {@link io.github.redisentra.gateway.resp.RequestFramer} finds client command
 * boundaries (RESP2 multibulk and inline, with Redis's exact protocol errors and state-dependent limits) and
 * {@link io.github.redisentra.gateway.resp.ReplyFramer} finds upstream reply boundaries (RESP2 and RESP3, attributes,
 * pushes, streamed types) without decoding or allocating per reply, both on the event loops;
 * {@link io.github.redisentra.gateway.resp.RespConnection} is the one blocking client, off the event loops, for the
 * probes of the cache ({@code --check-config}, the command table at start-up), decoding its replies with
 * {@link io.github.redisentra.gateway.resp.RespValue}, the one RESP2/RESP3 value decoder and encoder, which the cluster
 * reply rewriting also uses.
 */
package io.github.redisentra.gateway.resp;
