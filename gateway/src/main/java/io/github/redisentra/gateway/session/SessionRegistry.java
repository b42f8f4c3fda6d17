package io.github.redisentra.gateway.session;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live sessions of one gateway: fans a renewed upstream token out to each session on its own event loop
 * (one listener for the process instead of one per connection), and lets shutdown drain them.
 */
public final class SessionRegistry {
    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicLong largestInputBacklog = new AtomicLong();

    void add(ClientSession s) {
        sessions.add(s);
    }

    void remove(ClientSession s) {
        sessions.remove(s);
    }

    /** A session held {@code bytes} of client input (called only when its own maximum grows). */
    void noteInputBacklog(long bytes) {
        largestInputBacklog.accumulateAndGet(bytes, Math::max);
    }

    /**
     * The most client input any one session has held at once since start: unparsed bytes plus bytes written
     * upstream and not yet sent. Bounded by the frame limits and the upstream write buffer, not by value sizes,
     * since large values are streamed.
     */
    public long largestInputBacklogBytes() {
        return largestInputBacklog.get();
    }

    /** Number of open client sessions. */
    public int size() {
        return sessions.size();
    }

    /**
     * Every live session whose upstream identity is {@code from} re-AUTHs its upstream connection with {@code token}
     * (on its own event loop); sessions of other identities (roles' {@code upstream:} blocks) ignore it.
     */
    public void upstreamTokenRenewed(UpstreamCredentials from, AccessToken token) {
        for (ClientSession s : sessions) {
            s.executeOnLoop(() -> s.onUpstreamToken(from, token));
        }
    }

    /** Every session stops reading new commands and closes once its owed replies are delivered. */
    public void drainAll() {
        for (ClientSession s : sessions) {
            s.executeOnLoop(s::drain);
        }
    }

    /** Closes every session now with the given error line (without CRLF). */
    public void closeAll(String errorLine) {
        for (ClientSession s : sessions) {
            s.executeOnLoop(() -> s.fail(errorLine));
        }
    }
}
