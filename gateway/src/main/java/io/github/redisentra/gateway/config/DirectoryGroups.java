package io.github.redisentra.gateway.config;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.RDN;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How group values are written and compared (the roles file, {@code LDAP_*_GROUPS}, a directory user's groups): an
 * Entra group object id, a directory group's DN, or {@code name:} and a directory group's name.
 */
public final class DirectoryGroups {
    private DirectoryGroups() {}

    /**
     * The prefix that makes a group value match directory groups by <em>name</em> (the value of the group's first
     * RDN, in any OU) instead of by DN: {@code name:Redis Users}. Explicit because anyone who may create a group
     * anywhere in the directory can create one with that name.
     */
    public static final String NAME_PREFIX = "name:";

    /**
     * Normalizes a configured group value (roles file, {@code LDAP_*_GROUPS}) for comparison with a principal's
     * groups: {@code name:X} → {@code name:x} (a directory group name, any case); a value with {@code =} must be a DN
     * and compares in its normalized form (lower case, no extra spaces) against group DNs only; anything else (an Entra
     * group object id) trimmed and lower-cased.
     *
     * @throws IllegalArgumentException saying what is wrong, when {@code name:} has no name or a DN-shaped value is
     *     not a valid DN
     */
    public static String groupReference(String value) {
        String t = value.trim();
        if (t.regionMatches(true, 0, NAME_PREFIX, 0, NAME_PREFIX.length())) {
            String name = t.substring(NAME_PREFIX.length()).trim();
            if (name.isEmpty()) {
                throw new IllegalArgumentException("\"" + t + "\": " + NAME_PREFIX + " needs a group name after it");
            }
            return NAME_PREFIX + name.toLowerCase(Locale.ROOT);
        }
        if (t.indexOf('=') >= 0) {
            try {
                return new DN(t).toNormalizedString();
            } catch (LDAPException e) {
                throw new IllegalArgumentException("\"" + t + "\" is not a valid DN (RFC 4514): write a group DN such"
                        + " as cn=Redis Users,ou=groups,dc=example,dc=com, or " + NAME_PREFIX + "<group name>");
            }
        }
        return t.toLowerCase(Locale.ROOT);
    }

    /** Whether a {@link #groupReference} names a directory group (a DN or {@code name:}), not an Entra group. */
    public static boolean isDirectoryGroup(String reference) {
        return reference.startsWith(NAME_PREFIX) || reference.indexOf('=') >= 0;
    }

    /**
     * A user's directory groups as policy and roles see them: each group's normalized DN, which matches DN values
     * only, and {@code name:} + its name (the value of its first RDN, lower case), which matches {@code name:} values
     * only. A value the directory returns that is not a DN is dropped: it could otherwise pose as an Entra group id.
     */
    public static Set<String> of(List<String> groupDns) {
        Set<String> out = new LinkedHashSet<>();
        for (String g : groupDns) {
            DN dn;
            try {
                dn = new DN(g);
            } catch (LDAPException e) {
                continue;
            }
            RDN rdn = dn.getRDN();
            if (rdn == null) {
                continue; // the empty DN names no group
            }
            out.add(dn.toNormalizedString());
            out.add(NAME_PREFIX + rdn.getAttributeValues()[0].toLowerCase(Locale.ROOT));
        }
        return out;
    }
}
