package io.github.redisentra.gateway.config;

import java.util.Map;
import java.util.function.Consumer;

/**
 * Who did what on the cache: the command audit ({@code AUDIT_COMMANDS}, {@code AUDIT_COMMANDS_PER_SECOND},
 * {@code AUDIT_COMMANDS_QUEUE}) and the upstream connection names ({@code UPSTREAM_CLIENT_NAME}).
 */
public record AuditSettings(
        AuditMode commands, int perSecond, int queueSize, UpstreamClientNameSource upstreamClientName) {

    /** Reads the settings of {@code values} (defaults applied), reporting every problem to {@code problem}. */
    static AuditSettings parse(Map<Setting, String> values, Consumer<String> problem) {
        String m = value(values, Setting.AUDIT_COMMANDS);
        AuditMode mode = AuditMode.parse(m);
        if (mode == null) {
            problem.accept("AUDIT_COMMANDS must be off, writes or all, got \"" + m + "\"");
            mode = AuditMode.OFF;
        }
        int perSecond = integer(values, Setting.AUDIT_COMMANDS_PER_SECOND, 0, 10_000_000, problem);
        int queue = integer(values, Setting.AUDIT_COMMANDS_QUEUE, 16, 16 * 1024 * 1024, problem);
        String n = value(values, Setting.UPSTREAM_CLIENT_NAME);
        UpstreamClientNameSource source = UpstreamClientNameSource.parse(n);
        if (source == null) {
            problem.accept("UPSTREAM_CLIENT_NAME must be oid, name or off, got \"" + n + "\"");
            source = UpstreamClientNameSource.OFF;
        }
        return new AuditSettings(mode, perSecond, queue, source);
    }

    private static String value(Map<Setting, String> values, Setting s) {
        String v = values.get(s);
        return v != null ? v.trim() : s.defaultValue().orElseThrow();
    }

    private static int integer(Map<Setting, String> values, Setting s, int min, int max, Consumer<String> problem) {
        String v = value(values, s);
        try {
            int i = Integer.parseInt(v);
            if (i >= min && i <= max) {
                return i;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        problem.accept(s.key() + " must be an integer from " + min + " to " + max + ", got \"" + v + "\"");
        return Integer.parseInt(s.defaultValue().orElseThrow());
    }
}
