package io.github.redisentra.cli;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.MsalUserTokenSource;
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
        SessionSettings session =
                localPassword == null ? SessionSettings.DEFAULTS.withPreAuthenticated(local) : SessionSettings.DEFAULTS;
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
                settings, new LocalAuthenticator(local, localPassword), upstream, user, new Events(upstream));
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

        Events(UpstreamEndpoint upstream) {
            this.upstream = upstream;
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
        public void upstreamReauthenticated(boolean success) {
            if (!success) {
                log.error(
                        "{} refused the renewed token: the connection is closed; check the user's group"
                                + " membership (`redis-entra status`)",
                        upstream);
            }
        }
    }
}
