package io.github.redisentra.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A token source driven by the test: it mints opaque tokens on the test clock (or fails, or repeats itself) and
 * records every call.
 */
final class ScriptedTokenSource implements TokenSource {
    /** What the next call does. */
    interface Behaviour {
        AccessToken answer(ScriptedTokenSource source, boolean forceRefresh) throws Exception;
    }

    private final MutableClock clock;
    private volatile Behaviour behaviour;
    private volatile Duration lifetime = Duration.ofMinutes(60);
    final List<Instant> callTimes = new ArrayList<>();
    final List<Boolean> forceFlags = new ArrayList<>();
    private final AtomicInteger inCall = new AtomicInteger();
    volatile int maxConcurrent;
    volatile boolean closed;
    private int minted;

    ScriptedTokenSource(MutableClock clock) {
        this.clock = clock;
        this.behaviour = (s, f) -> s.mint();
    }

    ScriptedTokenSource lifetime(Duration d) {
        this.lifetime = d;
        return this;
    }

    ScriptedTokenSource behave(Behaviour b) {
        this.behaviour = b;
        return this;
    }

    /** A fresh token issued now, living {@link #lifetime}. */
    synchronized AccessToken mint() {
        Instant now = clock.instant();
        return AccessToken.opaque("secret-" + (++minted), now, now.plus(lifetime));
    }

    synchronized int calls() {
        return callTimes.size();
    }

    synchronized List<Instant> callTimes() {
        return List.copyOf(callTimes);
    }

    @Override
    public AccessToken getToken(boolean forceRefresh) throws Exception {
        int c = inCall.incrementAndGet();
        maxConcurrent = Math.max(maxConcurrent, c);
        try {
            synchronized (this) {
                callTimes.add(clock.instant());
                forceFlags.add(forceRefresh);
            }
            return behaviour.answer(this, forceRefresh);
        } finally {
            inCall.decrementAndGet();
        }
    }

    @Override
    public String describe() {
        return "scripted test source";
    }

    @Override
    public void close() {
        closed = true;
    }
}
