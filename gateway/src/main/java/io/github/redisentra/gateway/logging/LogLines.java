package io.github.redisentra.gateway.logging;

import java.util.List;

/** The logging counters as Prometheus text, for the gateway's {@code /metrics}. */
public final class LogLines {
    private static final String P = "redis_entra_gateway_";

    private LogLines() {}

    /** {@code log_lines_suppressed_total{kind}} for {@code limiters} and {@code log_lines_dropped_total}. */
    public static String render(List<LineRateLimiter> limiters) {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP ")
                .append(P)
                .append("log_lines_suppressed_total Log lines left out by LOG_DENIED_PER_SECOND, by kind\n");
        sb.append("# TYPE ").append(P).append("log_lines_suppressed_total counter\n");
        for (LineRateLimiter l : limiters) {
            sb.append(P)
                    .append("log_lines_suppressed_total{kind=\"")
                    .append(l.kind())
                    .append("\"} ")
                    .append(l.suppressedTotal())
                    .append('\n');
        }
        sb.append("# HELP ")
                .append(P)
                .append("log_lines_dropped_total Log lines dropped because the asynchronous log queue was full\n");
        sb.append("# TYPE ").append(P).append("log_lines_dropped_total counter\n");
        sb.append(P)
                .append("log_lines_dropped_total ")
                .append(AsyncLogAppender.droppedLines())
                .append('\n');
        return sb.toString();
    }
}
