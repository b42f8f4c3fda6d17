package io.github.redisentra.gateway.it;

import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.session.GatewayEvents;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts what the session layer reports, for assertions. */
final class CountingEvents implements GatewayEvents {
    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger disconnected = new AtomicInteger();
    final AtomicInteger allowed = new AtomicInteger();
    final AtomicInteger denied = new AtomicInteger();
    final AtomicInteger upstreamConnected = new AtomicInteger();
    final AtomicInteger upstreamFailed = new AtomicInteger();
    final AtomicInteger reauthOk = new AtomicInteger();
    final AtomicInteger reauthFailed = new AtomicInteger();
    final java.util.Map<String, AtomicInteger> refusedConnections = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public void connectionRefused(String reason) {
        refusedConnections.computeIfAbsent(reason, k -> new AtomicInteger()).incrementAndGet();
    }

    int refused(String reason) {
        AtomicInteger n = refusedConnections.get(reason);
        return n == null ? 0 : n.get();
    }

    @Override
    public void clientConnected() {
        connected.incrementAndGet();
    }

    @Override
    public void clientDisconnected() {
        disconnected.incrementAndGet();
    }

    @Override
    public void authDecided(AuthDecision decision) {
        (decision instanceof AuthDecision.Allowed ? allowed : denied).incrementAndGet();
    }

    @Override
    public void upstreamConnected() {
        upstreamConnected.incrementAndGet();
    }

    @Override
    public void upstreamFailed(String reason) {
        upstreamFailed.incrementAndGet();
    }

    @Override
    public void upstreamReauthenticated(boolean success) {
        (success ? reauthOk : reauthFailed).incrementAndGet();
    }
}
