package io.github.redisentra.gateway.auth;

import java.time.Instant;
import java.util.Set;

/**
 * An authenticated client identity.
 *
 * @param objectId the Entra {@code oid} (or a directory user's stable id for other authenticators)
 * @param tenantId the Entra {@code tid}, or {@code null} when not applicable
 * @param displayName {@code upn}/{@code preferred_username}/{@code name}, for the audit log only
 * @param expiresAt after this instant (plus the configured skew) the session must authenticate again
 * @param groups the group ids (or directory groups) that matched the policy
 * @param roles the app roles that matched the policy
 */
public record Principal(
        String objectId,
        String tenantId,
        String displayName,
        Instant expiresAt,
        Set<String> groups,
        Set<String> roles) {

    public Principal {
        groups = Set.copyOf(groups);
        roles = Set.copyOf(roles);
    }
}
