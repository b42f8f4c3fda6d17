/**
 * RESP framing: {@link io.github.redisentra.gateway.resp.RequestFramer} finds client command boundaries (RESP2
 * multibulk and inline, with Redis's exact protocol errors and state-dependent limits) and
 * {@link io.github.redisentra.gateway.resp.ReplyFramer} finds upstream reply boundaries (RESP2 and RESP3, attributes,
 * pushes, streamed types) without decoding or allocating per reply.
 */
package io.github.redisentra.gateway.resp;
