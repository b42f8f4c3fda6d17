package io.github.redisentra.gateway.auth;

/** The outcome of one authentication: admitted as a principal, or denied with a reason for the audit log. */
public sealed interface AuthDecision {

    /** The credential was valid and the principal may use the gateway until {@link Principal#expiresAt()}. */
    record Allowed(Principal principal) implements AuthDecision {}

    /**
     * The credential was refused. The client only ever sees Redis's {@code WRONGPASS} reply; {@code reason}
     * (a stable machine-readable code such as {@code bad_signature}) and {@code detail} go to the audit log and
     * metrics. Neither may contain the credential.
     */
    record Denied(String reason, String detail) implements AuthDecision {}
}
