/**
 * The per-client state machine: {@link io.github.redisentra.gateway.session.ClientSession} (authentication, expiry,
 * MULTI, pub/sub, ordered replies) and {@link io.github.redisentra.gateway.session.SessionRegistry} (token fan-out,
 * drain).
 */
package io.github.redisentra.gateway.session;
