package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.upstream.PoolMetrics;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamPoolSettings;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.netty.util.NettyRuntime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm pool ({@code UPSTREAM_POOL_SIZE}, issue #19) against a real TLS redis-server behind the Azure stand-in
 * (ACL user = the managed identity's object id, emulator-issued tokens living 12 s, connections cut at their token's
 * expiry): a new session takes a connection that redis-server listed as the gateway identity's before the client
 * connected; a renewal retires the warm connections; one whose authentication ends within the margin is not handed
 * out; a taken connection is re-authenticated at every renewal; without a pool nothing changes.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class UpstreamPoolIT {
    static final Duration MI_LIFETIME = Duration.ofSeconds(12);
    static final Duration MARGIN = Duration.ofMillis(1500);
    /** Two per event loop (Netty's default: two loops per CPU), so that every loop keeps some. */
    static final int SIZE = 2 * 2 * NettyRuntime.availableProcessors();

    static GatewayHarness h;
    static CountingEvents events = new CountingEvents();
    static GatewayServer pooled;
    static GatewayServer unpooled;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(MI_LIFETIME, true);
        pooled = h.startGateway(
                settings(MARGIN).withUpstreamPool(new UpstreamPoolSettings(SIZE, Duration.ofMinutes(5))),
                events,
                h.endpoint());
        unpooled = h.startGateway(settings(MARGIN), new CountingEvents(), h.endpoint());
    }

    static GatewaySettings settings(Duration margin) {
        return GatewaySettings.loopback(0)
                .withSession(GatewayHarness.sessionSettings().withUpstreamReauthMargin(margin))
                .withDrainTimeout(Duration.ofSeconds(2));
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    /** Ids of the connections redis-server lists as authenticated as the gateway's identity. */
    static Set<Long> gatewayIdentityConnections() {
        return h.redis
                .cli()
                .callString("CLIENT", "LIST")
                .lines()
                .filter(l -> l.contains(" user=" + h.mi.objectId() + " "))
                .map(l -> Long.parseLong(l.substring(3, l.indexOf(' '))))
                .collect(Collectors.toSet());
    }

    /**
     * The warm connections' ids once the pool is full, with the next renewal (half the token's lifetime, which
     * replaces them all) at least 2 s away, so that the test's take comes before it.
     */
    static Set<Long> fullPool(GatewayServer g) {
        await().atMost(Duration.ofSeconds(40)).until(() -> {
            Instant renewal = h.refresher.current().orElseThrow().expiresAt().minus(MI_LIFETIME.dividedBy(2));
            return g.upstreamPool().size() == SIZE && Instant.now().isBefore(renewal.minusSeconds(2));
        });
        return gatewayIdentityConnections();
    }

    /** Signs in on {@code c} and returns the upstream connection's id ({@code CLIENT ID} through the gateway). */
    static long signInAndAskId(RawClient c) throws Exception {
        c.send("AUTH " + h.token(h.alice) + "\r\nCLIENT ID\r\n");
        assertThat(c.line()).isEqualTo("+OK");
        String id = c.line();
        assertThat(id).startsWith(":");
        return Long.parseLong(id.substring(1));
    }

    @Test
    void aNewSessionTakesAWarmConnectionAuthenticatedAsTheGatewaysIdentityBeforeTheClientCame() throws Exception {
        Set<Long> warm = fullPool(pooled);
        PoolMetrics m = pooled.upstreamPool();
        long hits = m.hits();
        long opened = pooled.upstreamConnectionsByNode().values().stream()
                .mapToInt(Integer::intValue)
                .sum();
        try (RawClient c = new RawClient(pooled.localAddress().getPort())) {
            long id = signInAndAskId(c);
            assertThat(warm)
                    .as("redis-server listed it before the client connected")
                    .contains(id);
            assertThat(m.hits()).isEqualTo(hits + 1);
            c.send("ACL WHOAMI\r\n");
            c.line();
            assertThat(c.line()).as("authenticated as the gateway's identity").isEqualTo(h.mi.objectId());
            c.send("SET pool:k v\r\nGET pool:k\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("$1");
            assertThat(c.line()).isEqualTo("v");
        }
        // the taken one is replaced through the same dialer; the pool never holds more than its size
        await().atMost(Duration.ofSeconds(30)).until(() -> m.size() == SIZE);
        assertThat(pooled.upstreamConnectionsByNode().values().stream()
                        .mapToInt(Integer::intValue)
                        .sum())
                .isLessThanOrEqualTo((int) opened + 1);
        assertThat(m.render("x_")).contains("x_upstream_pool_takes_total{result=\"hit\"} " + m.hits());
    }

    @Test
    void aTakenConnectionIsNeverReturnedToThePool() throws Exception {
        fullPool(pooled);
        long first;
        try (RawClient c = new RawClient(pooled.localAddress().getPort())) {
            first = signInAndAskId(c);
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !gatewayIdentityConnections().contains(first));
        Set<Long> warm = fullPool(pooled);
        assertThat(warm).doesNotContain(first);
    }

    @Test
    void atARenewalWarmConnectionsOfTheOldTokenAreNotHandedOutButReplaced() throws Exception {
        Set<Long> warm = fullPool(pooled);
        PoolMetrics m = pooled.upstreamPool();
        long retired = m.retired("renewed");
        AccessToken old = h.refresher.current().orElseThrow();
        h.refresher.refreshNow();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !h.refresher.current().orElseThrow().equals(old));
        try (RawClient c = new RawClient(pooled.localAddress().getPort())) {
            assertThat(warm).doesNotContain(signInAndAskId(c));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> m.retired("renewed") > retired);
        await().atMost(Duration.ofSeconds(30)).until(() -> m.size() == SIZE);
    }

    @Test
    void aWarmConnectionWhoseAuthenticationEndsWithinTheMarginIsNotHandedOut() throws Exception {
        // the gateway's identity with one token that is never renewed: its warm connections run into the margin
        Duration life = Duration.ofSeconds(8);
        Duration margin = Duration.ofSeconds(3);
        AccessToken token = AccessToken.of(
                h.emu.mintAccessToken(TokenRequest.forManagedIdentity(h.tenant, h.mi, AzureCacheStandIn.REDIS_AUDIENCE)
                        .lifetime(life)),
                null);
        UpstreamCredentials once = UpstreamCredentials.tokens(null, () -> Optional.of(token), l -> () -> {});
        try (GatewayServer g = new GatewayServer(
                        settings(margin).withUpstreamPool(new UpstreamPoolSettings(SIZE, Duration.ofMinutes(5))),
                        h.authenticator,
                        h.endpoint(),
                        once,
                        new CountingEvents())
                .start()) {
            Set<Long> warm = fullPool(g);
            Instant inMargin = token.expiresAt().minus(margin).plusMillis(300);
            await().atMost(life).until(() -> Instant.now().isAfter(inMargin));
            assertThat(Instant.now()).isBefore(token.expiresAt()); // still valid: only the margin keeps it back
            try (RawClient c = new RawClient(g.localAddress().getPort())) {
                c.send("AUTH " + h.token(h.alice) + "\r\nCLIENT ID\r\n");
                assertThat(c.line()).isEqualTo("+OK");
                String reply = c.line();
                // dialled instead, with the same token: its guard ends the session, as without a pool
                if (reply.startsWith(":")) {
                    assertThat(warm).doesNotContain(Long.parseLong(reply.substring(1)));
                } else {
                    assertThat(reply).startsWith("-ERR gateway: the upstream connection could not be re-authenticated");
                }
            }
            assertThat(g.upstreamPool().hits()).isZero();
            assertThat(g.upstreamPool().retired("expiring")).isPositive();
        }
    }

    @Test
    void aSessionOnAWarmConnectionIsReauthenticatedAtEveryRenewal() throws Exception {
        Set<Long> warm = fullPool(pooled);
        int reauths = events.reauthOk.get();
        long cut = h.cache.connectionsCut();
        try (RawClient c = new RawClient(pooled.localAddress().getPort())) {
            long id = signInAndAskId(c);
            assertThat(warm).contains(id);
            Instant end = Instant.now().plus(MI_LIFETIME.multipliedBy(5).dividedBy(2));
            while (Instant.now().isBefore(end)) {
                c.send("INCR pool:n\r\n");
                assertThat(c.line()).startsWith(":");
                Thread.sleep(250); // pacing a workload, not waiting for a condition
            }
            c.send("CLIENT ID\r\n");
            assertThat(c.line()).as("still the warm connection").isEqualTo(":" + id);
        }
        // past two expiries of the token it was warmed with: the stand-in would have cut it without re-AUTH
        assertThat(events.reauthOk.get() - reauths).isGreaterThanOrEqualTo(2);
        assertThat(h.cache.connectionsCut()).isEqualTo(cut);
    }

    @Test
    void withoutAPoolNoConnectionIsOpenedBeforeASessionAndNoneIsTaken() throws Exception {
        assertThat(unpooled.upstreamConnectionsByNode().values().stream()
                        .mapToInt(Integer::intValue)
                        .sum())
                .isZero();
        try (RawClient c = new RawClient(unpooled.localAddress().getPort())) {
            signInAndAskId(c);
            assertThat(unpooled.upstreamConnectionsByNode().values().stream()
                            .mapToInt(Integer::intValue)
                            .sum())
                    .isEqualTo(1);
        }
        assertThat(unpooled.upstreamPool().hits() + unpooled.upstreamPool().misses())
                .isZero();
        assertThat(unpooled.upstreamPool().size()).isZero();
    }
}
