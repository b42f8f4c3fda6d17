package io.github.redisentra.gateway.config;

/**
 * Log output: {@code LOG_FORMAT} and {@code LOG_LEVEL}.
 *
 * @param level {@code ERROR}, {@code WARN}, {@code INFO}, {@code DEBUG} or {@code TRACE}
 */
public record LogSettings(Format format, String level) {
    /** Log output format. */
    public enum Format {
        JSON,
        TEXT
    }
}
