package io.github.redisentra.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.aws.AwsIamTokenSource.Kind;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.jedis.EntraJedis;
import io.github.redisentra.lettuce.EntraCredentialsProvider;
import io.github.redisentra.lettuce.EntraLettuce;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisServer;
import io.github.redisentra.testkit.SigV4TokenVerifier;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.SafeEncoder;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * AWS IAM tokens end to end: a TLS redis-server plays the cache. Its ACL user (the IAM user id) accepts exactly the
 * tokens that {@link SigV4TokenVerifier} verified independently (signature from the secret key, cache, user, service,
 * expiry) and only until they expire; its front door closes a connection when the token it authenticated with
 * expires, so a client that failed to re-AUTH would lose its connection. Tokens live 20 seconds here (a test-only
 * validity; real ones live 900 s), so the test sees several renewals.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AwsIamEndToEndIT {
    static final String USER = "app-user";
    static final String CACHE = "my-cache";
    static final String REGION = "eu-west-1";
    static final String ACCESS_KEY = "AKIDEXAMPLE";
    static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    static final String SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//+session/token+value==";
    /** TEST ONLY: short-lived tokens so renewals happen within seconds. */
    static final Duration TEST_VALIDITY = Duration.ofSeconds(20);

    RedisServer redis;
    AzureCacheStandIn cache;
    SigV4TokenVerifier verifier;
    final List<AutoCloseable> cleanup = new ArrayList<>();
    final List<String> rejected = new CopyOnWriteArrayList<>();
    final AtomicLong verified = new AtomicLong();

    @BeforeEach
    void startCache() {
        redis = RedisServer.builder().tlsOnly().disableDefaultUser().start();
        // The stand-in manages the ACL user: passwords = accepted tokens, each removed at its expiry; cutAtExpiry
        // closes connections whose token expired without a re-AUTH.
        cache = AzureCacheStandIn.builder(redis).objectId(USER).cutAtExpiry().build();
        verifier = SigV4TokenVerifier.builder()
                .credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)
                .region(REGION)
                .service("elasticache")
                .cacheName(CACHE)
                .userId(USER)
                .build();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        cleanup.clear();
        if (cache != null) {
            cache.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    AwsIamTokenSource source(String secretKey) {
        AwsIamTokenSource source = AwsIamTokenSource.builder(Kind.ELASTICACHE)
                .cacheName(CACHE)
                .userId(USER)
                .region(REGION)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsSessionCredentials.create(ACCESS_KEY, secretKey, SESSION_TOKEN)))
                .validityForTests(TEST_VALIDITY)
                .build();
        cleanup.add(source);
        return source;
    }

    /**
     * The source as the cache sees it: every token is verified and presented to the cache as soon as it is signed,
     * before the refresher makes it current (a real cache accepts a token from the moment it is signed; presenting it
     * from a listener instead would race with clients that read the refresher's current token on other threads).
     */
    TokenSource presentedToTheCache(AwsIamTokenSource source) {
        return new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) throws Exception {
                AccessToken token = source.getToken(forceRefresh);
                try {
                    Instant exp = verifier.verify(source.redisUsername(token), token.secret());
                    cache.accept(USER, token.secret(), exp);
                    verified.incrementAndGet();
                } catch (SigV4TokenVerifier.Rejected e) {
                    rejected.add(e.getMessage() + " (sha256 " + token.fingerprint() + ")");
                    throw e;
                }
                return token;
            }

            @Override
            public String redisUsername(AccessToken token) {
                return source.redisUsername(token);
            }

            @Override
            public String describe() {
                return source.describe() + ", verified and presented to the test cache";
            }
        };
    }

    TokenRefresher refresher(AwsIamTokenSource source) {
        // 20-second tokens: renew at half the lifetime (the recommended policy's ratio); the 5-minute lower bound
        // does not apply to tokens this short.
        RefreshPolicy policy = AwsIamTokenSource.recommendedRefreshPolicy().toBuilder()
                .minimumDelay(Duration.ofSeconds(2))
                .build();
        TokenRefresher refresher = TokenRefresher.builder(presentedToTheCache(source))
                .policy(policy)
                .name("aws-e2e")
                .build();
        cleanup.add(refresher);
        return refresher;
    }

    JedisClientConfig jedisConfig(HostAndPort endpoint) {
        return AwsIamJedis.requireTls(
                endpoint,
                DefaultJedisClientConfig.builder()
                        .ssl(true)
                        .sslSocketFactory(redis.trustingSslContext().getSocketFactory())
                        .socketTimeoutMillis(20_000)
                        .build());
    }

    @Test
    void lettuceAndJedisStayConnectedAcrossSeveralRenewalsWithZeroFailedCommands() throws Exception {
        AwsIamTokenSource source = source(SECRET_KEY);
        TokenRefresher refresher = refresher(source);
        AtomicLong tokens = new AtomicLong();
        cleanup.add(refresher.subscribe(t -> tokens.incrementAndGet()));
        refresher.firstToken().get(30, TimeUnit.SECONDS);

        // Lettuce: our credentials provider, user name from the source (the IAM user id).
        EntraCredentialsProvider credentials =
                EntraCredentialsProvider.builder(refresher).usernameFrom(source).build();
        cleanup.add(credentials);
        RedisURI uri = AwsIamLettuce.requireTls(RedisURI.builder()
                .withHost(redis.host())
                .withPort(cache.tlsPort())
                .withSsl(true)
                .withTimeout(Duration.ofSeconds(20))
                .withAuthentication(credentials)
                .build());
        RedisClient lettuce = RedisClient.create(uri);
        lettuce.setOptions(EntraLettuce.clientOptions(ClientOptions.builder()
                .sslOptions(SslOptions.builder()
                        .trustManager(redis.caFile().toFile())
                        .build())
                .build()));
        cleanup.add(lettuce::shutdown);
        AtomicLong lettuceReauths = new AtomicLong();
        List<Throwable> reauthFailures = new CopyOnWriteArrayList<>();
        cleanup.add(
                EntraLettuce.watchReauthentication(lettuce, new io.github.redisentra.core.ReauthenticationListener() {
                    @Override
                    public void onReauthenticated(String endpointId, String tokenFingerprint) {
                        lettuceReauths.incrementAndGet();
                    }

                    @Override
                    public void onReauthenticationFailed(String endpointId, Throwable cause) {
                        reauthFailures.add(cause);
                    }
                }));
        StatefulRedisConnection<String, String> connection = lettuce.connect();
        cleanup.add(connection);
        RedisCommands<String, String> sync = connection.sync();
        assertThat(sync.aclWhoami()).isEqualTo(USER);

        // Jedis: our pooled client, same refresher.
        HostAndPort endpoint = new HostAndPort(redis.host(), cache.tlsPort());
        AtomicLong jedisReauths = new AtomicLong();
        redis.clients.jedis.RedisClient jedis = EntraJedis.builder(refresher)
                .usernameFrom(source)
                .hostAndPort(endpoint)
                .clientConfig(jedisConfig(endpoint))
                .listener(new io.github.redisentra.core.ReauthenticationListener() {
                    @Override
                    public void onReauthenticated(String connection, String tokenFingerprint) {
                        jedisReauths.incrementAndGet();
                    }

                    @Override
                    public void onReauthenticationFailed(String connection, Throwable cause) {
                        reauthFailures.add(cause);
                    }
                })
                .build();
        cleanup.add(jedis);
        assertThat(SafeEncoder.encode((byte[]) jedis.sendCommand(Protocol.Command.ACL, "WHOAMI")))
                .isEqualTo(USER);

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong commands = new AtomicLong();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        cleanup.add(pool::shutdownNow);
        Future<?> lettuceWorker = pool.submit(() -> {
            long n = 0;
            while (running.get()) {
                try {
                    sync.set("lettuce", Long.toString(n));
                    assertThat(sync.get("lettuce")).isEqualTo(Long.toString(n));
                    if (n % 20 == 0) {
                        // A transaction: the provider's re-AUTH must wait until EXEC.
                        sync.multi();
                        sync.incr("lettuce:tx");
                        sync.incr("lettuce:tx");
                        TransactionResult result = sync.exec();
                        assertThat(result.wasDiscarded()).isFalse();
                        assertThat(result.size()).isEqualTo(2);
                    }
                    commands.incrementAndGet();
                    n++;
                    Thread.sleep(20); // pacing a load loop, not waiting for a condition
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (Throwable e) {
                    failures.add(e);
                }
            }
        });
        Future<?> jedisWorker = pool.submit(() -> {
            long n = 0;
            while (running.get()) {
                try {
                    jedis.set("jedis", Long.toString(n));
                    assertThat(jedis.get("jedis")).isEqualTo(Long.toString(n));
                    commands.incrementAndGet();
                    n++;
                    Thread.sleep(20); // pacing a load loop, not waiting for a condition
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (Throwable e) {
                    failures.add(e);
                }
            }
        });

        // The first token plus four renewals: more than two full token lifetimes, so every connection had to
        // re-AUTH in time at least twice or be cut.
        await().atMost(Duration.ofSeconds(120)).until(() -> tokens.get() >= 5 || !failures.isEmpty());
        running.set(false);
        lettuceWorker.get(30, TimeUnit.SECONDS);
        jedisWorker.get(30, TimeUnit.SECONDS);

        assertThat(failures).as("failed commands").isEmpty();
        assertThat(rejected).as("tokens the verifier refused").isEmpty();
        assertThat(reauthFailures).as("failed re-authentications").isEmpty();
        assertThat(lettuceReauths.get())
                .as("Lettuce re-AUTHs with renewed tokens")
                .isGreaterThanOrEqualTo(3);
        assertThat(jedisReauths.get()).as("Jedis re-AUTHs with renewed tokens").isGreaterThanOrEqualTo(3);
        assertThat(verified.get()).isGreaterThanOrEqualTo(5);
        assertThat(cache.connectionsCut())
                .as("connections closed because their token expired")
                .isZero();
        assertThat(commands.get()).isPositive();
        assertThat(sync.aclWhoami()).isEqualTo(USER);
        AccessToken current = refresher.current().orElseThrow();
        assertThat(cache.isAccepted(USER, current.secret())).isTrue();
    }

    @Test
    void aTokenSignedWithTheWrongSecretIsRefusedByTheVerifierAndByTheCache() throws Exception {
        AwsIamTokenSource wrong = source("not-the-secret-key");
        AccessToken token = wrong.getToken(false);
        assertThatThrownBy(() -> verifier.verify(USER, token.secret()))
                .hasMessageContaining("signature does not match");

        // A good token makes the user usable; the wrong one still is not a password.
        AwsIamTokenSource good = source(SECRET_KEY);
        AccessToken goodToken = good.getToken(false);
        cache.accept(USER, goodToken.secret(), verifier.verify(USER, goodToken.secret()));
        HostAndPort endpoint = new HostAndPort(redis.host(), redis.tlsPort());
        try (Jedis jedis = new Jedis(endpoint, jedisConfig(endpoint))) {
            assertThatThrownBy(() -> jedis.auth(USER, token.secret()))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessageContaining("WRONGPASS");
            assertThat(jedis.auth(USER, goodToken.secret())).isEqualTo("OK");
        }
    }
}
