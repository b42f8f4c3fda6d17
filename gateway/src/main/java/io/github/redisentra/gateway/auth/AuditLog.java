package io.github.redisentra.gateway.auth;

import io.github.redisentra.gateway.logging.LineRateLimiter;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Writes one event per authentication decision to the logger {@value #LOGGER} as key/value pairs (top-level
 * fields in JSON logs). Never the token: only its fingerprint. Refusal lines are rate-limited
 * ({@link LineRateLimiter}: the next line written says how many were left out); listeners get every event.
 */
public final class AuditLog {
    public static final String LOGGER = "redis-entra.audit";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    private final List<Consumer<AuditEvent>> listeners;
    private final LineRateLimiter deniedLines;

    public AuditLog() {
        this(List.of());
    }

    /** @param listeners also receive every event (e.g. metrics); called on the deciding thread, must not block */
    public AuditLog(List<Consumer<AuditEvent>> listeners) {
        this(listeners, new LineRateLimiter("auth_denied", LineRateLimiter.DEFAULT_PER_SECOND));
    }

    /**
     * @param deniedLines bounds the lines written for refusals (a client failing in a loop); listeners still get
     *     every event
     */
    public AuditLog(List<Consumer<AuditEvent>> listeners, LineRateLimiter deniedLines) {
        this.listeners = List.copyOf(listeners);
        this.deniedLines = deniedLines;
    }

    /** The limiter of refusal lines (for metrics). */
    public LineRateLimiter deniedLines() {
        return deniedLines;
    }

    public void record(AuditEvent e) {
        boolean allowed = e.result().equals("allowed");
        long suppressed = allowed ? 0 : deniedLines.acquire();
        if (suppressed >= 0) {
            write(e, allowed, suppressed);
        }
        for (Consumer<AuditEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                log.warn("audit listener failed: {}", ex.toString());
            }
        }
    }

    private static void write(AuditEvent e, boolean allowed, long suppressed) {
        LoggingEventBuilder b = (allowed ? log.atInfo() : log.atWarn())
                .addKeyValue("event", "auth")
                .addKeyValue("result", e.result());
        put(b, "reason", e.reason());
        put(b, "detail", e.detail());
        put(b, "client", e.client() == null ? null : e.client().toString());
        put(b, "oid", e.objectId());
        put(b, "name", e.displayName());
        put(b, "tid", e.tenantId());
        if (e.groups() != null && !e.groups().isEmpty()) {
            b.addKeyValue("groups", List.copyOf(e.groups()));
        }
        if (e.roles() != null && !e.roles().isEmpty()) {
            b.addKeyValue("roles", List.copyOf(e.roles()));
        }
        put(b, "exp", e.tokenExpiresAt() == null ? null : e.tokenExpiresAt().toString());
        put(b, "token_sha256", e.tokenFingerprint());
        if (suppressed > 0) {
            b.addKeyValue("suppressed", suppressed); // refusal lines left out since the previous one
        }
        b.log(allowed ? "client authenticated" : "client refused");
    }

    /**
     * An administrator's action (e.g. {@code user_locked}, {@code user_unlocked}) with its fields, at WARN so it stands
     * out; fields hold identifiers and counts, never a credential.
     */
    public void adminAction(String event, Map<String, String> fields) {
        LoggingEventBuilder b = log.atWarn().addKeyValue("event", event);
        fields.forEach((k, v) -> put(b, k, v));
        b.log("admin: " + event);
    }

    private static void put(LoggingEventBuilder b, String k, String v) {
        if (v != null) {
            b.addKeyValue(k, v);
        }
    }
}
