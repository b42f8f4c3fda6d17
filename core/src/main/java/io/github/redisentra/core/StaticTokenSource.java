package io.github.redisentra.core;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * A fixed token, for local development and for tokens handed over by something else (the gateway's {@code
 * LOCAL_REDIS_TOKEN}). Its expiry comes from the JWT's {@code exp}, or from the caller for an opaque value.
 *
 * <p>The token cannot be renewed: once past its renewal time, a {@link TokenRefresher} over this source reports
 * each attempt as a failure (the source returned the token it already held) while it keeps serving the token until
 * it expires. After expiry {@link #getToken(boolean)} fails with a message saying so.
 */
public final class StaticTokenSource implements TokenSource {
    private final AccessToken token;
    private final Clock clock;

    private StaticTokenSource(AccessToken token, Clock clock) {
        this.token = token;
        this.clock = clock;
    }

    /**
     * A JWT whose {@code exp} claim gives its expiry.
     *
     * @throws IllegalArgumentException when the value is blank or has no readable {@code exp} claim
     */
    public static StaticTokenSource of(String token) {
        return of(token, null);
    }

    /**
     * A token that expires at its JWT {@code exp} or, for an opaque value, at {@code expiresAt}.
     *
     * @throws IllegalArgumentException when the value is blank or neither it nor the caller gives an expiry
     */
    public static StaticTokenSource of(String token, Instant expiresAt) {
        return new StaticTokenSource(parse(token, expiresAt), Clock.systemUTC());
    }

    /** The same token judged against another clock (tests). */
    public StaticTokenSource withClock(Clock clock) {
        return new StaticTokenSource(token, Objects.requireNonNull(clock, "clock"));
    }

    private static AccessToken parse(String token, Instant expiresAt) {
        Objects.requireNonNull(token, "token");
        String value = token.strip();
        if (value.isEmpty()) {
            throw new IllegalArgumentException(
                    "static token is empty; set it to the access token to send as the password");
        }
        if (value.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(
                    "static token contains whitespace; it must be a single token value (sha256 "
                            + AccessToken.fingerprintOf(value) + ")");
        }
        try {
            return AccessToken.of(value, expiresAt);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage()
                    + "; give an expiry with StaticTokenSource.of(token, expiresAt) for a token that is not a JWT");
        }
    }

    @Override
    public AccessToken getToken(boolean forceRefresh) {
        if (token.isExpiredAt(clock.instant())) {
            throw new IllegalStateException("the static token " + token + " has expired; configure a fresh token"
                    + " or a source that can renew it");
        }
        return token;
    }

    @Override
    public String describe() {
        return "static token (sha256 " + token.fingerprint() + ", exp " + token.expiresAt() + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
