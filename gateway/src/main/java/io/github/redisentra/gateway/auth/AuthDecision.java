package io.github.redisentra.gateway.auth;

/** The outcome of one authentication: admitted as a principal, or denied with a reason for the audit log. */
public sealed interface AuthDecision {

    /** The credential was valid and the principal may use the gateway until {@link Principal#expiresAt()}. */
    record Allowed(Principal principal) implements AuthDecision {}

    /**
     * The credential was refused. The client sees Redis's {@code WRONGPASS} reply unless {@code reply} names another
     * error line (e.g. a sign-in throttled before any check); {@code reason} (a stable machine-readable code such as
     * {@code bad_signature}) and {@code detail} go to the audit log and metrics. None may contain the credential.
     *
     * @param reply the error line the client gets instead of {@code WRONGPASS} (starting with {@code -}), or
     *     {@code null}
     */
    record Denied(String reason, String detail, String reply) implements AuthDecision {
        public Denied(String reason, String detail) {
            this(reason, detail, null);
        }
    }
}
