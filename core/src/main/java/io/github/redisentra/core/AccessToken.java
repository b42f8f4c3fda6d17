package io.github.redisentra.core;

import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * An access token used as a Redis password: the secret value plus the facts about it that may be logged.
 *
 * <p>The secret is only reachable through {@link #secret()}; {@link #toString()} shows the token's object id,
 * tenant id, expiry and a short SHA-256 fingerprint, never the value. A JWT's claims are read <em>without</em>
 * verifying its signature: this class describes tokens a client holds, it does not validate tokens it was
 * handed (the gateway does that).
 */
public final class AccessToken {
    private final String secret;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final String objectId;
    private final String tenantId;
    private final String fingerprint;

    private AccessToken(String secret, Instant issuedAt, Instant expiresAt, String objectId, String tenantId) {
        this.secret = Objects.requireNonNull(secret, "secret");
        this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
        this.issuedAt = issuedAt;
        this.objectId = objectId;
        this.tenantId = tenantId;
        this.fingerprint = fingerprintOf(secret);
    }

    /**
     * An opaque token (not a JWT, or one whose claims should not be read).
     *
     * @param secret the token value
     * @param issuedAt when it was issued, or {@code null} when unknown (then refresh timing uses the time it was
     *     obtained)
     * @param expiresAt when the server stops accepting it
     */
    public static AccessToken opaque(String secret, Instant issuedAt, Instant expiresAt) {
        return new AccessToken(secret, issuedAt, expiresAt, null, null);
    }

    /**
     * A token whose JWT claims ({@code exp}, {@code iat}, {@code oid}, {@code tid}) describe it when it is a JWT;
     * otherwise an opaque token expiring at {@code fallbackExpiry}.
     *
     * @param value the token value
     * @param fallbackExpiry expiry reported by the token's source, used when the value has no readable {@code exp};
     *     may be {@code null} when the value is known to be a JWT with {@code exp}
     * @throws IllegalArgumentException when neither the token nor the caller gives an expiry
     */
    public static AccessToken of(String value, Instant fallbackExpiry) {
        Objects.requireNonNull(value, "value");
        JWTClaimsSet claims = readClaims(value);
        Instant exp = claims != null && claims.getExpirationTime() != null
                ? claims.getExpirationTime().toInstant()
                : fallbackExpiry;
        if (exp == null) {
            throw new IllegalArgumentException(
                    "token has no exp claim and its source gave no expiry (sha256 " + fingerprintOf(value) + ")");
        }
        Instant iat = claims != null && claims.getIssueTime() != null
                ? claims.getIssueTime().toInstant()
                : null;
        return new AccessToken(value, iat, exp, stringClaim(claims, "oid"), stringClaim(claims, "tid"));
    }

    /** The token value, to be sent as the Redis password. Never log it. */
    public String secret() {
        return secret;
    }

    /** When the token was issued ({@code iat}), if known. */
    public Optional<Instant> issuedAt() {
        return Optional.ofNullable(issuedAt);
    }

    /** When the token expires. */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** The {@code oid} claim: the identity's object id, which Azure caches expect as the Redis user name. */
    public Optional<String> objectId() {
        return Optional.ofNullable(objectId);
    }

    /** The {@code tid} claim. */
    public Optional<String> tenantId() {
        return Optional.ofNullable(tenantId);
    }

    /** The first 12 hex digits of the value's SHA-256: safe to log, enough to tell tokens apart. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Whether the token is expired at {@code now}. */
    public boolean isExpiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }

    /** The short hash of any secret, in the form {@link #fingerprint()} uses; safe to log. */
    public static String fingerprintOf(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AccessToken other && secret.equals(other.secret);
    }

    @Override
    public int hashCode() {
        return secret.hashCode();
    }

    @Override
    public String toString() {
        return "AccessToken[oid=" + (objectId == null ? "-" : objectId) + ", tid=" + (tenantId == null ? "-" : tenantId)
                + ", exp=" + expiresAt + ", sha256=" + fingerprint + "]";
    }

    private static JWTClaimsSet readClaims(String value) {
        if (value.chars().filter(c -> c == '.').count() != 2) {
            return null;
        }
        try {
            JWT jwt = JWTParser.parse(value);
            return jwt.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            return null;
        }
    }

    private static String stringClaim(JWTClaimsSet claims, String name) {
        if (claims == null) {
            return null;
        }
        Object v = claims.getClaim(name);
        return v instanceof String s ? s : null;
    }
}
