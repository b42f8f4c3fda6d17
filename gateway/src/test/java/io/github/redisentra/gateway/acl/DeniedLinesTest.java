package io.github.redisentra.gateway.acl;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.redisentra.gateway.auth.AuditEvent;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.logging.LineRateLimiter;
import io.github.redisentra.gateway.logging.LogLines;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A client looping on refused commands or failed sign-ins does not get one audit line per attempt: lines are
 * rate-limited, the next line written carries how many were left out, and the count is in {@code /metrics}.
 */
class DeniedLinesTest {
    static final InetSocketAddress CLIENT = new InetSocketAddress("192.0.2.7", 50000);
    long now = 0;
    ListAppender<ILoggingEvent> lines;

    @BeforeEach
    void attach() {
        lines = new ListAppender<>();
        lines.start();
        ((Logger) LoggerFactory.getLogger(AuditLog.LOGGER)).addAppender(lines);
    }

    @AfterEach
    void detach() {
        ((Logger) LoggerFactory.getLogger(AuditLog.LOGGER)).detachAppender(lines);
    }

    static Object kv(ILoggingEvent e, String key) {
        return e.getKeyValuePairs() == null
                ? null
                : e.getKeyValuePairs().stream()
                        .filter(p -> p.key.equals(key))
                        .map(p -> p.value)
                        .findFirst()
                        .orElse(null);
    }

    static AuditEvent event(String result) {
        return new AuditEvent(
                Instant.EPOCH,
                CLIENT,
                result,
                result.equals("allowed") ? null : "bad_signature",
                null,
                null,
                null,
                null,
                Set.of(),
                Set.of(),
                null,
                null);
    }

    @Test
    void failedSignInLinesAreRateLimitedAndTheNextLineSaysHowManyWereLeftOut() {
        AtomicInteger heard = new AtomicInteger();
        LineRateLimiter limiter = new LineRateLimiter("auth_denied", 1, () -> now); // bursts of 5
        AuditLog audit = new AuditLog(List.of(e -> heard.incrementAndGet()), limiter);
        for (int i = 0; i < 1000; i++) {
            audit.record(event("denied"));
        }
        audit.record(event("allowed"));
        assertThat(lines.list).hasSize(6);
        assertThat(heard).as("metrics and other listeners get every event").hasValue(1001);
        now += TimeUnit.SECONDS.toNanos(1);
        audit.record(event("denied"));
        assertThat(kv(lines.list.get(6), "suppressed")).isEqualTo(995L);
        assertThat(LogLines.render(List.of(limiter)))
                .contains("redis_entra_gateway_log_lines_suppressed_total{kind=\"auth_denied\"} 995")
                .contains("redis_entra_gateway_log_lines_dropped_total ");
    }

    @Test
    void refusedCommandLinesAreRateLimitedTheSameWay() throws Exception {
        RolePolicy p = RolePolicy.parse(
                Path.of("roles.yaml"),
                new StringReader("roles:\n  r:\n    match: {groups: [g]}\n    rules: +get ~a:*\n"),
                CommandTable.builtIn());
        AccessControl access = new AccessControl(p);
        LineRateLimiter limiter = new LineRateLimiter("command_denied", 1, () -> now);
        access.deniedLines(limiter);
        Principal user = new Principal("oid", "tid", "name", Instant.MAX, Set.of("g"), Set.of());
        Permissions.Verdict denied = new Permissions.Verdict(AclSelector.DENIED_CMD, "set", 0);
        for (int i = 0; i < 200; i++) {
            access.denied(user, CLIENT, denied);
        }
        assertThat(lines.list).hasSize(5);
        now += TimeUnit.SECONDS.toNanos(2);
        access.denied(user, CLIENT, denied);
        assertThat(lines.list).hasSize(6);
        assertThat(kv(lines.list.get(5), "suppressed")).isEqualTo(195L);
        assertThat(kv(lines.list.get(5), "event")).isEqualTo("command_denied");
    }
}
