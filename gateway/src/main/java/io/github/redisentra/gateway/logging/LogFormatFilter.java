package io.github.redisentra.gateway.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Lets an appender through only when it serves the selected log format ({@code LOG_FORMAT}, which {@code Main}
 * puts into the system property {@code redisentra.log.format} before logging starts). Both appenders stay
 * referenced in {@code logback.xml}, so logback reports no configuration warning.
 */
public final class LogFormatFilter extends Filter<ILoggingEvent> {
    private String format = "json";
    private boolean selected;

    /** The format this appender writes: {@code json} or {@code text}. */
    public void setFormat(String format) {
        this.format = format;
    }

    @Override
    public void start() {
        selected = format.equalsIgnoreCase(System.getProperty("redisentra.log.format", "json"));
        super.start();
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return selected ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
