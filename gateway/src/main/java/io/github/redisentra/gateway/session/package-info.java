/**
 * The per-client state machine: {@link io.github.redisentra.gateway.session.ClientSession} (authentication, expiry,
 * MULTI, pub/sub, ordered replies), {@link io.github.redisentra.gateway.session.CommandGate} (the one decision every
 * client command passes before any byte of it goes upstream),
 * {@link io.github.redisentra.gateway.session.ReplyLedger} (what each upstream reply belongs to, in command order),
 * {@link io.github.redisentra.gateway.session.SessionRegistry} (token fan-out, drain) and
 * {@link io.github.redisentra.gateway.session.GatewayEvents} (what sessions and the listener report to metrics).
 */
package io.github.redisentra.gateway.session;
