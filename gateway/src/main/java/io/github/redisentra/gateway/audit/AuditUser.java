package io.github.redisentra.gateway.audit;

import io.github.redisentra.gateway.acl.RolePolicy;
import io.github.redisentra.gateway.auth.Principal;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Who a session's commands are audited as: the user's fields rendered once, at sign-in, as a JSON fragment that
 * every line of the session reuses (no per-command work). Each field is cut to {@value #MAX_FIELD_CHARS}
 * characters and at most {@value #MAX_ROLES} roles are named, so a line stays small whatever the token says.
 */
public final class AuditUser {
    /** Longest value of one field, in characters, before JSON escaping. */
    public static final int MAX_FIELD_CHARS = 128;
    /** Most roles named on a line (the rest are counted: {@code "+2"}). */
    public static final int MAX_ROLES = 8;

    final byte[] json;

    private AuditUser(byte[] json) {
        this.json = json;
    }

    /**
     * @param oid the principal's object id (LDAP: the user name)
     * @param name its display name (upn, preferred_username, LDAP DN), or {@code null}
     * @param roles the roles (roles file) or app roles the session acts under; may be empty
     * @param client the client's address as text, or {@code null}
     */
    public static AuditUser of(String oid, String name, Collection<String> roles, String client) {
        StringBuilder sb = new StringBuilder(160);
        field(sb, "oid", oid);
        field(sb, "name", name);
        if (roles != null && !roles.isEmpty()) {
            StringBuilder r = new StringBuilder();
            int n = 0;
            for (String role : roles) {
                if (n == MAX_ROLES) {
                    r.append(",+").append(roles.size() - MAX_ROLES);
                    break;
                }
                if (n++ > 0) {
                    r.append(',');
                }
                r.append(role);
            }
            field(sb, "role", r.toString());
        }
        field(sb, "client", client);
        return new AuditUser(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The audit identity of a session at sign-in: the principal's oid and display name, its roles (with a roles file
     * the names of the roles it matches, in file order; otherwise the app roles that admitted it) and the client's
     * address.
     *
     * @param policy the roles file in force, or {@code null} without one
     */
    public static AuditUser of(Principal p, RolePolicy policy, SocketAddress client) {
        List<String> roles = new ArrayList<>();
        if (policy != null) {
            for (RolePolicy.Role r : policy.matching(p)) {
                roles.add(r.name());
            }
        } else {
            roles.addAll(new java.util.TreeSet<>(p.roles()));
        }
        return of(p.objectId(), p.displayName(), roles, client == null ? null : client.toString());
    }

    private static void field(StringBuilder sb, String key, String value) {
        if (value == null) {
            return;
        }
        sb.append(",\"").append(key).append("\":");
        Json.string(sb, value.length() > MAX_FIELD_CHARS ? value.substring(0, MAX_FIELD_CHARS) : value);
    }

    @Override
    public String toString() {
        return "AuditUser" + new String(json, StandardCharsets.UTF_8);
    }
}
