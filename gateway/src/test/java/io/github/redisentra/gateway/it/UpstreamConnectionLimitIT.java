package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.testkit.AzureCacheStandIn;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cache that keeps a connection for a fixed time after each AUTH, whatever the token's expiry (ElastiCache /
 * MemoryDB IAM: 12 hours; here 5 seconds): {@link UpstreamCredentials#withConnectionLimit} makes sessions re-AUTH
 * within it at each renewal and closes, with a clear error, a session whose upstream connection could not, before the
 * limit is reached. The gateway's upstream tokens live 4 s and are renewed every 2 s; redis-server itself does not cut
 * connections here, so only the gateway's own guard can close a session (a cache that cuts at the limit is the
 * front door of the stand-in in {@code AwsIamUpstreamIT}, stricter: it cuts at each token's expiry).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UpstreamConnectionLimitIT {
    static final Duration LIMIT = Duration.ofSeconds(5);
    static final Duration MARGIN = Duration.ofSeconds(1);
    static GatewayHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Duration.ofSeconds(4), false);
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    static GatewayServer gateway(UpstreamCredentials credentials, CountingEvents events) throws Exception {
        return new GatewayServer(
                        GatewaySettings.loopback(0)
                                .withSession(GatewayHarness.sessionSettings().withUpstreamReauthMargin(MARGIN))
                                .withDrainTimeout(Duration.ofSeconds(2)),
                        h.authenticator,
                        h.endpoint(),
                        credentials,
                        events)
                .start();
    }

    @Test
    void renewalsReauthenticateWithinTheLimitSoSessionsOutliveItSeveralTimes() throws Exception {
        CountingEvents events = new CountingEvents();
        try (GatewayServer gw = gateway(
                        UpstreamCredentials.fromRefresher(null, h.refresher).withConnectionLimit(LIMIT), events);
                RawClient c = new RawClient(gw.localAddress().getPort())) {
            c.send("AUTH " + h.token(h.alice) + "\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            Instant end = Instant.now().plus(LIMIT.multipliedBy(3));
            int n = 0;
            while (Instant.now().isBefore(end)) {
                c.send("INCR limit:n\r\n");
                assertThat(c.line()).isEqualTo(":" + ++n);
                Thread.sleep(100); // pacing a workload, not waiting for a condition
            }
            assertThat(events.reauthOk.get()).as("re-AUTHs at renewals").isGreaterThanOrEqualTo(4);
            assertThat(events.reauthFailed.get()).isZero();
        }
    }

    @Test
    void aSessionThatIsNotReauthenticatedWithinTheLimitIsClosedWithAClearErrorBeforeTheCacheWouldCutIt()
            throws Exception {
        // A token valid for 10 minutes that is never renewed: nothing re-AUTHs the upstream connections, and the
        // token's expiry is far away, so only the connection limit can close the session.
        AccessToken longLived = AccessToken.of(
                h.emu.mintAccessToken(TokenRequest.forManagedIdentity(h.tenant, h.mi, AzureCacheStandIn.REDIS_AUDIENCE)
                        .lifetime(Duration.ofMinutes(10))),
                null);
        UpstreamCredentials neverRenewed = UpstreamCredentials.tokens(
                        null, () -> Optional.of(longLived), listener -> () -> {})
                .withConnectionLimit(LIMIT);
        CountingEvents events = new CountingEvents();
        try (GatewayServer gw = gateway(neverRenewed, events);
                RawClient c = new RawClient(gw.localAddress().getPort())) {
            c.send("AUTH " + h.token(h.alice) + "\r\nPING\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+PONG");
            // Nothing more is sent: the next line is the gateway's, LIMIT - MARGIN after the upstream AUTH.
            assertThat(c.line())
                    .isEqualTo("-ERR gateway: the upstream connection could not be re-authenticated before its"
                            + " authentication expired (long blocking command, MULTI or RESP2 subscription);"
                            + " reconnect");
            assertThat(c.closedByServer()).isTrue();
            assertThat(longLived.isExpiredAt(Instant.now())).isFalse();
            assertThat(events.reauthFailed.get()).isEqualTo(1);
        }
    }

    @Test
    void withoutALimitTheGuardFollowsTheTokensExpiry() {
        AccessToken token = h.refresher.current().orElseThrow();
        Instant acknowledged = Instant.now();
        assertThat(UpstreamCredentials.fromRefresher(null, h.refresher).authenticatedUntil(token, acknowledged))
                .isEqualTo(token.expiresAt());
        assertThat(UpstreamCredentials.fromRefresher(null, h.refresher)
                        .withConnectionLimit(Duration.ofHours(12))
                        .authenticatedUntil(token, acknowledged))
                .isEqualTo(acknowledged.plus(Duration.ofHours(12)));
    }
}
