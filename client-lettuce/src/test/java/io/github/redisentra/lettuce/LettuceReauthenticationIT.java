package io.github.redisentra.lettuce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.Faults;
import io.github.redisentra.testkit.EmulatedAzure;
import io.github.redisentra.testkit.ReauthenticationITBase;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
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

/**
 * Lettuce against Azure, locally: users sign in through MSAL against the Entra ID emulator, and a TLS redis-server
 * stand-in accepts only the user's current tokens and closes a connection when its token expires. Tokens are short
 * so several renewals happen within a test.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LettuceReauthenticationIT extends ReauthenticationITBase {
    EntraCredentialsProvider provider() {
        EntraCredentialsProvider provider = EntraCredentialsProvider.create(refresher);
        cleanup.add(provider);
        return provider;
    }

    RedisClient client(EntraCredentialsProvider provider) {
        RedisURI uri = RedisURI.builder()
                .withHost(azure.redis.host())
                .withPort(id.cache.tlsPort())
                .withSsl(true)
                .withTimeout(Duration.ofSeconds(20))
                .withAuthentication(provider)
                .build();
        RedisClient client = RedisClient.create(uri);
        client.setOptions(EntraLettuce.clientOptions(ClientOptions.builder()
                .sslOptions(SslOptions.builder()
                        .trustManager(azure.redis.caFile().toFile())
                        .build())
                .build()));
        cleanup.add(client::shutdown);
        return client;
    }

    /** Counts AUTHs with renewed credentials per connection endpoint, and failures. */
    static final class ReauthCounts implements ReauthenticationListener {
        final Map<String, AtomicLong> succeeded = new ConcurrentHashMap<>();
        final List<Throwable> failed = new CopyOnWriteArrayList<>();

        @Override
        public void onReauthenticated(String endpointId, String tokenFingerprint) {
            succeeded
                    .computeIfAbsent(String.valueOf(endpointId), k -> new AtomicLong())
                    .incrementAndGet();
        }

        @Override
        public void onReauthenticationFailed(String endpointId, Throwable cause) {
            failed.add(cause);
        }
    }

    ReauthCounts watch(RedisClient client) {
        ReauthCounts counts = new ReauthCounts();
        cleanup.add(EntraLettuce.watchReauthentication(client, counts));
        return counts;
    }

    @Test
    void connectsAsTheTokensOidWithTheCurrentToken() throws Exception {
        identity(Duration.ofMinutes(5));
        RedisClient client = client(provider());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redisCommands = connection.sync();
            assertThat(redisCommands.set("greeting", "hello")).isEqualTo("OK");
            assertThat(redisCommands.get("greeting")).isEqualTo("hello");
            assertThat(redisCommands.aclWhoami()).isEqualTo(id.user.objectId());
        }
    }

    @Test
    void signsInWithTheAuthorizationCodeFlowAndConnects() throws Exception {
        identity(Duration.ofMinutes(5), EmulatedAzure.Flow.AUTHORIZATION_CODE);
        RedisClient client = client(provider());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            assertThat(connection.sync().aclWhoami()).isEqualTo(id.user.objectId());
        }
    }

    /**
     * The identity provider unreachable from the start (the emulator's token endpoint drops every connection): there
     * has never been a token, so the first connection fails after the provider's {@code tokenWait}, not later and
     * not never, with a message saying what failed.
     */
    // Its first token request must fail within a 2 s tokenWait: alone on the machine ("serial" execution).
    @Tag("serial")
    @Test
    void aFirstConnectionWithTheIdentityProviderDownSinceStartFailsAfterTokenWaitNamingTheCause() throws Exception {
        io.github.redisentra.emulator.AppRegistration api =
                azure.tenant.registerApp(io.github.redisentra.emulator.AppSpec.api("down-api"));
        io.github.redisentra.emulator.AppRegistration svc =
                azure.tenant.registerApp(io.github.redisentra.emulator.AppSpec.confidentialClient("down-svc")
                        .secret("down-secret-value"));
        azure.emu.faults().outage(Endpoint.TOKEN, Faults.OutageMode.CONNECTION_DROP);
        io.github.redisentra.core.AzureCredentialTokenSource source =
                io.github.redisentra.core.AzureCredentialTokenSource.of(
                        new com.azure.identity.ClientSecretCredentialBuilder()
                                .tenantId(azure.tenant.id())
                                .clientId(svc.clientId())
                                .clientSecret("down-secret-value")
                                .authorityHost(azure.emu.httpsBaseUrl().toString())
                                .disableInstanceDiscovery()
                                .retryPolicy(new com.azure.core.http.policy.RetryPolicy(
                                        new com.azure.core.http.policy.FixedDelay(0, Duration.ofMillis(1))))
                                .httpClient(new com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder(
                                                java.net.http.HttpClient.newBuilder()
                                                        .sslContext(azure.emu.sslContext()))
                                        .build())
                                .build(),
                        api.defaultScope());
        io.github.redisentra.core.TokenRefresher down = io.github.redisentra.core.TokenRefresher.builder(source)
                .name("down")
                .build();
        cleanup.add(down);
        EntraCredentialsProvider provider = EntraCredentialsProvider.builder(down)
                .username("default")
                .tokenWait(Duration.ofSeconds(2))
                .build();
        cleanup.add(provider);
        RedisURI uri = RedisURI.builder()
                .withHost(azure.redis.host())
                .withPort(azure.redis.tlsPort())
                .withSsl(true)
                .withTimeout(Duration.ofSeconds(20))
                .withAuthentication(provider)
                .build();
        RedisClient client = RedisClient.create(uri);
        client.setOptions(EntraLettuce.clientOptions(ClientOptions.builder()
                .sslOptions(SslOptions.builder()
                        .trustManager(azure.redis.caFile().toFile())
                        .build())
                .build()));
        cleanup.add(client::shutdown);

        long started = System.nanoTime();
        Throwable error = org.assertj.core.api.Assertions.catchThrowable(client::connect);
        Duration waited = Duration.ofNanos(System.nanoTime() - started);
        StringBuilder chain = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause()) {
            chain.append(t).append('\n');
        }
        assertThat(error).isNotNull();
        assertThat(chain.toString())
                .contains("No valid Entra ID token for the Redis connection within PT2S")
                .contains("no token has been obtained yet")
                .contains("failed, the last with: ")
                .doesNotContain("down-secret-value");
        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofSeconds(2)).isLessThan(Duration.ofSeconds(20));
        assertThat(down.firstToken()).isNotDone();
    }

    @Test
    void withoutLiveReauthenticationTheCacheCutsTheConnectionAtExpiry() throws Exception {
        // The control for the tests below: a client left at Lettuce's default re-authentication behaviour is cut.
        identity(Duration.ofSeconds(8));
        RedisURI uri = RedisURI.builder()
                .withHost(azure.redis.host())
                .withPort(id.cache.tlsPort())
                .withSsl(true)
                .withAuthentication(provider())
                .build();
        RedisClient client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder()
                .sslOptions(SslOptions.builder()
                        .trustManager(azure.redis.caFile().toFile())
                        .build())
                .build());
        cleanup.add(client::shutdown);
        StatefulRedisConnection<String, String> connection = client.connect();
        cleanup.add(connection);
        assertThat(connection.sync().ping()).isEqualTo("PONG");
        await().atMost(Duration.ofSeconds(30)).until(() -> id.cache.connectionsCut() >= 1);
    }

    // A bounded load: alone on the machine (this module's "serial" surefire execution), not beside other test JVMs.
    @Tag("serial")
    @Test
    void everyConnectionIsReauthenticatedAcrossRenewalsUnderLoad() throws Exception {
        // 12 s tokens: renewals at ~9 s and ~18 s; the load ends once the token the second one replaced has expired.
        Duration lifetime = Duration.ofSeconds(12);
        Duration duration = Duration.ofSeconds(35);
        int threads = Integer.getInteger("redisentra.load.threads", 4);
        identity(lifetime);
        RedisClient client = client(provider());
        ReauthCounts reauth = watch(client);
        Instant start = Instant.now();

        StatefulRedisConnection<String, String> shared = client.connect();
        cleanup.add(shared);
        StatefulRedisPubSubConnection<String, String> subscriber = client.connectPubSub();
        cleanup.add(subscriber);
        AtomicLong received = new AtomicLong();
        subscriber.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                received.incrementAndGet();
            }
        });
        subscriber.sync().subscribe("news");

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong commands = new AtomicLong();
        AtomicLong published = new AtomicLong();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        cleanup.add(pool::shutdownNow);
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            String key = "load:" + i;
            StatefulRedisConnection<String, String> own = client.connect();
            cleanup.add(own);
            workers.add(pool.submit(() -> {
                RedisCommands<String, String> sync = own.sync();
                RedisAsyncCommands<String, String> async = own.async();
                while (running.get()) {
                    try {
                        shared.sync().set(key, "v");
                        assertThat(shared.sync().get(key)).isEqualTo("v");
                        List<RedisFuture<Long>> pipeline = new ArrayList<>();
                        for (int n = 0; n < 10; n++) {
                            pipeline.add(async.incr(key + ":pipe"));
                        }
                        for (RedisFuture<Long> f : pipeline) {
                            f.get(20, TimeUnit.SECONDS);
                        }
                        sync.multi();
                        sync.set(key + ":tx", "a");
                        sync.incr(key + ":txn");
                        TransactionResult tx = sync.exec();
                        assertThat(tx.wasDiscarded()).isFalse();
                        assertThat(tx).hasSize(2);
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
                    shared.sync().publish("news", "n");
                    published.incrementAndGet();
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

        assertThat(failures).as("failed commands").isEmpty();
        assertThat(commands.get()).isPositive();
        assertThat(reauth.failed).as("re-authentication failures").isEmpty();
        assertThat(id.aclLog()).as("ACL LOG (refused AUTHs)").isEmpty();
        assertThat(id.cache.connectionsCut())
                .as("connections cut at token expiry")
                .isZero();
        long renewals = tokensSeen.get() - 1;
        assertThat(renewals).isGreaterThanOrEqualTo(2);
        // threads dedicated connections + shared + subscriber, each re-authenticated at each renewal
        assertThat(reauth.succeeded).hasSizeGreaterThanOrEqualTo(threads + 2);
        assertThat(reauth.succeeded.values())
                .allSatisfy(count -> assertThat(count.get()).isGreaterThanOrEqualTo(renewals));
        long expectedRequests = 1 + elapsed.toMillis() / (lifetime.toMillis() * 3 / 4);
        assertThat(id.tokenRequests())
                .as("token requests for %s of %s tokens, whatever the number of connections", elapsed, lifetime)
                .isBetween(expectedRequests - 1, expectedRequests + 1);
    }

    @Test
    void multiSpanningARenewalCommitsAndIsReauthenticatedAfterExec() throws Exception {
        identity(Duration.ofSeconds(12));
        RedisClient client = client(provider());
        ReauthCounts reauth = watch(client);
        StatefulRedisConnection<String, String> connection = client.connect();
        cleanup.add(connection);
        RedisCommands<String, String> sync = connection.sync();
        await().atMost(Duration.ofSeconds(10)).until(() -> !reauth.succeeded.isEmpty());
        long before = reauth.succeeded.values().iterator().next().get();

        sync.multi();
        sync.set("tx:a", "1");
        awaitRenewal();
        sync.incr("tx:b");
        TransactionResult result = sync.exec();

        assertThat(result.wasDiscarded()).isFalse();
        assertThat(result).hasSize(2);
        assertThat((Object) result.get(0)).isEqualTo("OK");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> reauth.succeeded.values().iterator().next().get() > before);
        assertThat(reauth.failed).isEmpty();
        assertThat(sync.get("tx:a")).isEqualTo("1");
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
        RedisClient first = client(provider());
        EntraCredentialsProvider secondProvider = provider();
        RedisClient second = client(secondProvider);
        ReauthCounts reauth = watch(second);
        cleanup.add(EntraLettuce.watchReauthentication(second, new ReauthenticationListener() {
            @Override
            public void onReauthenticationFailed(String endpointId, Throwable cause) {}

            @Override
            public void onReauthenticated(String endpointId, String tokenFingerprint) {
                throw new IllegalStateException("listener failure (test)");
            }
        }));
        StatefulRedisConnection<String, String> firstConnection = first.connect();
        StatefulRedisConnection<String, String> secondConnection = second.connect();
        cleanup.add(secondConnection);
        assertThat(firstConnection.sync().ping()).isEqualTo("PONG");
        Instant start = Instant.now();

        firstConnection.close();
        first.shutdown();
        AccessToken old = refresher.current().orElseThrow();
        awaitRenewal();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> old.isExpiredAt(Instant.now().minusSeconds(1)));

        assertThat(secondConnection.sync().ping()).isEqualTo("PONG");
        // the second client's connection: AUTH on connect, then again with the renewed token
        assertThat(reauth.succeeded).hasSize(1);
        assertThat(reauth.succeeded.values())
                .allSatisfy(c -> assertThat(c.get()).isGreaterThanOrEqualTo(2));
        try (StatefulRedisConnection<String, String> fresh = second.connect()) {
            assertThat(fresh.sync().aclWhoami()).isEqualTo(id.user.objectId());
        }
        assertThat(reauth.failed).isEmpty();
        Duration elapsed = Duration.between(start, Instant.now());
        long expectedRequests = 1 + elapsed.toMillis() / (lifetime.toMillis() * 3 / 4);
        assertThat(id.tokenRequests()).isBetween(expectedRequests - 1, expectedRequests + 1);
    }

    @Test
    void tokenEndpointOutageDuringRenewalKeepsServingAndRenewalResumesWithoutBurst() throws Exception {
        identity(Duration.ofSeconds(30));
        RedisClient client = client(provider());
        ReauthCounts reauth = watch(client);
        StatefulRedisConnection<String, String> connection = client.connect();
        cleanup.add(connection);
        AccessToken first = refresher.firstToken().join();
        await().atMost(Duration.ofSeconds(10)).until(() -> reauth.succeeded.size() == 1);
        String connectionEndpoint = reauth.succeeded.keySet().iterator().next();

        await().atMost(Duration.ofSeconds(20))
                .until(() -> Instant.now().isAfter(first.expiresAt().minusSeconds(12)));
        // Down as in a network outage: connections dropped. (With HTTP 503, MSAL itself also refuses to call the
        // endpoint again for a few seconds, which lengthens the outage but changes nothing else.)
        azure.emu.faults().outage(Endpoint.TOKEN, Faults.OutageMode.CONNECTION_DROP);
        await().atMost(Duration.ofSeconds(20)).until(() -> refresher.status().consecutiveFailures() >= 2);
        // The endpoint is down and the renewal has failed twice: the current token still serves old and new
        // connections.
        assertThat(refresher.status().consecutiveFailures()).isGreaterThanOrEqualTo(2);
        assertThat(connection.sync().set("during-outage", "1")).isEqualTo("OK");
        try (StatefulRedisConnection<String, String> fresh = client.connect()) {
            assertThat(fresh.sync().get("during-outage")).isEqualTo("1");
        }
        int failedAttempts = refresher.status().consecutiveFailures();

        azure.emu.faults().outage(Endpoint.TOKEN, false);
        AccessToken renewed = awaitRenewal();
        long atRecovery = id.tokenRequests();
        assertThat(renewed.expiresAt()).isAfter(first.expiresAt());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> reauth.succeeded.get(connectionEndpoint).get() >= 2);
        assertThat(connection.sync().get("during-outage")).isEqualTo("1");
        assertThat(failedAttempts).isLessThanOrEqualTo(4);
        // No burst: until the renewed token is due, the endpoint sees no further request.
        await().during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(5))
                .until(() -> id.tokenRequests() == atRecovery);
        assertThat(reauth.failed).isEmpty();
        assertThat(id.cache.connectionsCut()).isZero();
    }

    /**
     * The outage: the token endpoint is unreachable for longer than the token lives, the cache cuts the
     * connection at expiry, commands keep being issued. Measures how soon after the endpoint is back a command
     * succeeds again. 20 s by default; the long form is {@code -Dredis-entra.outage.seconds=45}.
     */
    @Test
    void afterAnOutageLongerThanTheTokenCommandsSucceedWithinFiveSecondsOfTheProviderReturning() throws Exception {
        identity(Duration.ofSeconds(10));
        RedisClient client = client(provider());
        StatefulRedisConnection<String, String> connection = client.connect();
        cleanup.add(connection);
        connection.setTimeout(Duration.ofSeconds(5));
        OutageRecovery r = outageDrill(
                "Lettuce",
                Duration.ofSeconds(Long.getLong("redis-entra.outage.seconds", 20)),
                () -> connection.sync().set("probe", "1"));

        // The cache really cut the connection: nothing succeeded between expiry and the end of the outage.
        assertThat(id.cache.connectionsCut()).isGreaterThanOrEqualTo(1);
        assertThat(r.succeededWhileExpired()).isFalse();
        assertThat(r.recovery()).isLessThanOrEqualTo(Duration.ofSeconds(5));
        assertThat(r.requestsPerSecond()).isLessThanOrEqualTo(0.5);
    }
}
