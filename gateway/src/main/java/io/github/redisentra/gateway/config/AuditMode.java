package io.github.redisentra.gateway.config;

import java.util.Locale;

/** {@code AUDIT_COMMANDS}: which commands get a line. */
public enum AuditMode {
    /** No audit (the default). */
    OFF,
    /** Commands the command table flags {@code write}, and commands not in the table. */
    WRITES,
    /** Every command the session forwards or refuses. */
    ALL;

    /** {@code off}, {@code writes} or {@code all} (any case); {@code null} otherwise. */
    public static AuditMode parse(String v) {
        if (v == null) {
            return null;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> OFF;
            case "writes" -> WRITES;
            case "all" -> ALL;
            default -> null;
        };
    }
}
