package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.resp.RequestLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * What a client session needs to know; built programmatically (the configuration layer maps settings onto it).
 *
 * @param preAuthLimits command size limits before authentication (JWT-sized)
 * @param authenticatedLimits command size limits after authentication (Redis-like)
 * @param authDeadline an unauthenticated connection is closed after this long
 * @param clientExpirySkew a client identity stays valid this long after its token's {@code exp}
 * @param upstreamReauthMargin a session whose upstream connection has not acknowledged a renewed token this long
 *     before the old one expires is closed with an error (the cache would cut it anyway)
 * @param clock the time source (tests)
 * @param preAuthenticated the principal every session starts signed in as (and signs in as again after
 *     {@code RESET}), without the client sending {@code AUTH}: the local tunnel of {@code redis-entra connect};
 *     {@code null} (the gateway) for sessions that must authenticate
 */
public record SessionSettings(
        RequestLimits preAuthLimits,
        RequestLimits authenticatedLimits,
        Duration authDeadline,
        Duration clientExpirySkew,
        Duration upstreamReauthMargin,
        Clock clock,
        Principal preAuthenticated) {

    public static final SessionSettings DEFAULTS = new SessionSettings(
            RequestLimits.PRE_AUTH_DEFAULT,
            RequestLimits.AUTHENTICATED_DEFAULT,
            Duration.ofSeconds(10),
            Duration.ofSeconds(30),
            Duration.ofSeconds(5),
            Clock.systemUTC(),
            null);

    /** Sessions that must authenticate. */
    public SessionSettings(
            RequestLimits preAuthLimits,
            RequestLimits authenticatedLimits,
            Duration authDeadline,
            Duration clientExpirySkew,
            Duration upstreamReauthMargin,
            Clock clock) {
        this(preAuthLimits, authenticatedLimits, authDeadline, clientExpirySkew, upstreamReauthMargin, clock, null);
    }

    public SessionSettings {
        Objects.requireNonNull(preAuthLimits, "preAuthLimits");
        Objects.requireNonNull(authenticatedLimits, "authenticatedLimits");
        Objects.requireNonNull(clock, "clock");
        if (authDeadline == null || authDeadline.isNegative() || authDeadline.isZero()) {
            throw new IllegalArgumentException("authDeadline must be positive, got " + authDeadline);
        }
        if (clientExpirySkew == null || clientExpirySkew.isNegative()) {
            throw new IllegalArgumentException("clientExpirySkew must be >= 0, got " + clientExpirySkew);
        }
        if (upstreamReauthMargin == null || upstreamReauthMargin.isNegative()) {
            throw new IllegalArgumentException("upstreamReauthMargin must be >= 0, got " + upstreamReauthMargin);
        }
    }

    public SessionSettings withAuthDeadline(Duration d) {
        return new SessionSettings(
                preAuthLimits, authenticatedLimits, d, clientExpirySkew, upstreamReauthMargin, clock, preAuthenticated);
    }

    public SessionSettings withClientExpirySkew(Duration d) {
        return new SessionSettings(
                preAuthLimits, authenticatedLimits, authDeadline, d, upstreamReauthMargin, clock, preAuthenticated);
    }

    public SessionSettings withUpstreamReauthMargin(Duration d) {
        return new SessionSettings(
                preAuthLimits, authenticatedLimits, authDeadline, clientExpirySkew, d, clock, preAuthenticated);
    }

    public SessionSettings withLimits(RequestLimits pre, RequestLimits post) {
        return new SessionSettings(
                pre, post, authDeadline, clientExpirySkew, upstreamReauthMargin, clock, preAuthenticated);
    }

    /** Sessions that start signed in as {@code p} (see {@link #preAuthenticated()}). */
    public SessionSettings withPreAuthenticated(Principal p) {
        return new SessionSettings(
                preAuthLimits, authenticatedLimits, authDeadline, clientExpirySkew, upstreamReauthMargin, clock, p);
    }
}
