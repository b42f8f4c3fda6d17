package io.github.redisentra.cli;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.gateway.ConnectionLimits;
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.session.GatewayEvents;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code redis-entra connect}: the gateway's own {@link GatewayServer} (listener, {@code ClientSession}, upstream
 * connector and {@code UpstreamAuth}) with two things swapped. The front door is {@link LocalAuthenticator} (local
 * clients, a loopback listener, no token); the upstream credential is the signed-in user's: core's {@link
 * TokenRefresher} over {@link MsalUserTokenSource}, as {@link UpstreamCredentials#fromRefresher} with the user name
 * taken from each token's {@code oid}. So every local connection gets its own upstream connection that sends {@code
 * AUTH <oid> <token>}, re-AUTHs on every renewal (deferred inside MULTI, make-before-break for RESP2 subscribers)
 * exactly as the gateway does for its own identity.
 */
final class Tunnel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);
    private static final SessionSettings SESSION = SessionSettings.DEFAULTS;

    /**
     * How long before the gateway session's upstream expiry guard ({@link SessionSettings#upstreamReauthMargin()})
     * a renewal is due: time for the token request, a retry, and the re-AUTH of every connection.
     */
    static final Duration RENEWAL_LEAD = Duration.ofSeconds(4);

    /**
     * The tunnel's renewal schedule: core's defaults (75 % of the token's life), but never later than {@link
     * #RENEWAL_LEAD} before the session's upstream expiry guard, and renewals at least a second apart (core: 10 s).
     * Core's 3-minute lower bound is not applied to tokens that live less than that, so with core's defaults a 20 s
     * token would be renewed 5 s before it expires, just when the guard closes every connection. Entra's tokens
     * (60–90 min) are renewed at 75 % as before.
     */
    static RefreshPolicy refreshPolicy() {
        return RefreshPolicy.builder()
                .lowerBound(SESSION.upstreamReauthMargin().plus(RENEWAL_LEAD))
                .minimumDelay(Duration.ofSeconds(1))
                .build();
    }

    private final TokenRefresher refresher;
    private final GatewayServer server;
    private final AutoCloseable renewalLog;
    private final CountDownLatch closed = new CountDownLatch(1);

    private Tunnel(TokenRefresher refresher, GatewayServer server, AutoCloseable renewalLog) {
        this.refresher = refresher;
        this.server = server;
        this.renewalLog = renewalLog;
    }

    /**
     * Starts listening. The refresher must hold its first token (the caller checked the upstream with it).
     *
     * @param localPassword what local clients must send in {@code AUTH}, or {@code null} for anything
     */
    static Tunnel start(
            InetSocketAddress listen,
            UpstreamEndpoint upstream,
            TokenRefresher refresher,
            AccessToken first,
            String account,
            String localPassword)
            throws InterruptedException {
        Objects.requireNonNull(first, "first");
        UpstreamCredentials user = UpstreamCredentials.fromRefresher(null, refresher);
        Principal local = new Principal(
                user.username(first), first.tenantId().orElse(null), account, Instant.MAX, Set.of(), Set.of());
        // Without a local password, local clients are served without AUTH: each session starts signed in as the
        // local user (an AUTH or HELLO ... AUTH they send is still answered by the LocalAuthenticator, never
        // forwarded). With one, they must AUTH with it within the gateway's deadline.
        SessionSettings session = localPassword == null ? SESSION.withPreAuthenticated(local) : SESSION;
        GatewaySettings settings = new GatewaySettings(
                listen,
                null,
                session,
                Duration.ofSeconds(5),
                new ConnectionLimits(ConnectionLimits.MAX_CLIENTS_DEFAULT, 0));
        AutoCloseable renewalLog = refresher.subscribe(new TokenListener() {
            @Override
            public void onToken(AccessToken token) {
                log.info("token renewed, valid until {}: open connections re-authenticate", token.expiresAt());
            }

            @Override
            public void onRefreshFailure(Throwable error, int failures, Instant nextAttempt) {
                if (error instanceof MsalUserTokenSource.SignInRequiredException) {
                    log.error(
                            "the sign-in expired or was revoked: run `redis-entra login` (connections keep working"
                                    + " until the current token expires; retrying at {})",
                            nextAttempt);
                } else {
                    log.warn(
                            "token renewal failed ({} in a row, next try {}): {}",
                            failures,
                            nextAttempt,
                            error.getMessage());
                }
            }
        });
        GatewayServer server = new GatewayServer(
                settings,
                new LocalAuthenticator(local, localPassword),
                upstream,
                user,
                new Events(upstream, refresher));
        try {
            server.start();
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            closeQuietly(renewalLog);
            throw e;
        }
        return new Tunnel(refresher, server, renewalLog);
    }

    InetSocketAddress localAddress() {
        return server.localAddress();
    }

    int connectionCount() {
        return server.connectionCount();
    }

    /** Blocks until {@link #close()}. */
    void awaitClose() throws InterruptedException {
        closed.await();
    }

    @Override
    public synchronized void close() {
        if (closed.getCount() == 0) {
            return;
        }
        server.close();
        closeQuietly(renewalLog);
        refresher.close();
        closed.countDown();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.debug("close failed", e);
        }
    }

    /** What the user of a tunnel wants to know, on stderr. */
    private static final class Events implements GatewayEvents {
        private final UpstreamEndpoint upstream;
        private final TokenRefresher refresher;

        Events(UpstreamEndpoint upstream, TokenRefresher refresher) {
            this.upstream = upstream;
            this.refresher = refresher;
        }

        @Override
        public void authDecided(AuthDecision decision) {
            if (decision instanceof AuthDecision.Denied d) {
                log.warn("a local client was refused: {}", d.detail());
            }
        }

        @Override
        public void upstreamFailed(String reason) {
            log.warn("cannot reach {} ({}): the local client gets -ERR upstream unavailable", upstream, reason);
        }

        @Override
        public void upstreamReauthFailed(String reason) {
            switch (reason) {
                case "refused" ->
                    log.error(
                            "{} refused the renewed token: a local connection is closed; check the user's group"
                                    + " membership or access policy (`redis-entra status`)",
                            upstream);
                case "expired" -> {
                    String renewal = refresher.status().lastFailureMessage();
                    log.error(
                            "a local connection is closed: its upstream token was about to expire before a renewed"
                                    + " token was accepted upstream ({}); the client must reconnect",
                            renewal != null
                                    ? "token renewal is failing: " + renewal
                                    : "the renewal came too late, or MULTI, a blocking command or a RESP2 subscription"
                                            + " held it back");
                }
                default ->
                    log.error(
                            "a RESP2 subscriber could not be moved to a new connection to {} at a renewal: it is closed",
                            upstream);
            }
        }
    }
}
