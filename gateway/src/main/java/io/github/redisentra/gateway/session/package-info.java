/**
 * The per-client state machine, one concern per class: {@link io.github.redisentra.gateway.session.ClientSession}
 * (the client channel's handler, where the parts meet; the only writer of client command bytes upstream),
 * {@link io.github.redisentra.gateway.session.ForwardRun} (the forwarded commands of one read not written upstream yet),
 * {@link io.github.redisentra.gateway.session.ClientInput} (input loop, streaming, backpressure),
 * {@link io.github.redisentra.gateway.session.CommandGate} (the one decision every client command passes before any
 * byte of it goes upstream), {@link io.github.redisentra.gateway.session.ProtocolState} (AUTH / HELLO / RESET, RESP
 * version, timers), {@link io.github.redisentra.gateway.session.PubSubState} (subscriptions, out-of-band delivery),
 * {@link io.github.redisentra.gateway.session.ReplyLedger} (what each upstream reply belongs to, in command order),
 * {@link io.github.redisentra.gateway.session.UpstreamReplies} (each upstream reply carried out as its ledger entry says),
 * {@link io.github.redisentra.gateway.session.ClusterEntries} and
 * {@link io.github.redisentra.gateway.session.ClusterHold} (cluster mode: rewritten replies, the hold behind a redirect),
 * {@link io.github.redisentra.gateway.session.SessionUpstream} (the session's side toward its upstream connection),
 * {@link io.github.redisentra.gateway.session.SessionRegistry} (token fan-out, drain) and
 * {@link io.github.redisentra.gateway.session.GatewayEvents} (what sessions and the listener report to metrics). See
 * {@code gateway/ARCHITECTURE.md}.
 */
package io.github.redisentra.gateway.session;
