package io.github.redisentra.gateway.auth;

import io.github.redisentra.core.AccessToken;
import java.net.SocketAddress;

/**
 * One credential presented by a client.
 *
 * @param username the user name the client sent, or {@code null} for the one-argument {@code AUTH <password>}
 * @param password the secret (a JWT for Entra sign-in); never logged, redacted by {@link #toString()}
 * @param clientAddress the client's remote address, for the audit log
 */
public record AuthRequest(String username, String password, SocketAddress clientAddress) {

    @Override
    public String toString() {
        return "AuthRequest[username=" + username + ", password=<redacted sha256="
                + (password == null ? "-" : AccessToken.fingerprintOf(password)) + ">, client=" + clientAddress
                + "]";
    }
}
