package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.gateway.it.NettyLeakCheck;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * No data loss, counted: clients pipeline {@code INCR} on keys of their own through the assembled gateway while
 * (1) they re-AUTH with fresh tokens, (2) the gateway's upstream token rotates every few seconds (the cache stand-in
 * closes connections whose token expired, as Azure does), (3) the tenant's signing key rotates (new tokens must be
 * accepted after one JWKS refresh, without an outage) and (4) every upstream connection is dropped at once, as in a
 * cache failover (the endpoint stays, connections reset). Every acknowledged increment must be in the cache, every
 * reply on a connection must be the previous one plus one (nothing lost, duplicated or reordered), and the only
 * uncertainty allowed is the increments in flight when a connection failed with {@code -ERR upstream unavailable}.
 *
 * <p>Runs {@code gateway.nodataloss.seconds} (default 10) seconds; e.g. {@code -Dgateway.nodataloss.seconds=300}.
 */
// A bounded load: alone on the machine (the gateway pom's "serial" execution), not beside other test JVMs.
@Tag("serial")
@Timeout(value = 20, unit = TimeUnit.MINUTES)
@ExtendWith(NettyLeakCheck.class)
class NoDataLossIT {
    static final String GROUP = "aaaaaaaa-0000-4000-8000-0000000000d1";
    static final int CLIENTS = 4;
    static final int DEPTH = 16;
    /**
     * Renewed at 15 % (every 4.5 s), 25.5 s before expiry: far more than the gateway's 5 s re-AUTH margin, so that a
     * loaded machine (the injected AUTH's reply queued behind pipelines) does not trip the expiry guard. The cache's
     * cut at expiry catches a missed re-AUTH in the long form (over 30 s); {@code UpstreamReauthIT} checks it tightly.
     */
    static final Duration MI_LIFETIME = Duration.ofSeconds(30);

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice;
    static ManagedIdentity mi;
    static RedisServer redis;
    static AzureCacheStandIn cache;
    static GatewayRuntime runtime;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        mi = tenant.addManagedIdentity("gateway-mi");
        Path emulatorCa = emu.writeCaCertificate(dir.resolve("emulator-ca.pem"));
        redis = RedisServer.builder().tlsOnly().name("no-data-loss").start();
        cache = AzureCacheStandIn.builder(redis)
                .objectId(mi.objectId())
                .cutAtExpiry()
                .build()
                .watch(emu);
        Map<String, String> env =
                TestGatewaySettings.base(emu, tenant.id(), api.clientId(), emulatorCa, cache.tlsPort(), redis.caFile());
        env.put("ALLOWED_GROUP_IDS", GROUP);
        env.put("ADMIN_ADDR", "off");
        env.put("LOCAL_REDIS_TOKEN", "unused-the-test-passes-its-own-upstream-identity");
        TokenSource miTokens = new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) {
                return AccessToken.of(
                        emu.mintAccessToken(
                                TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE)
                                        .lifetime(MI_LIFETIME)),
                        null);
            }

            @Override
            public String describe() {
                return "emulator managed identity";
            }
        };
        RefreshPolicy renewEarly = RefreshPolicy.builder()
                .refreshRatio(0.15)
                .lowerBound(Duration.ZERO)
                .minimumDelay(Duration.ofSeconds(1))
                .jitter(Duration.ZERO)
                .build();
        runtime = GatewayRuntime.create(
                GatewayConfig.from(env), Clock.systemUTC(), UpstreamIdentity.of(miTokens, renewEarly, mi.objectId()));
        runtime.start(RespListenerWiring::start);
        port = runtime.listener().orElseThrow().localAddress().getPort();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> runtime.authenticator().keyStatus().keysLoaded());
        runtime.upstream().first().get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {runtime, cache, redis, emu}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    static String userToken() {
        return emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api));
    }

    final AtomicBoolean stop = new AtomicBoolean();

    /** One client with its own counter key. */
    final class Client implements Runnable {
        final String key;
        long acknowledged;
        long uncertain; // sent, never answered, on a connection that failed
        long lastValue;
        final List<String> violations = new ArrayList<>();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        final AtomicLong reauths = new AtomicLong();
        final AtomicLong reconnects = new AtomicLong();

        Client(int i) {
            key = "nodataloss:" + i;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                reconnects.incrementAndGet();
                long inFlight = 0;
                long maxNext = lastValue + 1 + uncertain; // first reply after a failure may skip the uncertain ones
                boolean first = true;
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(20_000);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    out.write(RedisCli.encode("AUTH", userToken()));
                    String ok = line(in);
                    if (!ok.equals("+OK")) {
                        fail(ok);
                        continue;
                    }
                    long nextReauth = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
                    while (!stop.get()) {
                        boolean reauth = System.nanoTime() > nextReauth;
                        int sent = 0;
                        try {
                            for (int k = 0; k < DEPTH; k++) {
                                if (reauth && k == DEPTH / 2) {
                                    out.write(RedisCli.encode("AUTH", userToken()));
                                }
                                out.write(RedisCli.encode("INCR", key));
                                sent++;
                            }
                            out.flush();
                        } catch (IOException e) {
                            // Already failed by the gateway (broken pipe): read its error line like any client.
                        }
                        inFlight = sent;
                        for (int k = 0; k < sent + (reauth && sent > DEPTH / 2 ? 1 : 0); k++) {
                            String l = line(in);
                            if (l.equals("+OK") && reauth) {
                                reauths.incrementAndGet();
                                continue;
                            }
                            if (!l.startsWith(":")) {
                                uncertain += inFlight;
                                fail(l);
                                throw new EOFException("failed");
                            }
                            long v = Long.parseLong(l.substring(1));
                            long expectedMax = first ? maxNext : lastValue + 1;
                            if (v <= lastValue || v > expectedMax) {
                                violations.add("got " + v + " after " + lastValue + " (max " + expectedMax + ")");
                            }
                            first = false;
                            lastValue = v;
                            acknowledged++;
                            inFlight--;
                        }
                        if (reauth) {
                            nextReauth = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
                        }
                    }
                } catch (IOException e) {
                    if (!"failed".equals(e.getMessage())) {
                        uncertain += inFlight;
                        errors.add("connection lost without an error line: " + e);
                    }
                }
            }
        }

        private void fail(String line) {
            if (!line.startsWith("-ERR upstream unavailable")) {
                violations.add("unexpected reply: " + line);
            }
            errors.add(line);
        }
    }

    static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
                return sb.substring(0, sb.length() - 1);
            }
            sb.append((char) c);
        }
        throw new EOFException("closed after: " + sb);
    }

    @Test
    void everyAcknowledgedIncrementIsInTheCacheThroughReauthsRotationsKeyRolloverAndFailover() throws Exception {
        long seconds = Long.getLong("gateway.nodataloss.seconds", 10);
        List<Client> clients = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            Client c = new Client(i);
            clients.add(c);
            Thread t = new Thread(c, "nodataloss-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        long reauthsBefore = upstreamReauths();
        long jwksBefore = emu.requestCount(Endpoint.JWKS);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try {
            Thread.sleep(seconds * 1000 / 4);
            String oldKid = tenant.signingKeys().currentKeyId();
            tenant.signingKeys().rotate(); // every later client AUTH carries the new kid
            Thread.sleep(seconds * 1000 / 4);
            // Failover: every upstream connection of the gateway drops at once.
            redis.cli().call("CLIENT", "KILL", "USER", mi.objectId());
            long now = System.nanoTime();
            Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(end - now)));
            assertThat(tenant.signingKeys().currentKeyId()).isNotEqualTo(oldKid);
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }

        long upstreamRotations = upstreamReauths() - reauthsBefore;
        System.out.printf(
                "upstream re-AUTHs %d, JWKS fetches %d%n",
                upstreamRotations, emu.requestCount(Endpoint.JWKS) - jwksBefore);
        for (Client c : clients) {
            long value = Long.parseLong(String.valueOf(redis.cli().callString("GET", c.key)));
            System.out.printf(
                    "%s: cache %d, acknowledged %d, uncertain %d, client re-AUTHs %d, connections %d, errors %d%n",
                    c.key, value, c.acknowledged, c.uncertain, c.reauths.get(), c.reconnects.get(), c.errors.size());
            assertThat(c.violations)
                    .as(c.key + " order/loss/duplication violations")
                    .isEmpty();
            assertThat(c.errors)
                    .as(c.key + " errors")
                    .allSatisfy(e -> assertThat(e).startsWith("-ERR upstream unavailable"));
            assertThat(c.acknowledged).as(c.key + " acknowledged").isGreaterThan(0);
            assertThat(value)
                    .as(c.key + ": cache value vs %d acknowledged + %d uncertain", c.acknowledged, c.uncertain)
                    .isBetween(c.acknowledged, c.acknowledged + c.uncertain);
            assertThat(c.reauths.get()).as(c.key + " client re-AUTHs").isGreaterThan(0);
            assertThat(c.reconnects.get())
                    .as(c.key + " connections (the failover forces a second)")
                    .isGreaterThan(1);
        }
        assertThat(upstreamRotations)
                .as("upstream re-AUTHs with rotated tokens")
                .isGreaterThan(0);
        assertThat(emu.requestCount(Endpoint.JWKS) - jwksBefore)
                .as("JWKS fetches for the rolled-over key")
                .isBetween(1L, 3L);
        assertThat(cache.connectionsCut())
                .as("connections the cache cut for an expired token")
                .isZero();
    }

    static long upstreamReauths() {
        String prefix = "redis_entra_gateway_upstream_reauth_total{result=\"ok\"} ";
        return runtime.metrics()
                .render()
                .lines()
                .filter(l -> l.startsWith(prefix))
                .mapToLong(l ->
                        (long) Double.parseDouble(l.substring(prefix.length()).trim()))
                .findFirst()
                .orElse(0);
    }
}
