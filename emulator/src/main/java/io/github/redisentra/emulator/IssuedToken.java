package io.github.redisentra.emulator;

import java.time.Instant;
import java.util.Objects;

/**
 * An access token the emulator issued. {@link #value()} is the JWT itself (for Redis stand-ins that must
 * accept exactly the currently valid tokens); {@link #toString()} never shows it.
 */
public final class IssuedToken {
    /** Who the token represents. */
    public enum Kind {
        USER,
        MANAGED_IDENTITY,
        APP
    }

    private final String tenantId;
    private final String subjectObjectId;
    private final String clientId;
    private final String audience;
    private final String value;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final Kind kind;

    IssuedToken(
            String tenantId,
            String subjectObjectId,
            String clientId,
            String audience,
            String value,
            Instant issuedAt,
            Instant expiresAt,
            Kind kind) {
        this.tenantId = tenantId;
        this.subjectObjectId = subjectObjectId;
        this.clientId = clientId;
        this.audience = audience;
        this.value = Objects.requireNonNull(value);
        this.issuedAt = issuedAt;
        this.expiresAt = expiresAt;
        this.kind = kind;
    }

    public String tenantId() {
        return tenantId;
    }

    /** The {@code oid} claim: the user's, managed identity's or application's object id. */
    public String subjectObjectId() {
        return subjectObjectId;
    }

    /** The client (application or managed identity) the token was issued to: {@code azp}/{@code appid}. */
    public String clientId() {
        return clientId;
    }

    public String audience() {
        return audience;
    }

    /** The signed JWT. Never log it. */
    public String value() {
        return value;
    }

    public Instant issuedAt() {
        return issuedAt;
    }

    public Instant expiresAt() {
        return expiresAt;
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public String toString() {
        return "IssuedToken[" + kind + " oid=" + subjectObjectId + " tid=" + tenantId + " aud=" + audience + " exp="
                + expiresAt + "]";
    }
}
