package io.github.redisentra.gateway.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.util.Collection;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * One compact JSON object per log line: {@code time}, {@code level}, {@code logger}, {@code thread}, {@code msg},
 * then the event's key/value pairs as top-level fields (the audit events use these), then {@code error} with the
 * stack trace when there is one.
 */
public final class JsonLayout extends LayoutBase<ILoggingEvent> {
    private static final Set<String> RESERVED = Set.of("time", "level", "logger", "thread", "msg", "error");

    @Override
    public String doLayout(ILoggingEvent e) {
        StringBuilder sb = new StringBuilder(256);
        sb.append('{');
        field(sb, "time", Instant.ofEpochMilli(e.getTimeStamp()).toString());
        sb.append(',');
        field(sb, "level", e.getLevel().toString());
        sb.append(',');
        field(sb, "logger", e.getLoggerName());
        sb.append(',');
        field(sb, "thread", e.getThreadName());
        sb.append(',');
        field(sb, "msg", e.getFormattedMessage());
        if (e.getKeyValuePairs() != null) {
            for (KeyValuePair kv : e.getKeyValuePairs()) {
                if (kv.key == null || RESERVED.contains(kv.key)) {
                    continue;
                }
                sb.append(',');
                string(sb, kv.key);
                sb.append(':');
                value(sb, kv.value);
            }
        }
        IThrowableProxy t = e.getThrowableProxy();
        if (t != null) {
            sb.append(',');
            field(sb, "error", ThrowableProxyUtil.asString(t));
        }
        sb.append('}').append(CoreConstants.LINE_SEPARATOR);
        return sb.toString();
    }

    private static void field(StringBuilder sb, String k, String v) {
        string(sb, k);
        sb.append(':');
        string(sb, v);
    }

    private static void value(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object o : c) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                value(sb, o);
            }
            sb.append(']');
        } else {
            string(sb, v.toString());
        }
    }

    static void string(StringBuilder sb, String s) {
        sb.append('"');
        if (s != null) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
        }
        sb.append('"');
    }
}
