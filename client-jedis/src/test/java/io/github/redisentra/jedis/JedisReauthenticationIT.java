package io.github.redisentra.jedis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.Faults;
import io.github.redisentra.testkit.EmulatedAzure;
import io.github.redisentra.testkit.ReauthenticationITBase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.util.SafeEncoder;

/**
 * Jedis against Azure, locally: users sign in through MSAL against the Entra ID emulator, and a TLS redis-server
 * stand-in accepts only the user's current tokens and closes a connection when its token expires. Tokens are short
 * so several renewals happen within a test.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class JedisReauthenticationIT extends ReauthenticationITBase {
    RedisClient client(ReauthenticationListener listener) {
        return client(listener, Duration.ZERO);
    }

    RedisClient client(ReauthenticationListener listener, Duration tokenWait) {
        RedisClient client = EntraJedis.builder(refresher)
                .tokenWait(tokenWait)
                .hostAndPort(new HostAndPort(azure.redis.host(), id.cache.tlsPort()))
                .clientConfig(DefaultJedisClientConfig.builder()
                        .ssl(true)
                        .sslSocketFactory(azure.redis.trustingSslContext().getSocketFactory())
                        .socketTimeoutMillis(20_000)
                        .build())
                .listener(listener)
                .build();
        cleanup.add(client);
        return client;
    }

    /** Counts AUTHs with renewed tokens per connection, and failures. */
    static final class ReauthCounts implements ReauthenticationListener {
        final Map<String, AtomicLong> succeeded = new ConcurrentHashMap<>();
        final List<Throwable> failed = new CopyOnWriteArrayList<>();

        @Override
        public void onReauthenticated(String connection, String tokenFingerprint) {
            succeeded.computeIfAbsent(connection, k -> new AtomicLong()).incrementAndGet();
        }

        @Override
        public void onReauthenticationFailed(String connection, Throwable cause) {
            failed.add(cause);
        }

        long total() {
            return succeeded.values().stream().mapToLong(AtomicLong::get).sum();
        }
    }

    static String whoami(RedisClient client) {
        return SafeEncoder.encode((byte[]) client.sendCommand(Protocol.Command.ACL, "WHOAMI"));
    }

    @Test
    void connectsAsTheTokensOidWithTheCurrentToken() throws Exception {
        identity(Duration.ofMinutes(5));
        RedisClient client = client(new ReauthCounts());
        assertThat(client.set("greeting", "hello")).isEqualTo("OK");
        assertThat(client.get("greeting")).isEqualTo("hello");
        assertThat(whoami(client)).isEqualTo(id.user.objectId());
    }

    @Test
    void signsInWithTheAuthorizationCodeFlowAndConnects() throws Exception {
        identity(Duration.ofMinutes(5), EmulatedAzure.Flow.AUTHORIZATION_CODE);
        RedisClient client = client(new ReauthCounts());
        assertThat(whoami(client)).isEqualTo(id.user.objectId());
    }

    // A bounded load: alone on the machine (this module's "serial" surefire execution), not beside other test JVMs.
    @Tag("serial")
    @Test
    void everyConnectionIsReauthenticatedBeforeItsTokenExpiresUnderLoad() throws Exception {
        // 12 s tokens: renewals at ~9 s and ~18 s; the load ends once the token the second one replaced has expired.
        Duration lifetime = Duration.ofSeconds(12);
        Duration duration = Duration.ofSeconds(35);
        identity(lifetime);
        ReauthCounts reauth = new ReauthCounts();
        RedisClient client = client(reauth);
        runLoad(client, reauth, lifetime, duration);
    }

    // A bounded load: alone on the machine (this module's "serial" surefire execution), not beside other test JVMs.
    @Tag("serial")
    @Test
    void aRedisClientBuiltByTheUserWithItsOwnPoolAndClientConfigStaysAuthenticatedAcrossRenewals() throws Exception {
        Duration lifetime = Duration.ofSeconds(8);
        identity(lifetime);
        ReauthCounts reauth = new ReauthCounts();
        // The application's own settings, as it had them before adopting Entra ID.
        ConnectionPoolConfig myPool = new ConnectionPoolConfig();
        myPool.setMaxTotal(3);
        myPool.setMinIdle(1);
        myPool.setMaxWait(Duration.ofSeconds(10));
        DefaultJedisClientConfig myConfig = DefaultJedisClientConfig.builder()
                .ssl(true)
                .sslSocketFactory(azure.redis.trustingSslContext().getSocketFactory())
                .socketTimeoutMillis(20_000)
                .clientName("my-app")
                .build();
        RedisClient client = EntraJedis.builder(refresher)
                .hostAndPort(new HostAndPort(azure.redis.host(), id.cache.tlsPort()))
                .clientConfig(myConfig)
                .poolConfig(myPool)
                .listener(reauth)
                .applyTo(RedisClient.builder())
                .searchDialect(2)
                .build();
        cleanup.add(client);

        assertThat(client.getPool().getMaxTotal()).isEqualTo(3);
        assertThat(SafeEncoder.encode((byte[]) client.sendCommand(Protocol.Command.CLIENT, "GETNAME")))
                .isEqualTo("my-app");
        runLoad(client, reauth, lifetime, Duration.ofSeconds(18));
    }

    /**
     * Threads running commands, pipelines and transactions, a subscriber and a publisher on {@code client} for
     * {@code duration} at most (until two renewals and the replaced token's expiry are covered, or
     * {@code -Dredisentra.load.seconds=N}); then: no failed command, no refused AUTH, no connection cut or left on an expired token, every
     * message received, one token request per renewal.
     */
    void runLoad(RedisClient client, ReauthCounts reauth, Duration lifetime, Duration duration) throws Exception {
        int threads = Integer.getInteger("redisentra.load.threads", 4);
        Instant start = Instant.now();

        AtomicLong received = new AtomicLong();
        JedisPubSub subscriber = new JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                received.incrementAndGet();
            }
        };
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong commands = new AtomicLong();
        AtomicLong published = new AtomicLong();
        AtomicLong maxOnExpiredTokens = new AtomicLong();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 2);
        cleanup.add(pool::shutdownNow);
        List<Future<?>> workers = new ArrayList<>();
        Future<?> subscription = pool.submit(() -> {
            try {
                client.subscribe(subscriber, "news");
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(subscriber::isSubscribed);
        for (int i = 0; i < threads; i++) {
            String key = "load:" + i;
            workers.add(pool.submit(() -> {
                while (running.get()) {
                    try {
                        client.set(key, "v");
                        assertThat(client.get(key)).isEqualTo("v");
                        try (Pipeline pipeline = client.pipelined()) {
                            List<Response<Long>> replies = new ArrayList<>();
                            for (int n = 0; n < 10; n++) {
                                replies.add(pipeline.incr(key + ":pipe"));
                            }
                            pipeline.sync();
                            assertThat(replies.get(9).get()).isPositive();
                        }
                        try (AbstractTransaction tx = client.multi()) {
                            tx.set(key + ":tx", "a");
                            tx.incr(key + ":txn");
                            assertThat(tx.exec()).hasSize(2);
                        }
                        commands.addAndGet(15);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            }));
        }
        workers.add(pool.submit(() -> {
            while (running.get()) {
                try {
                    client.publish("news", "n");
                    published.incrementAndGet();
                    maxOnExpiredTokens.accumulateAndGet(EntraJedis.connectionsOnExpiredTokens(client), Math::max);
                    Thread.sleep(50); // pacing the publisher, not waiting for a condition
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable e) {
                    failures.add(e);
                }
            }
        }));

        await().atMost(duration.plusSeconds(30)).until(() -> loadDone(start, duration));
        running.set(false);
        for (Future<?> w : workers) {
            w.get(60, TimeUnit.SECONDS);
        }
        Duration elapsed = Duration.between(start, Instant.now());
        await().atMost(Duration.ofSeconds(10)).until(() -> received.get() >= published.get());
        subscriber.unsubscribe();
        subscription.get(20, TimeUnit.SECONDS);

        assertThat(failures).as("failed commands").isEmpty();
        assertThat(commands.get()).isPositive();
        assertThat(reauth.failed).as("re-authentication failures").isEmpty();
        assertThat(id.aclLog()).as("ACL LOG (refused AUTHs)").isEmpty();
        assertThat(id.cache.connectionsCut())
                .as("connections cut at token expiry")
                .isZero();
        assertThat(maxOnExpiredTokens.get())
                .as("connections still on an expired token, sampled every 50 ms")
                .isZero();
        long renewals = tokensSeen.get() - 1;
        assertThat(renewals).isGreaterThanOrEqualTo(2);
        // The subscribed connection and at least one pooled connection at each renewal; how many pooled ones depends on
        // the pool (connections made after a renewal authenticate in their handshake instead).
        assertThat(reauth.total()).isGreaterThanOrEqualTo(renewals * 2);
        assertThat(reauth.succeeded.values())
                .as("the subscribed connection re-authenticated in-band at each renewal")
                .anySatisfy(c -> assertThat(c.get()).isGreaterThanOrEqualTo(renewals));
        long expectedRequests = 1 + elapsed.toMillis() / (lifetime.toMillis() * 3 / 4);
        assertThat(id.tokenRequests())
                .as("token requests for %s of %s tokens, whatever the number of connections", elapsed, lifetime)
                .isBetween(expectedRequests - 1, expectedRequests + 1);
    }

    @Test
    void multiSpanningARenewalCommitsAndTheConnectionIsReauthenticatedAfterwards() throws Exception {
        identity(Duration.ofSeconds(12));
        ReauthCounts reauth = new ReauthCounts();
        RedisClient client = client(reauth);
        assertThat(client.ping()).isEqualTo("PONG");
        List<Object> result;
        try (AbstractTransaction tx = client.multi()) {
            tx.set("tx:a", "1");
            awaitRenewal();
            tx.incr("tx:b");
            result = tx.exec();
        }
        assertThat(result).hasSize(2);
        assertThat(result.get(0)).isEqualTo("OK");
        await().atMost(Duration.ofSeconds(10)).until(() -> reauth.total() >= 1);
        assertThat(reauth.failed).isEmpty();
        assertThat(client.get("tx:a")).isEqualTo("1");
        assertThat(id.aclLog()).isEmpty();
    }

    @Test
    void closingOneClientDoesNotStopAnothersRenewalAndThrowingListenersStartNoSecondChain() throws Exception {
        Duration lifetime = Duration.ofSeconds(12);
        identity(lifetime);
        refresher.subscribe(new TokenListener() {
            @Override
            public void onToken(AccessToken token) {
                throw new IllegalStateException("listener failure (test)");
            }
        });
        ReauthCounts firstEvents = new ReauthCounts();
        RedisClient first = client(firstEvents);
        RedisClient second = client(new ReauthenticationListener() {
            @Override
            public void onReauthenticated(String connection, String tokenFingerprint) {
                throw new IllegalStateException("listener failure (test)");
            }

            @Override
            public void onReauthenticationFailed(String connection, Throwable cause) {
                throw new IllegalStateException("listener failure (test)");
            }
        });
        assertThat(first.ping()).isEqualTo("PONG");
        assertThat(second.ping()).isEqualTo("PONG");
        Instant start = Instant.now();

        first.close();
        assertThat(EntraJedis.openConnections(first)).isZero();
        AccessToken old = refresher.current().orElseThrow();
        awaitRenewal();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> old.isExpiredAt(Instant.now().minusSeconds(1)));

        assertThat(second.ping()).isEqualTo("PONG");
        assertThat(whoami(second)).isEqualTo(id.user.objectId());
        assertThat(EntraJedis.connectionsOnExpiredTokens(second)).isZero();
        assertThat(firstEvents.total())
                .as("the closed client's connections were left alone")
                .isZero();
        assertThat(id.aclLog()).isEmpty();
        Duration elapsed = Duration.between(start, Instant.now());
        long expectedRequests = 1 + elapsed.toMillis() / (lifetime.toMillis() * 3 / 4);
        assertThat(id.tokenRequests()).isBetween(expectedRequests - 1, expectedRequests + 1);
    }

    @Test
    void tokenEndpointOutageDuringRenewalKeepsServingAndRenewalResumesWithoutBurst() throws Exception {
        identity(Duration.ofSeconds(30));
        ReauthCounts reauth = new ReauthCounts();
        RedisClient client = client(reauth);
        AccessToken first = refresher.firstToken().join();
        assertThat(client.set("before-outage", "1")).isEqualTo("OK");

        await().atMost(Duration.ofSeconds(20))
                .until(() -> Instant.now().isAfter(first.expiresAt().minusSeconds(12)));
        // Down as in a network outage: connections dropped. (With HTTP 503, MSAL itself also refuses to call the
        // endpoint again for a few seconds, which lengthens the outage but changes nothing else.)
        azure.emu.faults().outage(Endpoint.TOKEN, Faults.OutageMode.CONNECTION_DROP);
        await().atMost(Duration.ofSeconds(20)).until(() -> refresher.status().consecutiveFailures() >= 2);
        assertThat(refresher.status().consecutiveFailures()).isGreaterThanOrEqualTo(2);
        assertThat(client.set("during-outage", "1")).isEqualTo("OK");
        int failedAttempts = refresher.status().consecutiveFailures();

        azure.emu.faults().outage(Endpoint.TOKEN, false);
        awaitRenewal();
        long atRecovery = id.tokenRequests();
        assertThat(client.get("during-outage")).isEqualTo("1");
        await().atMost(Duration.ofSeconds(10)).until(() -> reauth.total() >= 1);
        assertThat(failedAttempts).isLessThanOrEqualTo(4);
        await().during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(5))
                .until(() -> id.tokenRequests() == atRecovery);
        assertThat(reauth.failed).isEmpty();
        assertThat(EntraJedis.connectionsOnExpiredTokens(client)).isZero();
        assertThat(id.cache.connectionsCut()).isZero();
    }

    /**
     * The outage: the token endpoint is unreachable for longer than the token lives, the cache cuts the
     * connections at expiry, commands keep being issued. With {@code tokenWait}, a command needing a new connection
     * waits for the next token instead of failing at once (Lettuce's behaviour). Measures how soon after the endpoint
     * is back a command succeeds again. 20 s by default; the long form is {@code -Dredis-entra.outage.seconds=45}.
     */
    @Test
    void afterAnOutageLongerThanTheTokenCommandsSucceedWithinFiveSecondsOfTheProviderReturning() throws Exception {
        identity(Duration.ofSeconds(10));
        RedisClient client = client(new ReauthCounts(), Duration.ofSeconds(3));
        assertThat(client.set("probe", "0")).isEqualTo("OK");
        Duration outage = Duration.ofSeconds(Long.getLong("redis-entra.outage.seconds", 20));
        OutageRecovery r = outageDrill("Jedis (tokenWait 3 s)", outage, () -> client.set("probe", "1"));

        assertThat(id.cache.connectionsCut()).isGreaterThanOrEqualTo(1);
        assertThat(r.succeededWhileExpired()).isFalse();
        assertThat(r.recovery()).isLessThanOrEqualTo(Duration.ofSeconds(5));
        assertThat(r.requestsPerSecond()).isLessThanOrEqualTo(0.5);
        // Waiting, not failing fast: about one failure per tokenWait while no token is valid (plus the cut
        // connections), where failing fast makes thousands.
        assertThat(r.failedCommands()).isLessThanOrEqualTo(outage.toSeconds() / 3 + 10);
    }

    @Test
    void withoutTokenWaitCommandsFailFastWhileNoTokenIsValid() throws Exception {
        identity(Duration.ofSeconds(6));
        RedisClient client = client(new ReauthCounts());
        assertThat(client.set("k", "v")).isEqualTo("OK");
        azure.emu.faults().outage(Endpoint.TOKEN, Faults.OutageMode.CONNECTION_DROP);
        AccessToken held = refresher.current().orElseThrow();
        await().atMost(Duration.ofSeconds(20)).until(() -> refresher.current().isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> id.cache.connectionsCut() >= 1);
        Instant started = Instant.now();
        // The cut connection fails once; a new one finds no valid token and fails at once.
        for (int i = 0; i < 3; i++) {
            try {
                client.set("k", "v");
            } catch (redis.clients.jedis.exceptions.JedisException expected) {
                // counted below
            }
        }
        assertThatThrownBy(() -> client.set("k", "v"))
                .hasMessageContaining("No valid Entra ID token")
                .hasMessageNotContaining(held.secret());
        assertThat(Duration.between(started, Instant.now())).isLessThan(Duration.ofSeconds(2));
    }
}
