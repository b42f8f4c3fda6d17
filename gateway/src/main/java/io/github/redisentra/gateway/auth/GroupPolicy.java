package io.github.redisentra.gateway.auth;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Who may use the gateway, from the token's groups and app roles.
 *
 * <p>A user is admitted when they are a member of <em>every</em> {@code required} group and — if any
 * {@code allowedGroups} or {@code allowedRoles} are configured — of at least one allowed group <em>or</em> hold at
 * least one allowed role. With no rule at all, {@code anyTenantUser} must be on (checked at configuration time).
 * Group ids compare case-insensitively; role values exactly.
 */
public record GroupPolicy(Set<String> required, Set<String> allowedGroups, Set<String> allowedRoles) {

    public GroupPolicy {
        required = lower(required);
        allowedGroups = lower(allowedGroups);
        allowedRoles = Set.copyOf(allowedRoles);
    }

    /** The outcome: admitted with the groups/roles that matched, or refused with a reason code. */
    public record Outcome(
            boolean admitted, String reason, String detail, Set<String> matchedGroups, Set<String> matchedRoles) {}

    /** Whether any rule looks at groups (then an overage token needs Graph). */
    public boolean needsGroups() {
        return !required.isEmpty() || !allowedGroups.isEmpty();
    }

    /** The groups whose membership matters: what to ask Graph on overage. */
    public Set<String> groupsOfInterest() {
        Set<String> s = new LinkedHashSet<>(required);
        s.addAll(allowedGroups);
        return s;
    }

    /** @param groups the user's group ids (any case) */
    public Outcome evaluate(Set<String> groups, Set<String> roles) {
        Set<String> g = lower(groups);
        Set<String> matchedGroups = new LinkedHashSet<>();
        for (String r : required) {
            if (!g.contains(r)) {
                return new Outcome(false, "missing_group", "not a member of required group " + r, Set.of(), Set.of());
            }
            matchedGroups.add(r);
        }
        Set<String> matchedRoles = new LinkedHashSet<>();
        if (!allowedGroups.isEmpty() || !allowedRoles.isEmpty()) {
            Set<String> anyGroups = new LinkedHashSet<>(allowedGroups);
            anyGroups.retainAll(g);
            Set<String> anyRoles = new LinkedHashSet<>(allowedRoles);
            anyRoles.retainAll(roles);
            if (anyGroups.isEmpty() && anyRoles.isEmpty()) {
                String reason = allowedGroups.isEmpty() ? "missing_role" : "missing_group";
                return new Outcome(
                        false,
                        reason,
                        "member of none of the allowed groups and holds none of the allowed roles",
                        Set.of(),
                        Set.of());
            }
            matchedGroups.addAll(anyGroups);
            matchedRoles.addAll(anyRoles);
        }
        return new Outcome(true, null, null, Set.copyOf(matchedGroups), Set.copyOf(matchedRoles));
    }

    private static Set<String> lower(Set<String> s) {
        Set<String> out = new LinkedHashSet<>();
        for (String x : s) {
            out.add(x.toLowerCase(Locale.ROOT));
        }
        return Set.copyOf(out);
    }
}
