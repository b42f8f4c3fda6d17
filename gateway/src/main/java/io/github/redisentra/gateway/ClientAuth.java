package io.github.redisentra.gateway;

import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.auth.GraphBearer;
import io.github.redisentra.gateway.auth.GraphGroups;
import io.github.redisentra.gateway.auth.LockingAuthenticator;
import io.github.redisentra.gateway.auth.RoutingAuthenticator;
import io.github.redisentra.gateway.auth.SignInThrottle;
import io.github.redisentra.gateway.auth.UserLocks;
import io.github.redisentra.gateway.auth.ldap.LdapAuthenticator;
import io.github.redisentra.gateway.config.EntraSettings;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.UpstreamTokenSources;
import io.github.redisentra.gateway.logging.LineRateLimiter;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client authentication chain, assembled from the settings (part of {@link GatewayRuntime}'s assembly): the
 * Graph token for group overage, the Entra and LDAP authenticators, the user lock-out every credential passes and the
 * sign-in throttle in front of it all ({@link #client()}).
 *
 * @param graphToken the gateway's Graph token, or {@code null} when no rule needs Graph or the identity cannot ask it
 * @param entra the Entra authenticator, or {@code null} for an LDAP-only gateway
 * @param ldap the LDAP authenticator, or {@code null} when LDAP sign-in is not configured
 */
record ClientAuth(
        GraphBearer graphToken,
        EntraAuthenticator entra,
        LdapAuthenticator ldap,
        LockingAuthenticator lockout,
        Authenticator client,
        AuditLog audit) {
    private static final Logger log = LoggerFactory.getLogger(GatewayRuntime.class);

    static ClientAuth assemble(GatewaySetup setup, Clock clock) throws Exception {
        GatewayConfig config = setup.config();
        EntraSettings entraSettings = config.entra();
        boolean needsGraph = entraSettings.enabled()
                && (!entraSettings.requiredGroupIds().isEmpty()
                        || !entraSettings.allowedGroupIds().isEmpty()
                        || setup.roles()
                                .map(p -> !p.groupsOfInterest().isEmpty())
                                .orElse(false));
        GraphBearer graphToken;
        if (needsGraph && config.upstreamIdentity().source().isAzureIdentity()) {
            // Fetched when a token with group overage first needs it, never before (GraphBearer).
            graphToken = new GraphBearer(
                    UpstreamTokenSources.create(config.upstreamIdentity(), entraSettings.graphTokenScope()),
                    config.http().timeout());
        } else {
            graphToken = null;
            if (needsGraph) {
                log.warn(
                        "the upstream credential ({}) is not an Entra identity: users with group overage (over 200"
                                + " groups) cannot be resolved through Microsoft Graph and will be refused",
                        config.upstreamIdentity().source().description());
            }
        }
        GraphGroups.BearerToken bearer = graphToken;
        AuditLog audit = new AuditLog(
                List.of(), new LineRateLimiter("auth_denied", config.limits().logDeniedPerSecond()));
        EntraAuthenticator authenticator =
                entraSettings.enabled() ? setup.entraAuthenticator(bearer, audit, clock) : null;
        LdapAuthenticator ldap = config.ldap().isPresent()
                ? LdapAuthenticator.create(config.ldap().get(), audit, clock)
                : null;
        UserLocks locks = config.admin().userLocksFile().isPresent()
                ? UserLocks.file(config.admin().userLocksFile().get(), clock)
                : UserLocks.inMemory(clock);
        // Every credential passes the lock-out after the Entra / directory checks: one place refuses locked users.
        LockingAuthenticator lockout = new LockingAuthenticator(
                new RoutingAuthenticator(authenticator, ldap, audit, clock), locks, audit, clock);
        if (!locks.active().isEmpty()) {
            log.warn(
                    "{} user lock(s) in force from {}",
                    locks.active().size(),
                    config.admin().userLocksFile().get());
        }
        LdapAuthenticator directory = ldap;
        // Failed sign-ins (a locked user's included) are throttled per address and per directory user name.
        Authenticator client = new SignInThrottle(
                lockout,
                new SignInThrottle.Rules(
                        config.limits().authFailuresPerAddress(),
                        config.limits().authFailuresPerUser(),
                        config.limits().authFailureWindow(),
                        config.limits().authFailureDelay()),
                request -> directory != null && !RoutingAuthenticator.looksLikeJwt(request.password()),
                audit,
                clock);
        return new ClientAuth(graphToken, authenticator, ldap, lockout, client, audit);
    }
}
