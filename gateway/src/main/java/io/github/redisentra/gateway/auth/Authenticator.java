package io.github.redisentra.gateway.auth;

import java.util.concurrent.CompletionStage;

/**
 * Decides whether a client's {@code AUTH}/{@code HELLO … AUTH} credential admits it.
 *
 * <p>Implementations never block the calling thread (an event loop): work that may touch the network (JWKS
 * refresh, Microsoft Graph) runs on their own executor. The returned stage never completes exceptionally; every
 * failure is a {@link AuthDecision.Denied} with a reason for the audit log. The session resumes on its event loop
 * when the stage completes. Implementations emit the audit event for each decision.
 */
public interface Authenticator {

    CompletionStage<AuthDecision> authenticate(AuthRequest request);
}
