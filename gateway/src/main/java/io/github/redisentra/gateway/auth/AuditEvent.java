package io.github.redisentra.gateway.auth;

import java.net.SocketAddress;
import java.time.Instant;
import java.util.Set;

/**
 * One authentication decision as the audit log records it. Claims ({@code oid}, {@code tid}, name, {@code exp}) are
 * only filled in once the token's signature verified; the token itself is represented by its fingerprint only.
 */
public record AuditEvent(
        Instant time,
        SocketAddress client,
        String result,
        String reason,
        String detail,
        String objectId,
        String displayName,
        String tenantId,
        Set<String> groups,
        Set<String> roles,
        Instant tokenExpiresAt,
        String tokenFingerprint) {}
