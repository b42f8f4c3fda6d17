package io.github.redisentra.gateway.config;

import java.util.Locale;

/** {@code UPSTREAM_CLIENT_NAME}: what names the user. */
public enum UpstreamClientNameSource {
    /** No {@code CLIENT SETNAME} is sent. */
    OFF,
    /** The principal's object id (Entra {@code oid}; LDAP: the user name). The default. */
    OID,
    /** The principal's display name (upn/preferred_username; LDAP: the DN), or its oid when it has none. */
    NAME;

    /** {@code off}, {@code oid} or {@code name} (any case); {@code null} otherwise. */
    public static UpstreamClientNameSource parse(String v) {
        if (v == null) {
            return null;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> OFF;
            case "oid" -> OID;
            case "name" -> NAME;
            default -> null;
        };
    }
}
