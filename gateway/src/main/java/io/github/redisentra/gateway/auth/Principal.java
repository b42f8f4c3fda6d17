package io.github.redisentra.gateway.auth;

import java.time.Instant;
import java.util.Set;

/**
 * An authenticated client identity.
 *
 * @param objectId the Entra {@code oid}; for a directory (LDAP) user the user name as sent in {@code AUTH}
 * @param tenantId the Entra {@code tid}, or {@code null} when not applicable
 * @param displayName {@code upn}/{@code preferred_username}/{@code name}, for the audit log only
 * @param expiresAt after this instant (plus the configured skew) the session must authenticate again
 * @param groups Entra: the group ids that matched the policy. LDAP: all the user's directory groups, each as its
 *     normalized DN ({@code cn=redis users,ou=groups,dc=example,dc=com}) and as {@code name:} + its name (first RDN
 *     value, {@code name:redis users}); the two forms never collide, so a DN-shaped group name cannot pose as a DN
 * @param roles the app roles that matched the policy
 * @param issuedAt the token's {@code iat}, or {@code null} when unknown (directory users): a user lock refuses
 *     credentials issued before it
 */
public record Principal(
        String objectId,
        String tenantId,
        String displayName,
        Instant expiresAt,
        Set<String> groups,
        Set<String> roles,
        Instant issuedAt) {

    public Principal {
        groups = Set.copyOf(groups);
        roles = Set.copyOf(roles);
    }

    /** Without an issue time (directory users, tests). */
    public Principal(
            String objectId,
            String tenantId,
            String displayName,
            Instant expiresAt,
            Set<String> groups,
            Set<String> roles) {
        this(objectId, tenantId, displayName, expiresAt, groups, roles, null);
    }
}
