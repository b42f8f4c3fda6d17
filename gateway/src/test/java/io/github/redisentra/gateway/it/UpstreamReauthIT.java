package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.GatewayServer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway's own token lives 8 s here; the cache stand-in's front door closes any connection whose token
 * expired, as Azure does. Live sessions must survive several token lifetimes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UpstreamReauthIT {
    static final Duration MI_LIFETIME = Duration.ofSeconds(8);
    static GatewayHarness h;
    static CountingEvents events = new CountingEvents();
    static GatewayServer gw;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(MI_LIFETIME, true);
        gw = h.startGateway(GatewayHarness.sessionSettings().withUpstreamReauthMargin(Duration.ofMillis(1500)), events);
        port = gw.localAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void liveSessionsOnResp2AndResp3SubscribedSurviveSeveralUpstreamTokenLifetimes() throws Exception {
        try (RawClient plain = new RawClient(port);
                RawClient subscriber = new RawClient(port);
                RawClient publisher = new RawClient(port)) {
            String t = h.token(h.alice);
            plain.send("AUTH " + t + "\r\n");
            subscriber.send("HELLO 3 AUTH default " + t + "\r\n");
            publisher.send("AUTH " + t + "\r\n");
            assertThat(plain.line()).isEqualTo("+OK");
            assertThat(publisher.line()).isEqualTo("+OK");
            assertThat(subscriber.line()).isEqualTo("%7");
            while (!subscriber.line().equals("modules")) {
                // skip the rest of the HELLO map
            }
            assertThat(subscriber.line()).isEqualTo("*0");
            subscriber.send("SUBSCRIBE reauth\r\n");
            assertThat(subscriber.line()).isEqualTo(">3");
            subscriber.line();
            subscriber.line();
            subscriber.line();
            subscriber.line();
            assertThat(subscriber.line()).isEqualTo(":1");
            int reauthsBefore = events.reauthOk.get();
            int failuresBefore = events.upstreamFailed.get() + events.reauthFailed.get();
            Instant end = Instant.now().plus(MI_LIFETIME.multipliedBy(5).dividedBy(2));
            int n = 0;
            while (Instant.now().isBefore(end)) {
                n++;
                plain.send("INCR reauth:n\r\n");
                assertThat(plain.line()).startsWith(":");
                publisher.send("PUBLISH reauth m" + n + "\r\n");
                assertThat(publisher.line()).isEqualTo(":1");
                assertThat(subscriber.line()).isEqualTo(">3");
                assertThat(subscriber.line()).isEqualTo("$7");
                assertThat(subscriber.line()).isEqualTo("message");
                subscriber.line();
                subscriber.line();
                subscriber.line();
                assertThat(subscriber.line()).isEqualTo("m" + n);
                subscriber.send("PING\r\n"); // RESP3: commands still work while subscribed
                assertThat(subscriber.line()).isEqualTo("+PONG");
                Thread.sleep(200); // pacing a workload, not waiting for a condition
            }
            // every reply above arrived, so no upstream connection was cut; and the gateway saw no failure
            assertThat(events.reauthOk.get() - reauthsBefore).isGreaterThanOrEqualTo(2 * 3);
            assertThat(events.upstreamFailed.get() + events.reauthFailed.get()).isEqualTo(failuresBefore);
        }
    }

    @Test
    void reauthWaitsForTheEndOfATransaction() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send("AUTH " + h.token(h.alice) + "\r\nMULTI\r\nSET tx:a 1\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+QUEUED");
            // force a renewal while the transaction is open; the session must defer its re-AUTH
            io.github.redisentra.core.AccessToken old = h.refresher.current().orElseThrow();
            h.refresher.refreshNow();
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !h.refresher.current().orElseThrow().equals(old));
            Thread.sleep(300); // pacing: give the renewal time to reach the session's event loop
            c.send("SET tx:b 2\r\nEXEC\r\n");
            assertThat(c.line()).isEqualTo("+QUEUED");
            assertThat(c.line()).isEqualTo("*2"); // no AUTH slipped into the transaction
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+OK");
            // past the expiry of every token this connection used before EXEC: the stand-in would have cut it
            // unless the deferred re-AUTH went out after EXEC
            await().atMost(MI_LIFETIME.plusSeconds(5))
                    .until(() -> Instant.now().isAfter(old.expiresAt().plusSeconds(1)));
            c.send("GET tx:b\r\n");
            assertThat(c.line()).isEqualTo("$1");
            assertThat(c.line()).isEqualTo("2");
        }
    }

    @Test
    void aResp2SubscriberThatCannotBeReauthenticatedIsClosedWithAClearErrorBeforeTheCacheCutsIt() throws Exception {
        try (RawClient c = new RawClient(port)) {
            c.send("AUTH " + h.token(h.alice) + "\r\nSUBSCRIBE stuck\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("*3");
            c.line();
            c.line();
            c.line();
            c.line();
            assertThat(c.line()).isEqualTo(":1");
            long cutBefore = h.cache.connectionsCut();
            assertThat(c.line())
                    .startsWith("-ERR gateway: the upstream connection could not be re-authenticated before its"
                            + " authentication expired");
            assertThat(c.closedByServer()).isTrue();
            assertThat(h.cache.connectionsCut()).isEqualTo(cutBefore);
        }
    }
}
