/**
 * The per-client state machine: {@link io.github.redisentra.gateway.session.ClientSession} (authentication, expiry,
 * MULTI, pub/sub, ordered replies), {@link io.github.redisentra.gateway.session.CommandGate} (the one decision every
 * client command passes before any byte of it goes upstream) and
 * {@link io.github.redisentra.gateway.session.SessionRegistry} (token fan-out, drain).
 */
package io.github.redisentra.gateway.session;
