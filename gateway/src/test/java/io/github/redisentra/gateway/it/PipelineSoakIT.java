package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.GatewayServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 3's soak: 20 s gateway tokens (the cache stand-in cuts connections whose token expired and refuses stale
 * tokens), 15 s client tokens re-AUTHed by the clients inside their pipelines, and every reply counted: INCR replies
 * must come back strictly consecutive (nothing lost, duplicated or reordered) and the final counters must equal the
 * acknowledged increments. Runs 30 s by default; {@code -Dgateway.soak.seconds=300} for the full 5 minutes.
 */
// A bounded load: alone on the machine (the gateway pom's "serial" execution), not beside other test JVMs.
@Tag("serial")
class PipelineSoakIT {
    static final long SECONDS = Long.getLong("gateway.soak.seconds", 30);
    static final int CLIENTS = 3;
    static final int BATCH = 200;

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void pipelinedWorkloadThroughTokenRotationsLosesDuplicatesAndReordersNothing() throws Exception {
        try (GatewayHarness h = new GatewayHarness(Duration.ofSeconds(20), true)) {
            CountingEvents events = new CountingEvents();
            GatewayServer gw = h.startGateway(
                    GatewayHarness.sessionSettings().withUpstreamReauthMargin(Duration.ofSeconds(2)), events);
            int port = gw.localAddress().getPort();
            Instant end = Instant.now().plusSeconds(SECONDS);
            List<CompletableFuture<long[]>> runs = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                String key = "soak:" + i;
                runs.add(CompletableFuture.supplyAsync(() -> run(h, port, key, end)));
            }
            long total = 0;
            for (int i = 0; i < CLIENTS; i++) {
                long[] r = runs.get(i).get(SECONDS + 120, TimeUnit.SECONDS);
                long increments = r[0];
                long auths = r[1];
                assertThat(auths).as("client re-AUTHs of client %d", i).isGreaterThanOrEqualTo(SECONDS / 10 - 1);
                try (RawClient check = new RawClient(port)) {
                    check.send("AUTH " + h.token(h.alice) + "\r\nGET soak:" + i + "\r\n");
                    assertThat(check.line()).isEqualTo("+OK");
                    check.line();
                    assertThat(Long.parseLong(check.line()))
                            .as("final counter of client %d", i)
                            .isEqualTo(increments);
                }
                total += increments;
            }
            assertThat(total).isGreaterThan(CLIENTS * (long) BATCH);
            assertThat(events.reauthOk.get()).isGreaterThanOrEqualTo((int) (CLIENTS * (SECONDS / 20)));
            assertThat(events.reauthFailed.get() + events.upstreamFailed.get()).isZero();
        }
    }

    /** Returns {acknowledged increments, client re-AUTHs}. */
    private static long[] run(GatewayHarness h, int port, String key, Instant end) {
        try (RawClient c = new RawClient(port)) {
            c.send("AUTH " + h.token(h.alice, Duration.ofSeconds(15)) + "\r\nDEL " + key + "\r\n");
            if (!c.line().equals("+OK")) {
                throw new AssertionError("first AUTH refused");
            }
            c.line();
            long expected = 0;
            long auths = 0;
            Instant nextAuth = Instant.now().plusSeconds(10);
            while (Instant.now().isBefore(end)) {
                StringBuilder batch = new StringBuilder();
                int authAt = -1;
                if (Instant.now().isAfter(nextAuth)) {
                    authAt = BATCH / 2;
                    nextAuth = Instant.now().plusSeconds(10);
                }
                for (int i = 0; i < BATCH; i++) {
                    if (i == authAt) {
                        batch.append("AUTH ")
                                .append(h.token(h.alice, Duration.ofSeconds(15)))
                                .append("\r\n");
                    }
                    batch.append("INCR ").append(key).append("\r\n");
                }
                c.send(batch.toString());
                for (int i = 0; i < BATCH; i++) {
                    if (i == authAt) {
                        String l = c.line();
                        if (!l.equals("+OK")) {
                            throw new AssertionError("client re-AUTH answered " + l);
                        }
                        auths++;
                    }
                    String l = c.line();
                    if (!l.equals(":" + (expected + 1))) {
                        throw new AssertionError("reply " + (expected + 1) + " of " + key + " was " + l);
                    }
                    expected++;
                }
            }
            return new long[] {expected, auths};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
