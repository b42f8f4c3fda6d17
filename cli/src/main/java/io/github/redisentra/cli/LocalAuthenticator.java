package io.github.redisentra.cli;

import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.AuthRequest;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.auth.Principal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The tunnel's front door, in the gateway's {@link Authenticator} seat: a local client's {@code AUTH} / {@code HELLO
 * … AUTH} is answered here and never forwarded (the session sends the bytes of a client's credential only to its
 * authenticator). Without a local password every credential is accepted (the listener is loopback only); with one,
 * only that password. The principal is the signed-in user (the session's user-name check then admits {@code
 * default}, an empty name or the user's object id), and it never expires: the upstream credential is what renews.
 */
final class LocalAuthenticator implements Authenticator {
    private final Principal user;
    private final byte[] localPassword;

    /** @param localPassword the password local clients must send, or {@code null} to accept any */
    LocalAuthenticator(Principal user, String localPassword) {
        this.user = user;
        this.localPassword = localPassword == null ? null : localPassword.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public CompletionStage<AuthDecision> authenticate(AuthRequest request) {
        if (localPassword != null) {
            byte[] sent = request.password() == null
                    ? new byte[0]
                    : request.password().getBytes(StandardCharsets.UTF_8);
            if (!MessageDigest.isEqual(sent, localPassword)) {
                return CompletableFuture.completedFuture(
                        new AuthDecision.Denied("local_password", "not the tunnel's local password"));
            }
        }
        return CompletableFuture.completedFuture(new AuthDecision.Allowed(user));
    }
}
