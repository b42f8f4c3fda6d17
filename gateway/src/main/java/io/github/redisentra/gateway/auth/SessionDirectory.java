package io.github.redisentra.gateway.auth;

import java.net.SocketAddress;

/**
 * The open client sessions as the lock-out sees them: who was admitted on which connection, and closing every
 * session of a user. Implemented by the session registry; the authenticator path feeds it.
 */
public interface SessionDirectory {

    /** No sessions (before the listener starts). */
    SessionDirectory NONE = new SessionDirectory() {
        @Override
        public void admitted(SocketAddress client, String user) {}

        @Override
        public int closeSessionsOf(String user, String errorLine) {
            return 0;
        }
    };

    /**
     * The connection from {@code client} was admitted as {@code user} ({@code oid} or directory user name). Every
     * user ever admitted on a connection counts for it, so a lock closes it even if a later AUTH changed who it is.
     */
    void admitted(SocketAddress client, String user);

    /** Closes every open session admitted as {@code user} with {@code errorLine}; returns how many. */
    int closeSessionsOf(String user, String errorLine);
}
