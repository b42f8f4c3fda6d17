package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.audit.CommandAudit;
import io.github.redisentra.gateway.config.UpstreamClientNameSource;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

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
    void aBlockedClientThatCannotBeReauthenticatedIsClosedWithAClearErrorBeforeTheCacheCutsIt() throws Exception {
        try (RawClient c = new RawClient(port)) {
            // BLPOP 0 on an empty list blocks the upstream connection: a re-AUTH queued behind it cannot run
            c.send("AUTH " + h.token(h.alice) + "\r\nDEL blocked:never\r\nBLPOP blocked:never 0\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).startsWith(":");
            long cutBefore = h.cache.connectionsCut();
            assertThat(c.line())
                    .startsWith("-ERR gateway: the upstream connection could not be re-authenticated before its"
                            + " authentication expired");
            assertThat(c.closedByServer()).isTrue();
            assertThat(h.cache.connectionsCut()).isEqualTo(cutBefore);
        }
    }

    /**
     * RESP2 subscribers cannot send AUTH upstream; the gateway moves them to a freshly authenticated connection at
     * each renewal (make before break). A raw client (channel, pattern and shard-channel subscriptions), Jedis and
     * Lettuce on RESP2 keep receiving a numbered stream published throughout several token lifetimes: every
     * message exactly once, in order, none of the duplicate subscribe confirmations, and no connection is cut.
     */
    @Test
    void resp2SubscribersAreMovedToAFreshConnectionAtEachRenewalWithoutLosingOrDuplicatingMessages() throws Exception {
        String t = h.token(h.alice);
        int reauthsBefore = events.reauthOk.get();
        int failuresBefore = events.upstreamFailed.get() + events.reauthFailed.get();
        long cutBefore = h.cache.connectionsCut();
        List<String> jedisGot = new CopyOnWriteArrayList<>();
        List<String> lettuceGot = new CopyOnWriteArrayList<>();
        DefaultJedisClientConfig cfg = DefaultJedisClientConfig.builder()
                .socketTimeoutMillis(30_000)
                .password(t)
                .build();
        JedisPubSub jedisSub = new JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                jedisGot.add(message);
            }
        };
        RedisClient lettuce = RedisClient.create(RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(port)
                .withAuthentication("default", t)
                .withTimeout(Duration.ofSeconds(20))
                .build());
        lettuce.setOptions(
                ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        // The raw client connects last, right before its AUTH: the gateway's 10 s authentication deadline runs from
        // its connect, and the clients above may take seconds to start on a busy machine.
        try (Jedis jedisSubscriber = new Jedis(new HostAndPort("127.0.0.1", port), cfg);
                Jedis publisher = new Jedis(new HostAndPort("127.0.0.1", port), cfg);
                StatefulRedisPubSubConnection<String, String> ps = lettuce.connectPubSub();
                RawClient raw = new RawClient(port)) {
            raw.send("AUTH " + t + "\r\nSUBSCRIBE ho ho2\r\nPSUBSCRIBE h*\r\nSSUBSCRIBE sho\r\n");
            assertThat(raw.line()).isEqualTo("+OK");
            assertThat(frame(raw)).isEqualTo(List.of("subscribe", "ho", "1"));
            assertThat(frame(raw)).isEqualTo(List.of("subscribe", "ho2", "2"));
            assertThat(frame(raw)).isEqualTo(List.of("psubscribe", "h*", "3"));
            assertThat(frame(raw)).isEqualTo(List.of("ssubscribe", "sho", "1"));
            ps.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    lettuceGot.add(message);
                }
            });
            ps.sync().subscribe("ho");
            Future<?> jedisDone = pool.submit(() -> jedisSubscriber.subscribe(jedisSub, "ho"));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> publisher.pubsubNumSub("ho").getOrDefault("ho", 0L) == 3L);

            Instant end = Instant.now().plus(MI_LIFETIME.multipliedBy(5).dividedBy(2));
            AtomicInteger published = new AtomicInteger();
            Future<?> publishing = pool.submit(() -> {
                while (Instant.now().isBefore(end)) {
                    // bursts: more messages in flight while a switch happens
                    redis.clients.jedis.Pipeline burst = publisher.pipelined();
                    for (int b = 0; b < 4; b++) {
                        int n = published.incrementAndGet();
                        burst.publish("ho", "m" + n);
                        burst.sendCommand(redis.clients.jedis.Protocol.Command.SPUBLISH, "sho", "s" + n);
                    }
                    burst.sync();
                    try {
                        Thread.sleep(5); // pacing the stream, not waiting for a condition
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            });
            List<String> channel = new ArrayList<>();
            List<String> pattern = new ArrayList<>();
            List<String> shard = new ArrayList<>();
            boolean quiet = false;
            while (!quiet
                    && (!publishing.isDone() || channel.size() < published.get() || shard.size() < published.get())) {
                if (publishing.isDone()) {
                    raw.timeout(5_000); // everything is published: what has not come by now is lost
                }
                List<String> f;
                try {
                    f = frame(raw);
                } catch (java.net.SocketTimeoutException e) {
                    quiet = true;
                    continue;
                }
                switch (f.get(0)) {
                    case "message" -> channel.add(f.get(2));
                    case "pmessage" -> pattern.add(f.get(3));
                    case "smessage" -> shard.add(f.get(2));
                    default -> throw new AssertionError("unexpected frame " + f);
                }
            }
            publishing.get();
            int n = published.get();
            String problems = exactlyOnceInOrder("raw channel", channel, "m", n)
                    + exactlyOnceInOrder("raw pattern", pattern, "m", n)
                    + exactlyOnceInOrder("raw shard", shard, "s", n);
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> jedisGot.size() >= n && lettuceGot.size() >= n);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // the comparison below says which messages are missing
            }
            problems +=
                    exactlyOnceInOrder("jedis", jedisGot, "m", n) + exactlyOnceInOrder("lettuce", lettuceGot, "m", n);
            assertThat(problems).as("messages missing, repeated or reordered").isEmpty();

            // the moves happened, nothing failed, the cache cut nothing, and old connections were closed
            assertThat(events.reauthOk.get() - reauthsBefore).isGreaterThanOrEqualTo(3 * 3);
            assertThat(events.upstreamFailed.get() + events.reauthFailed.get()).isEqualTo(failuresBefore);
            assertThat(h.cache.connectionsCut()).isEqualTo(cutBefore);
            await().atMost(Duration.ofSeconds(10)).until(() -> h.upstreamConnections() == 4);

            // the raw subscriber's subscription set moved intact: leaving it is answered exactly as Redis does
            raw.send("UNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nSUNSUBSCRIBE\r\nPING\r\n");
            List<String> first = frame(raw);
            List<String> second = frame(raw);
            assertThat(List.of(first.get(0), first.get(2), second.get(0), second.get(2)))
                    .isEqualTo(List.of("unsubscribe", "2", "unsubscribe", "1"));
            assertThat(List.of(first.get(1), second.get(1))).containsExactlyInAnyOrder("ho", "ho2");
            assertThat(frame(raw)).isEqualTo(List.of("punsubscribe", "h*", "0"));
            assertThat(frame(raw)).isEqualTo(List.of("sunsubscribe", "sho", "0"));
            assertThat(raw.line()).isEqualTo("+PONG");
            jedisSub.unsubscribe();
            jedisDone.get(20, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            lettuce.shutdown();
        }
    }

    /** {@code got} is exactly prefix1..prefixN; on failure says which are missing, repeated or out of order. */
    private static String exactlyOnceInOrder(String who, List<String> got, String prefix, int n) {
        List<String> expected =
                IntStream.rangeClosed(1, n).mapToObj(i -> prefix + i).toList();
        if (got.equals(expected)) {
            return "";
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<String> repeated = got.stream().filter(m -> !seen.add(m)).toList();
        List<String> missing = expected.stream().filter(m -> !seen.contains(m)).toList();
        int firstDiff = 0;
        while (firstDiff < Math.min(got.size(), n) && got.get(firstDiff).equals(expected.get(firstDiff))) {
            firstDiff++;
        }
        return (who + ": " + got.size() + " of " + n + " messages; missing " + missing
                + ", repeated " + repeated + ", first difference at index " + firstDiff + ": "
                + got.subList(Math.max(0, firstDiff - 3), Math.min(got.size(), firstDiff + 6)) + "\n");
    }

    /** Reads one RESP2 reply made of bulk strings and integers, flattened to strings. */
    @Test
    void aResp2SubscribersNewUpstreamConnectionIsNamedForItsUserToo() throws Exception {
        GatewayServer named = h.startGateway(
                GatewayHarness.sessionSettings()
                        .withUpstreamReauthMargin(Duration.ofMillis(1500))
                        .withAudit(CommandAudit.off(), UpstreamClientNameSource.OID),
                new CountingEvents());
        String name = "entra:" + h.alice.objectId() + "/sub-1";
        try (RawClient raw = new RawClient(named.localAddress().getPort())) {
            raw.send("AUTH " + h.token(h.alice) + "\r\nCLIENT SETNAME sub-1\r\nSUBSCRIBE named\r\n");
            assertThat(raw.line()).isEqualTo("+OK");
            assertThat(raw.line()).isEqualTo("+OK");
            assertThat(frame(raw)).isEqualTo(List.of("subscribe", "named", "1"));
            List<String> first = idsNamed(name);
            assertThat(first).hasSize(1);
            // a renewal moves the subscriber to a new connection (make-before-break): named as the old one was
            await().atMost(MI_LIFETIME.plusSeconds(5))
                    .until(() -> idsNamed(name).size() == 1 && !idsNamed(name).equals(first));
            h.redis.cli().call("PUBLISH", "named", "after-move");
            assertThat(frame(raw)).isEqualTo(List.of("message", "named", "after-move"));
        }
    }

    /** The ids of redis-server's connections named {@code name}. */
    private static List<String> idsNamed(String name) {
        return h.redis
                .cli()
                .callString("CLIENT", "LIST")
                .lines()
                .filter(l -> l.contains(" name=" + name + " "))
                .map(l -> l.replaceAll("^id=(\\d+) .*", "$1"))
                .toList();
    }

    private static List<String> frame(RawClient c) throws java.io.IOException {
        String head = c.line();
        List<String> out = new ArrayList<>();
        if (head.startsWith("*")) {
            int n = Integer.parseInt(head.substring(1));
            for (int i = 0; i < n; i++) {
                out.addAll(frame(c));
            }
        } else if (head.startsWith("$")) {
            out.add(c.line());
        } else if (head.startsWith(":")) {
            out.add(head.substring(1));
        } else {
            throw new AssertionError("unexpected reply " + head);
        }
        return out;
    }
}
