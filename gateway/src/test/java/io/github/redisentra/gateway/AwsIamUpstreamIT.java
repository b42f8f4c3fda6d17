package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.aws.AwsIamTokenSource;
import io.github.redisentra.aws.ShortLivedAwsTokens;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.config.AwsIamUpstream;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.RedisServer;
import io.github.redisentra.testkit.SigV4TokenVerifier;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * {@code UPSTREAM_AUTH=aws-iam} end to end: Entra users (emulator tokens, checked by the gateway's real
 * authenticator, group required) reach a cache that plays ElastiCache: a TLS redis-server whose ACL user (the IAM user
 * id) accepts exactly the tokens {@link SigV4TokenVerifier} verified independently (signature recomputed from the
 * secret key, cache, user, service, region, session token, expiry) and only until they expire, behind a front door
 * that closes any connection whose token expired without a re-AUTH. The gateway's IAM tokens live 20 seconds here (a
 * test-only validity; real ones live 900 s), so a minute of traffic spans several renewals.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class AwsIamUpstreamIT {
    static final String GROUP = "bbbbbbbb-0000-4000-8000-00000000000b";
    static final String USER = "gateway-user";
    static final String CACHE = "my-cache";
    static final String REGION = "eu-west-1";
    static final String ACCESS_KEY = "AKIDEXAMPLE";
    static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    static final String SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//+session/token+value==";
    /** TEST ONLY: short-lived IAM tokens so renewals happen within seconds. */
    static final Duration TEST_VALIDITY = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice;
    static User bob;
    static Path emulatorCa;
    static RedisServer redis;
    static AzureCacheStandIn cache;
    static SigV4TokenVerifier verifier;
    static final List<String> rejected = new CopyOnWriteArrayList<>();
    static final AtomicLong verified = new AtomicLong();

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        bob = tenant.addUser(UserSpec.named("bob"));
        emulatorCa = emu.writeCaCertificate(dir.resolve("emulator-ca.pem"));
        redis = RedisServer.builder().tlsOnly().disableDefaultUser().start();
        // Passwords of USER = verified tokens, each removed at its expiry; cutAtExpiry closes connections whose
        // token expired without a re-AUTH (stricter than AWS, which allows 12 hours between AUTHs).
        cache = AzureCacheStandIn.builder(redis).objectId(USER).cutAtExpiry().build();
        verifier = SigV4TokenVerifier.builder()
                .credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN)
                .region(REGION)
                .service("elasticache")
                .cacheName(CACHE)
                .userId(USER)
                .build();
    }

    @AfterAll
    static void stop() {
        if (cache != null) {
            cache.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (emu != null) {
            emu.close();
        }
    }

    static Map<String, String> env() {
        Map<String, String> m =
                TestGatewaySettings.base(emu, tenant.id(), api.clientId(), emulatorCa, cache.tlsPort(), redis.caFile());
        m.put("REQUIRED_GROUP_IDS", GROUP);
        m.put("DRAIN_TIMEOUT", "2s");
        m.put("UPSTREAM_AUTH", "aws-iam");
        m.put("AWS_CACHE_NAME", "My-Cache"); // the gateway lowercases it, as the service expects
        m.put("AWS_IAM_USER_ID", USER);
        m.put("AWS_REGION", REGION);
        return m;
    }

    static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsSessionCredentials.create(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN));
    }

    /** Verifies a token as the service would and makes it a password of the cache user until it expires. */
    static void present(String username, AccessToken token) throws SigV4TokenVerifier.Rejected {
        try {
            Instant exp = verifier.verify(username, token.secret());
            cache.accept(username, token.secret(), exp);
            verified.incrementAndGet();
        } catch (SigV4TokenVerifier.Rejected e) {
            rejected.add(e.getMessage() + " (sha256 " + token.fingerprint() + ")");
            throw e;
        }
    }

    /**
     * The gateway's own token source for the configuration, with test credentials and test validity, whose tokens
     * reach the cache as soon as they are signed (a real cache accepts a token from the moment it is signed).
     */
    static TokenSource presentedToTheCache(AwsIamTokenSource source) {
        return new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) throws Exception {
                AccessToken token = source.getToken(forceRefresh);
                present(source.redisUsername(token), token);
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

            @Override
            public void close() {
                source.close();
            }
        };
    }

    @Test
    void entraUsersReachTheCacheThroughTheGatewaysIamIdentityAcrossSeveralRenewalsWithZeroFailedCommands()
            throws Exception {
        GatewayConfig config = GatewayConfig.from(env());
        AwsIamUpstream aws = config.upstreamIdentity().awsIam().orElseThrow();
        assertThat(aws.cacheName()).isEqualTo(CACHE);
        AwsIamTokenSource source = ShortLivedAwsTokens.validity(aws.tokenSourceBuilder(), TEST_VALIDITY)
                .credentialsProvider(credentials())
                .build();
        // The gateway's policy for IAM tokens; the 2 s minimum delay only matters for these 20 s test tokens.
        RefreshPolicy policy = AwsIamTokenSource.recommendedRefreshPolicy().toBuilder()
                .minimumDelay(Duration.ofSeconds(2))
                .build();
        UpstreamIdentity upstream = UpstreamIdentity.awsIam(presentedToTheCache(source), policy, aws.userId());
        AtomicLong renewals = new AtomicLong();
        AutoCloseable counting = upstream.subscribe((AccessToken t) -> renewals.incrementAndGet());
        GatewayRuntime runtime = GatewayRuntime.create(config, Clock.systemUTC(), upstream);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        RedisClient lettuce = null;
        try {
            runtime.start(RespListenerWiring::start);
            int port = runtime.listener().orElseThrow().localAddress().getPort();
            URI admin = URI.create("http://127.0.0.1:"
                    + runtime.admin().orElseThrow().address().getPort());
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            // Readiness wants the upstream token valid for another 60 s, which these 20 s test tokens never are:
            // wait for the other checks, and see the token check name the expiry.
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(get(http, admin, "/readyz").body())
                            .contains("signing keys: ok", "upstream: ok", "upstream token expires at"));

            // A user outside the required group is refused before anything reaches the cache.
            try (RedisCli outsider = RedisCli.connect("127.0.0.1", port)) {
                assertThatThrownBy(() ->
                                outsider.call("AUTH", emu.mintAccessToken(TokenRequest.forUser(tenant, bob, api))))
                        .isInstanceOf(RedisErrorReply.class)
                        .hasMessageContaining("WRONGPASS");
                assertThatThrownBy(() -> outsider.call("GET", "k"))
                        .isInstanceOf(RedisErrorReply.class)
                        .hasMessageContaining("NOAUTH");
            }

            String aliceToken =
                    emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api).lifetime(Duration.ofMinutes(30)));
            // Lettuce: RESP3, HELLO 3 AUTH default <Entra token>.
            lettuce = RedisClient.create(RedisURI.builder()
                    .withHost("127.0.0.1")
                    .withPort(port)
                    .withPassword(aliceToken.toCharArray())
                    .withTimeout(Duration.ofSeconds(20))
                    .build());
            StatefulRedisConnection<String, String> connection = lettuce.connect();
            RedisCommands<String, String> sync = connection.sync();
            assertThat(sync.ping()).isEqualTo("PONG");
            // Jedis: RESP2, AUTH <oid> <Entra token>.
            Jedis jedis = new Jedis(
                    new HostAndPort("127.0.0.1", port),
                    DefaultJedisClientConfig.builder()
                            .socketTimeoutMillis(20_000)
                            .build());
            assertThat(jedis.auth(alice.objectId(), aliceToken)).isEqualTo("OK");
            // Upstream, the cache sees the gateway's IAM user, never the Entra user.
            assertThat(jedis.aclWhoAmI()).isEqualTo(USER);

            long renewalsBefore = renewals.get();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong commands = new AtomicLong();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            Future<?> lettuceWorker = pool.submit(() -> {
                long n = 0;
                while (running.get()) {
                    try {
                        sync.set("aws-gw:lettuce", Long.toString(n));
                        assertThat(sync.get("aws-gw:lettuce")).isEqualTo(Long.toString(n));
                        if (n % 20 == 0) {
                            // A transaction: the gateway's upstream re-AUTH must wait until EXEC.
                            sync.multi();
                            sync.incr("aws-gw:tx");
                            sync.incr("aws-gw:tx");
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
                        jedis.set("aws-gw:jedis", Long.toString(n));
                        assertThat(jedis.get("aws-gw:jedis")).isEqualTo(Long.toString(n));
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

            // Four renewals: more than two full token lifetimes, so each upstream connection had to re-AUTH in time
            // at least twice or be cut by the front door.
            await().atMost(Duration.ofSeconds(150))
                    .until(() -> renewals.get() - renewalsBefore >= 4 || !failures.isEmpty());
            running.set(false);
            lettuceWorker.get(30, TimeUnit.SECONDS);
            jedisWorker.get(30, TimeUnit.SECONDS);

            assertThat(failures).as("failed commands").isEmpty();
            assertThat(rejected).as("tokens the verifier refused").isEmpty();
            assertThat(cache.connectionsCut())
                    .as("upstream connections closed because their token expired")
                    .isZero();
            assertThat(commands.get()).isPositive();
            assertThat(renewals.get() - renewalsBefore).isGreaterThanOrEqualTo(4);
            assertThat(sync.ping()).isEqualTo("PONG");
            assertThat(jedis.aclWhoAmI()).isEqualTo(USER);
            long upstreamAsIamUser = redis.cli()
                    .callString("CLIENT", "LIST")
                    .lines()
                    .filter(l -> l.contains(" user=" + USER + " "))
                    .count();
            assertThat(upstreamAsIamUser)
                    .as("upstream connections as the IAM user")
                    .isGreaterThanOrEqualTo(2);

            String metrics = get(http, admin, "/metrics").body();
            assertThat(metrics)
                    .contains("redis_entra_gateway_auth_total{result=\"allowed\",reason=\"\"} 2\n")
                    .contains("redis_entra_gateway_auth_total{result=\"denied\",reason=\"missing_group\"} 1\n")
                    .doesNotContain(SECRET_KEY)
                    .doesNotContain(SESSION_TOKEN);
            // Two sessions, each re-AUTHed upstream at every one of at least four renewals.
            assertThat(counter(metrics, "redis_entra_gateway_upstream_reauth_total{result=\"ok\"}"))
                    .isGreaterThanOrEqualTo(2 * 4);
            assertThat(counter(metrics, "redis_entra_gateway_upstream_reauth_total{result=\"failed\"}"))
                    .isZero();
            assertThat(get(http, admin, "/readyz").body()).contains("upstream: ok");
            jedis.close();
            connection.close();
        } finally {
            running(pool);
            if (lettuce != null) {
                lettuce.shutdown();
            }
            counting.close();
            runtime.shutdown();
        }
    }

    /**
     * {@code --check-config} with the configuration alone: the gateway's default AWS credential chain (here the
     * SDK's {@code aws.*} system properties), a real 900-second token for the cache, and one AUTH + PING with it. The
     * cache accepts only verified tokens, so the test verifies in advance the tokens the gateway can sign in the
     * next minute (one per second: the signature depends only on the credentials and the signing second).
     */
    @Test
    void checkConfigSignsATokenWithTheDefaultCredentialChainAndConnectsWithIt() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        for (int s = -1; s <= 60; s++) {
            try (AwsIamTokenSource at = AwsIamTokenSource.builder(AwsIamTokenSource.Kind.ELASTICACHE)
                    .cacheName(CACHE)
                    .userId(USER)
                    .region(REGION)
                    .credentialsProvider(credentials())
                    .clock(Clock.fixed(now.plusSeconds(s), ZoneOffset.UTC))
                    .build()) {
                present(USER, at.getToken(false));
            }
        }
        Map<String, String> props = Map.of(
                "aws.accessKeyId", ACCESS_KEY, "aws.secretAccessKey", SECRET_KEY, "aws.sessionToken", SESSION_TOKEN);
        props.forEach(System::setProperty);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try {
            status = Main.run(
                    new String[] {"--check-config"},
                    env(),
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    rt -> {
                        throw new AssertionError("a check must not start the listener");
                    });
        } finally {
            props.keySet().forEach(System::clearProperty);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text)
                .contains("upstream credential: AWS IAM")
                .contains("UPSTREAM_AUTH=aws-iam")
                .contains("upstream credential: OK, AWS IAM elasticache token (cache my-cache, user " + USER
                        + ", region " + REGION)
                .contains("user " + USER + ", expires ")
                .contains("upstream: OK, 127.0.0.1:" + cache.tlsPort() + " over TLS (127.0.0.1), AUTH and PING"
                        + " succeeded")
                .contains("check-config: OK")
                .doesNotContain(SECRET_KEY)
                .doesNotContain(SESSION_TOKEN)
                .doesNotContain("X-Amz-Signature");
        assertThat(rejected).isEmpty();
        assertThat(status).as(text + err.toString(StandardCharsets.UTF_8)).isZero();
    }

    static void running(ExecutorService pool) {
        pool.shutdownNow();
    }

    static long counter(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)").matcher(metrics);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    static HttpResponse<String> get(HttpClient http, URI base, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(base.resolve(path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
