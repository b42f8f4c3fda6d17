package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.Principal;
import java.net.SocketAddress;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The gateway's per-role permissions as sessions use them: the current {@link RolePolicy} (replaced as a whole, so
 * a session sees one policy or the next, never a mix), the denial texts in the wording of the command table's Redis
 * version, and the audit events of refusals (logger {@value AuditLog#LOGGER}; command names and reasons only, never
 * arguments: keys and values may be sensitive).
 */
public final class AccessControl {
    private static final Logger audit = LoggerFactory.getLogger(AuditLog.LOGGER);

    private volatile RolePolicy policy;

    public AccessControl(RolePolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    public RolePolicy current() {
        return policy;
    }

    /** Installs a new policy; open sessions use it from their next command. */
    public void replace(RolePolicy next) {
        this.policy = Objects.requireNonNull(next, "policy");
    }

    /** The permissions of a principal under {@code p}: the union of its roles, or none at all. */
    public static Permissions permissionsFor(RolePolicy p, Principal principal) {
        Permissions perms = p.permissionsFor(principal);
        return perms != null ? perms : new Permissions(p.table(), List.of());
    }

    /**
     * Whether a newly authenticated principal matches a role; when not, records the refusal (reason {@code no_role})
     * and returns {@code false}: the client then gets {@code WRONGPASS}.
     */
    public boolean admit(Principal p, SocketAddress client) {
        if (!policy.matching(p).isEmpty()) {
            return true;
        }
        LoggingEventBuilder b = audit.atWarn()
                .addKeyValue("event", "auth")
                .addKeyValue("result", "denied")
                .addKeyValue("reason", "no_role")
                .addKeyValue("detail", "matches no role of the roles file")
                .addKeyValue("oid", p.objectId());
        if (client != null) {
            b.addKeyValue("client", client.toString());
        }
        b.log("client refused");
        return false;
    }

    /** The reply line for a denied command, in the wording of the table's Redis version. */
    public String errorLine(Permissions.Verdict v, Permissions perms, Principal p) {
        String line = Permissions.errorLine(v, perms.table().version(), p == null ? "default" : p.objectId());
        return line.replace('\r', ' ').replace('\n', ' '); // as Redis does for error replies
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 64; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString();
    }

    /** Records a refused command. */
    public void denied(Principal p, SocketAddress client, Permissions.Verdict v) {
        LoggingEventBuilder b = audit.atWarn()
                .addKeyValue("event", "command_denied")
                .addKeyValue("reason", v.reason())
                .addKeyValue("command", printable(v.fullName()));
        if (v.position() > 0) {
            b.addKeyValue("arg_index", v.position());
        }
        if (p != null) {
            b.addKeyValue("oid", p.objectId());
        }
        if (client != null) {
            b.addKeyValue("client", client.toString());
        }
        b.log("command refused by role permissions");
    }
}
