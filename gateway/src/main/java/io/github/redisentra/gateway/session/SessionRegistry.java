package io.github.redisentra.gateway.session;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.auth.SessionDirectory;
import io.github.redisentra.gateway.auth.UserLocks;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.netty.channel.Channel;
import java.net.SocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live sessions of one gateway: fans a renewed upstream token out to each session on its own event loop
 * (one listener for the process instead of one per connection), lets shutdown drain them, and closes every session
 * of a user an administrator locks out ({@link SessionDirectory}: the authenticator path reports who was admitted on
 * which client connection, keyed by the connection's remote address).
 */
public final class SessionRegistry implements SessionDirectory {
    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicLong largestInputBacklog = new AtomicLong();
    private final Map<SocketAddress, Attached> byClient = new ConcurrentHashMap<>();

    /**
     * A client connection's session and every user admitted on it: an immutable set replaced on each new user (one
     * user for nearly every connection), not a concurrent set per connection.
     */
    private static final class Attached {
        final ClientSession session;
        private volatile Set<String> users = Set.of();

        Attached(ClientSession session) {
            this.session = session;
        }

        synchronized void add(String user) {
            Set<String> now = users;
            if (!now.contains(user)) {
                String[] next = now.toArray(new String[now.size() + 1]);
                next[now.size()] = user;
                users = Set.of(next);
            }
        }

        boolean has(String user) {
            return users.contains(user);
        }
    }

    /**
     * The server accepted {@code client} and gave it {@code session}: from now until the connection closes,
     * admissions reported for its remote address belong to this session.
     */
    public void attach(Channel client, ClientSession session) {
        SocketAddress address = client.remoteAddress();
        if (address == null) {
            return;
        }
        Attached a = new Attached(session);
        byClient.put(address, a);
        client.closeFuture().addListener(f -> byClient.remove(address, a));
    }

    @Override
    public void admitted(SocketAddress client, String user) {
        Attached a = client == null || user == null ? null : byClient.get(client);
        if (a != null) {
            a.add(UserLocks.normalize(user));
        }
    }

    @Override
    public int closeSessionsOf(String user, String errorLine) {
        String u = UserLocks.normalize(user);
        int n = 0;
        for (Attached a : byClient.values()) {
            if (a.has(u)) {
                ClientSession s = a.session;
                s.executeOnLoop(() -> s.fail(errorLine));
                n++;
            }
        }
        return n;
    }

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
