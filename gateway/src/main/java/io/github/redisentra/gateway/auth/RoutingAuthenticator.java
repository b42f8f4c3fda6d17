package io.github.redisentra.gateway.auth;

import io.github.redisentra.core.AccessToken;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * Sends each credential to exactly one authenticator, by the shape of the password alone:
 *
 * <ul>
 *   <li>a password that <em>looks like a JWT</em> — starts with {@code eyJ} (base64url of <code>{"</code>, how every
 *       JOSE header begins) and consists of three (JWS) or five (JWE) dot-separated base64url segments — goes to
 *       Entra and <strong>never</strong> to the directory (so a token is never sent to an LDAP server as a
 *       password);
 *   <li>any other password goes to the directory when LDAP sign-in is configured, otherwise to Entra (which
 *       refuses it as {@code malformed}).
 * </ul>
 *
 * On an LDAP-only gateway JWT-shaped passwords are refused ({@code entra_not_configured}), still never sent to the
 * directory. The user name plays no part in the choice. A directory password of JWT shape can therefore not be used for LDAP
 * sign-in; it is refused by Entra.
 */
public final class RoutingAuthenticator implements Authenticator {
    private static final Pattern JWT_SHAPE =
            Pattern.compile("eyJ[A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]*){2}|eyJ[A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]*){4}");

    private final Authenticator entra;
    private final Authenticator directory;
    private final AuditLog audit;
    private final Clock clock;

    /**
     * @param entra the Entra authenticator, or {@code null} for an LDAP-only gateway (JWT-shaped passwords are then
     *     refused with {@code entra_not_configured})
     * @param directory the LDAP authenticator, or {@code null} when LDAP sign-in is off
     */
    public RoutingAuthenticator(Authenticator entra, Authenticator directory, AuditLog audit, Clock clock) {
        if (entra == null && directory == null) {
            throw new IllegalArgumentException("no authenticator");
        }
        this.entra = entra;
        this.directory = directory;
        this.audit = audit;
        this.clock = clock;
    }

    /** Entra and (optionally) LDAP. */
    public RoutingAuthenticator(Authenticator entra, Authenticator directory) {
        this(entra, directory, new AuditLog(), Clock.systemUTC());
    }

    /** Whether {@code password} has the shape of a compact JWS or JWE (then it goes to Entra). */
    public static boolean looksLikeJwt(String password) {
        return password != null
                && password.startsWith("eyJ")
                && JWT_SHAPE.matcher(password).matches();
    }

    @Override
    public CompletionStage<AuthDecision> authenticate(AuthRequest request) {
        if (directory == null || looksLikeJwt(request.password())) {
            if (entra == null) {
                AuthDecision d = new AuthDecision.Denied(
                        "entra_not_configured", "a token was presented but Entra sign-in is off (LDAP-only gateway)");
                audit.record(new AuditEvent(
                        clock.instant(),
                        request.clientAddress(),
                        "denied",
                        "entra_not_configured",
                        ((AuthDecision.Denied) d).detail(),
                        null,
                        null,
                        null,
                        Set.of(),
                        Set.of(),
                        null,
                        AccessToken.fingerprintOf(request.password())));
                return CompletableFuture.completedFuture(d);
            }
            return entra.authenticate(request);
        }
        return directory.authenticate(request);
    }
}
