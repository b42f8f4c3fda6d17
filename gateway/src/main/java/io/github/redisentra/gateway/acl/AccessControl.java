package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.logging.LineRateLimiter;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import java.net.SocketAddress;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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
    private final RoleUpstreams upstreams;
    private volatile LineRateLimiter deniedLines =
            new LineRateLimiter("command_denied", LineRateLimiter.DEFAULT_PER_SECOND);

    public AccessControl(RolePolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.upstreams = null;
    }

    /**
     * @param upstreams the identities roles name in {@code upstream:} blocks; {@code policy}'s are prepared now
     * @throws RolePolicy.InvalidPolicyException when an identity of {@code policy} cannot be built
     */
    public AccessControl(RolePolicy policy, RoleUpstreams upstreams) throws RolePolicy.InvalidPolicyException {
        this.upstreams = Objects.requireNonNull(upstreams, "upstreams");
        upstreams.prepare(policy);
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * Puts {@code next} in force after preparing the upstream identities it names (a policy whose identities cannot
     * be built is rejected and the one in force stays); identities no role names any more are closed afterwards.
     */
    public void install(RolePolicy next) throws RolePolicy.InvalidPolicyException {
        Objects.requireNonNull(next, "policy");
        if (upstreams != null) {
            upstreams.prepare(next);
        }
        replace(next);
        if (upstreams != null) {
            upstreams.retainOnly(next);
        }
    }

    /**
     * Which upstream identity a newly authenticated principal's session uses: the one its matching roles name, or
     * {@code gateway} (the gateway's own) when none names one. Roles that disagree (two different identities, or one
     * naming an identity and another naming none) make it ambiguous: rather than pick a ceiling, the principal is
     * refused (audit reason {@code ambiguous_upstream}) and {@code null} returned, as when a named identity is not
     * available (reason {@code upstream_unavailable}).
     */
    public UpstreamCredentials upstreamFor(Principal p, UpstreamCredentials gateway, SocketAddress client) {
        List<RolePolicy.Role> matched = policy.matching(p);
        Set<RolePolicy.UpstreamSpec> specs = new LinkedHashSet<>();
        boolean gatewayOwn = false;
        for (RolePolicy.Role r : matched) {
            if (r.upstream() == null) {
                gatewayOwn = true;
            } else {
                specs.add(r.upstream());
            }
        }
        if (specs.isEmpty()) {
            return gateway;
        }
        if (specs.size() > 1 || gatewayOwn) {
            refuse(p, client, "ambiguous_upstream", "matching roles name different upstream identities");
            return null;
        }
        UpstreamCredentials c = upstreams == null
                ? null
                : upstreams.credentials(specs.iterator().next());
        if (c == null) {
            refuse(p, client, "upstream_unavailable", "the role's upstream identity is not available");
        }
        return c;
    }

    private static void refuse(Principal p, SocketAddress client, String reason, String detail) {
        LoggingEventBuilder b = audit.atWarn()
                .addKeyValue("event", "auth")
                .addKeyValue("result", "denied")
                .addKeyValue("reason", reason)
                .addKeyValue("detail", detail)
                .addKeyValue("oid", p.objectId());
        if (client != null) {
            b.addKeyValue("client", client.toString());
        }
        b.log("client refused");
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

    /** Bounds the lines {@link #denied} writes (a client looping on refused commands). */
    public void deniedLines(LineRateLimiter limiter) {
        this.deniedLines = Objects.requireNonNull(limiter, "limiter");
    }

    public LineRateLimiter deniedLines() {
        return deniedLines;
    }

    /**
     * Records a refused command: one audit line, unless too many were written lately (then counted, and the next line
     * written says how many were left out).
     */
    public void denied(Principal p, SocketAddress client, Permissions.Verdict v) {
        long suppressed = deniedLines.acquire();
        if (suppressed < 0) {
            return;
        }
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
        if (suppressed > 0) {
            b.addKeyValue("suppressed", suppressed);
        }
        b.log("command refused by role permissions");
    }
}
