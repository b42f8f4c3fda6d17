package io.github.redisentra.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class JsonLayoutTest {

    @Test
    void eventIsOneJsonObjectWithKeyValuePairsAsTopLevelFields() throws Exception {
        LoggerContext ctx = new LoggerContext();
        LoggingEvent e = new LoggingEvent(
                "x", ctx.getLogger("redis-entra.audit"), Level.WARN, "client \"refused\"\n", null, null);
        e.addKeyValuePair(new org.slf4j.event.KeyValuePair("reason", "expired"));
        e.addKeyValuePair(new org.slf4j.event.KeyValuePair("groups", List.of("a", "b")));
        JsonLayout layout = new JsonLayout();
        layout.setContext(ctx);
        layout.start();
        String line = layout.doLayout(e);
        assertThat(line).endsWith(System.lineSeparator()).doesNotContain("\n\"");
        assertThat(line.strip()).doesNotContain("\n");
        Map<String, Object> json = JSONObjectUtils.parse(line.strip());
        assertThat(json)
                .containsEntry("level", "WARN")
                .containsEntry("logger", "redis-entra.audit")
                .containsEntry("msg", "client \"refused\"\n")
                .containsEntry("reason", "expired")
                .containsEntry("groups", List.of("a", "b"))
                .containsKey("time");
    }
}
