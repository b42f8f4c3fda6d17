package io.github.redisentra.gateway.auth;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Typed reads of a verified token's claims; a claim of the wrong type is a {@code malformed} {@link Refusal}. */
final class TokenClaims {
    private TokenClaims() {}

    /** A string-array claim ({@code roles}, {@code groups}); absent is empty. */
    static Set<String> stringArray(Map<String, Object> claims, String name) {
        Object v = claims.get(name);
        if (v == null) {
            return Set.of();
        }
        if (!(v instanceof List<?> list)) {
            throw new Refusal("malformed", name + " is not an array");
        }
        Set<String> out = new LinkedHashSet<>();
        for (Object o : list) {
            if (!(o instanceof String s)) {
                throw new Refusal("malformed", name + " contains a value that is not a string");
            }
            out.add(s);
        }
        return out;
    }

    /** A NumericDate claim, or {@code null} when absent. */
    static Instant epoch(Map<String, Object> claims, String name) {
        Object v = claims.get(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number n)) {
            throw new Refusal("malformed", name + " is not a number");
        }
        return Instant.ofEpochSecond(n.longValue());
    }

    /** The first of {@code names} that is a non-empty string, or {@code null}. */
    static String firstString(Map<String, Object> claims, String... names) {
        for (String n : names) {
            if (claims.get(n) instanceof String s && !s.isEmpty()) {
                return s;
            }
        }
        return null;
    }

    /**
     * Whether the token is an application's own (client credentials, managed identity): {@code idtyp=app}, or,
     * without {@code idtyp} (an optional claim), no delegated scopes ({@code scp}), which every user token has.
     */
    static boolean appOnly(Map<String, Object> claims) {
        Object idtyp = claims.get("idtyp");
        if (idtyp != null) {
            return !"user".equals(idtyp);
        }
        return !(claims.get("scp") instanceof String scp) || scp.isBlank();
    }

    /** Whether the groups did not fit in the token (Entra's overage: {@code _claim_names.groups} or hasgroups). */
    static boolean isGroupOverage(Map<String, Object> claims) {
        Object names = claims.get("_claim_names");
        if (names != null && !(names instanceof Map<?, ?>)) {
            throw new Refusal("malformed", "_claim_names is not an object");
        }
        return (names instanceof Map<?, ?> m && m.containsKey("groups"))
                || Boolean.TRUE.equals(claims.get("hasgroups"));
    }

    /**
     * Whether {@code s} is a GUID in its 8-4-4-4-12 hexadecimal form (what the {@code GUID} patterns match),
     * without a regular expression: it runs on every sign-in.
     */
    static boolean isGuid(String s) {
        if (s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return false;
                }
            } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }
}
