package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.audit.CommandAudit;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.cluster.ClusterView;
import io.github.redisentra.gateway.config.UpstreamClientNameSource;
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
 * @param audit the command audit ({@code AUDIT_COMMANDS}); {@link CommandAudit#off()} for none
 * @param upstreamClientName how upstream connections are named ({@code UPSTREAM_CLIENT_NAME})
 * @param cluster the topology of an OSS-cluster cache whose node this session is bridged to (replies naming upstream
 *     addresses are rewritten, redirects too, cluster administration is refused); {@code null}: not a cluster gateway
 */
public record SessionSettings(
        RequestLimits preAuthLimits,
        RequestLimits authenticatedLimits,
        Duration authDeadline,
        Duration clientExpirySkew,
        Duration upstreamReauthMargin,
        Clock clock,
        Principal preAuthenticated,
        CommandAudit audit,
        UpstreamClientNameSource upstreamClientName,
        ClusterView cluster) {

    public static final SessionSettings DEFAULTS = new SessionSettings(
            RequestLimits.PRE_AUTH_DEFAULT,
            RequestLimits.AUTHENTICATED_DEFAULT,
            Duration.ofSeconds(10),
            Duration.ofSeconds(30),
            Duration.ofSeconds(5),
            Clock.systemUTC(),
            null,
            CommandAudit.off(),
            UpstreamClientNameSource.OFF,
            null);

    /** Sessions that must authenticate. */
    public SessionSettings(
            RequestLimits preAuthLimits,
            RequestLimits authenticatedLimits,
            Duration authDeadline,
            Duration clientExpirySkew,
            Duration upstreamReauthMargin,
            Clock clock) {
        this(
                preAuthLimits,
                authenticatedLimits,
                authDeadline,
                clientExpirySkew,
                upstreamReauthMargin,
                clock,
                null,
                CommandAudit.off(),
                UpstreamClientNameSource.OFF,
                null);
    }

    /** Not a cluster gateway's sessions (see {@link #withCluster}). */
    public SessionSettings(
            RequestLimits preAuthLimits,
            RequestLimits authenticatedLimits,
            Duration authDeadline,
            Duration clientExpirySkew,
            Duration upstreamReauthMargin,
            Clock clock,
            Principal preAuthenticated,
            CommandAudit audit,
            UpstreamClientNameSource upstreamClientName) {
        this(
                preAuthLimits,
                authenticatedLimits,
                authDeadline,
                clientExpirySkew,
                upstreamReauthMargin,
                clock,
                preAuthenticated,
                audit,
                upstreamClientName,
                null);
    }

    public SessionSettings {
        Objects.requireNonNull(preAuthLimits, "preAuthLimits");
        Objects.requireNonNull(authenticatedLimits, "authenticatedLimits");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(audit, "audit");
        Objects.requireNonNull(upstreamClientName, "upstreamClientName");
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
                preAuthLimits,
                authenticatedLimits,
                d,
                clientExpirySkew,
                upstreamReauthMargin,
                clock,
                preAuthenticated,
                audit,
                upstreamClientName,
                cluster);
    }

    public SessionSettings withClientExpirySkew(Duration d) {
        return new SessionSettings(
                preAuthLimits,
                authenticatedLimits,
                authDeadline,
                d,
                upstreamReauthMargin,
                clock,
                preAuthenticated,
                audit,
                upstreamClientName,
                cluster);
    }

    public SessionSettings withUpstreamReauthMargin(Duration d) {
        return new SessionSettings(
                preAuthLimits,
                authenticatedLimits,
                authDeadline,
                clientExpirySkew,
                d,
                clock,
                preAuthenticated,
                audit,
                upstreamClientName,
                cluster);
    }

    public SessionSettings withLimits(RequestLimits pre, RequestLimits post) {
        return new SessionSettings(
                pre,
                post,
                authDeadline,
                clientExpirySkew,
                upstreamReauthMargin,
                clock,
                preAuthenticated,
                audit,
                upstreamClientName,
                cluster);
    }

    /** Sessions that start signed in as {@code p} (see {@link #preAuthenticated()}). */
    public SessionSettings withPreAuthenticated(Principal p) {
        return new SessionSettings(
                preAuthLimits,
                authenticatedLimits,
                authDeadline,
                clientExpirySkew,
                upstreamReauthMargin,
                clock,
                p,
                audit,
                upstreamClientName,
                cluster);
    }

    /** Sessions that audit their commands with {@code a} and name their upstream connections by {@code names}. */
    public SessionSettings withAudit(CommandAudit a, UpstreamClientNameSource names) {
        return new SessionSettings(
                preAuthLimits,
                authenticatedLimits,
                authDeadline,
                clientExpirySkew,
                upstreamReauthMargin,
                clock,
                preAuthenticated,
                a,
                names,
                cluster);
    }

    /** Sessions bridged to one node of an OSS-cluster cache whose topology is {@code c} (issue #18). */
    public SessionSettings withCluster(ClusterView c) {
        return new SessionSettings(
                preAuthLimits,
                authenticatedLimits,
                authDeadline,
                clientExpirySkew,
                upstreamReauthMargin,
                clock,
                preAuthenticated,
                audit,
                upstreamClientName,
                c);
    }
}
