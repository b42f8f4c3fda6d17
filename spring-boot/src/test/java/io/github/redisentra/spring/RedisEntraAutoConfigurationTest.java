package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.lettuce.EntraCredentialsProvider;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.JedisClientConfigurationBuilderCustomizer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The auto-configuration's start-up rules, without a Redis server: off unless enabled, the conflict guard, property
 * validation, fail-fast, and that Boot's own client options survive. (The renewal behaviour against a real server is
 * in {@link LettuceSpringBootIT}.)
 */
class RedisEntraAutoConfigurationTest {
    static final String OID = "6f1c3f0e-1111-4222-8333-944455556666";

    final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    RedisEntraAutoConfiguration.class,
                    RedisEntraLettuceAutoConfiguration.class,
                    RedisEntraJedisAutoConfiguration.class,
                    RedisEntraObservabilityAutoConfiguration.class,
                    DataRedisAutoConfiguration.class));

    /** A JWT-shaped token (claims readable, signature not checked by clients) valid for an hour. */
    static String jwt() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        long now = Instant.now().getEpochSecond();
        String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims =
                b64.encodeToString(("{\"oid\":\"" + OID + "\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}")
                        .getBytes(StandardCharsets.UTF_8));
        return header + "." + claims + "." + b64.encodeToString("signature".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void offUnlessEnabled() {
        runner.withPropertyValues("redis.entra.credential=static").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(TokenRefresher.class);
            assertThat(context).doesNotHaveBean(EntraCredentialsProvider.class);
            LettuceConnectionFactory factory = context.getBean(LettuceConnectionFactory.class);
            assertThat(factory.getClientConfiguration().getRedisCredentialsProviderFactory())
                    .isEmpty();
        });
    }

    @Test
    void refusesToStartWhenAzurePasswordlessRedisIsEnabledToo() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=static",
                        "redis.entra.token=" + jwt(),
                        "spring.data.redis.azure.passwordless-enabled=true")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure())
                            .rootCause()
                            .hasMessageContaining("spring.data.redis.azure.passwordless-enabled=true")
                            .hasMessageContaining("redis.entra.enabled=false");
                    // What Boot prints instead of the bean-creation chain:
                    FailureAnalysis analysis = new RedisEntraFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis.getDescription())
                            .startsWith(
                                    "redis.entra.enabled=true and spring.data.redis.azure.passwordless-enabled=true");
                    assertThat(analysis.getAction()).contains("Remove spring.data.redis.azure.passwordless-enabled");
                });
    }

    @Test
    void refusesToStartWithAStaticRedisPasswordToo() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=static",
                        "redis.entra.token=" + jwt(),
                        "spring.data.redis.password=secret")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("spring.data.redis.password is set")
                        .hasMessageNotContaining("secret"));
    }

    @Test
    void anInvalidRefreshPolicyIsRefusedAtStartNamingTheProperty() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=static",
                        "redis.entra.token=" + jwt(),
                        "redis.entra.refresh.ratio=1.5")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("redis.entra.refresh.ratio")
                        .hasMessageContaining("1.5"));
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=static",
                        "redis.entra.token=" + jwt(),
                        "redis.entra.refresh.initial-backoff=2m",
                        "redis.entra.refresh.max-backoff=1m")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("redis.entra.refresh.max-backoff"));
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=static",
                        "redis.entra.token=" + jwt(),
                        "redis.entra.refresh.expiring-backoff=0s")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("redis.entra.refresh.expiring-backoff"));
    }

    @Test
    void theOutageSettingsReachTheRefreshPolicy() {
        RedisEntraProperties.Refresh refresh = new RedisEntraProperties.Refresh();
        assertThat(refresh.toPolicy().expiringBackoff()).isEqualTo(java.time.Duration.ofSeconds(2));
        refresh.setExpiringBackoff(java.time.Duration.ofSeconds(5));
        refresh.setRequestTimeout(java.time.Duration.ofSeconds(12));
        assertThat(refresh.toPolicy().expiringBackoff()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(refresh.toPolicy().requestTimeout()).isEqualTo(java.time.Duration.ofSeconds(12));
    }

    @Test
    void aMissingCredentialSettingIsNamed() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=client-secret",
                        "redis.entra.client-id=11111111-2222-3333-4444-555555555555",
                        "redis.entra.client-secret=s3cr3t-value")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("redis.entra.tenant-id is required")
                        .hasMessageNotContaining("s3cr3t-value"));
    }

    @Test
    void aUserAssignedManagedIdentityIsChosenByOneSettingOnly() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=managed-identity",
                        "redis.entra.client-id=11111111-2222-3333-4444-555555555555",
                        "redis.entra.managed-identity-object-id=66666666-7777-8888-9999-000000000000")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("managed-identity-object-id")
                        .hasMessageContaining("more than one is set"));
    }

    @Test
    void anUnreadablePemCertificateWithAPasswordIsRefusedAtStartWithoutThePassword() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=client-certificate",
                        "redis.entra.tenant-id=11111111-2222-3333-4444-555555555555",
                        "redis.entra.client-id=11111111-2222-3333-4444-555555555555",
                        "redis.entra.certificate=/nonexistent/svc.pem",
                        "redis.entra.certificate-password=pem-pass-value")
                .run(context -> {
                    java.io.StringWriter trace = new java.io.StringWriter();
                    context.getStartupFailure().printStackTrace(new java.io.PrintWriter(trace));
                    assertThat(trace.toString())
                            .contains("cannot read certificate /nonexistent/svc.pem")
                            .doesNotContain("pem-pass-value");
                });
    }

    /** A PEM whose key openssl encrypted starts with its password and is refused at start with a wrong one. */
    @Test
    void anEncryptedPemCertificateIsDecryptedWithCertificatePassword(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Process p = new ProcessBuilder(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-keyout",
                        "key.pem",
                        "-out",
                        "cert.pem",
                        "-days",
                        "1",
                        "-subj",
                        "/CN=svc",
                        "-passout",
                        "pass:pem-pass-value")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        java.nio.file.Path pem = dir.resolve("svc.pem");
        java.nio.file.Files.writeString(
                pem,
                java.nio.file.Files.readString(dir.resolve("cert.pem"))
                        + java.nio.file.Files.readString(dir.resolve("key.pem")));
        String[] common = {
            "redis.entra.enabled=true",
            "redis.entra.fail-fast=false",
            "redis.entra.credential=client-certificate",
            "redis.entra.tenant-id=11111111-2222-3333-4444-555555555555",
            "redis.entra.client-id=11111111-2222-3333-4444-555555555555",
            "redis.entra.certificate=" + pem
        };
        runner.withPropertyValues(common)
                .withPropertyValues("redis.entra.certificate-password=pem-pass-value")
                .run(context -> assertThat(context).hasNotFailed());
        runner.withPropertyValues(common)
                .withPropertyValues("redis.entra.certificate-password=not-the-pem-pass")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("cannot decrypt the private key")
                        .hasMessageNotContaining("not-the-pem-pass"));
    }

    @Test
    void failFastRefusesToStartWhenTheFirstTokenCannotBeHad() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=command",
                        "redis.entra.command=echo 'not signed in' >&2; exit 3",
                        "redis.entra.first-token-timeout=20s")
                .run(context -> assertThat(context.getStartupFailure())
                        .rootCause()
                        .hasMessageContaining("first token could not be had")
                        .hasMessageContaining("redis.entra.fail-fast=false"));
    }

    @Test
    void withoutFailFastItStartsAndReportsDown() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.fail-fast=false",
                        "redis.entra.credential=command",
                        "redis.entra.command=exit 3")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    TokenRefresher refresher = context.getBean(TokenRefresher.class);
                    await().atMost(Duration.ofSeconds(20))
                            .until(() -> refresher.status().consecutiveFailures() >= 1);
                    RedisEntraHealthIndicator health = context.getBean(RedisEntraHealthIndicator.class);
                    assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
                    assertThat(health.health().getDetails()).containsKey("lastFailure");
                });
    }

    @Test
    void lettuceGetsTheSharedProviderReauthenticationAndResp3AndKeepsBootsOwnOptions() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=static",
                        "redis.entra.token=" + jwt(),
                        "spring.data.redis.connect-timeout=7s",
                        "spring.data.redis.cluster.nodes=127.0.0.1:1",
                        "spring.data.redis.lettuce.cluster.refresh.period=30s",
                        "spring.data.redis.lettuce.cluster.refresh.adaptive=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    EntraCredentialsProvider provider = context.getBean(EntraCredentialsProvider.class);
                    LettuceConnectionFactory factory = context.getBean(LettuceConnectionFactory.class);
                    assertThat(factory.getClientConfiguration()
                                    .getRedisCredentialsProviderFactory()
                                    .orElseThrow()
                                    .createCredentialsProvider(new RedisStandaloneConfiguration()))
                            .isSameAs(provider);
                    RedisCredentials credentials = provider.resolveCredentials().block(Duration.ofSeconds(5));
                    assertThat(credentials.getUsername()).isEqualTo(OID);
                    assertThat(credentials.toString()).doesNotContain(jwt().substring(0, 40));

                    ClientOptions options =
                            factory.getClientConfiguration().getClientOptions().orElseThrow();
                    assertThat(options.getReauthenticateBehaviour())
                            .isEqualTo(ClientOptions.ReauthenticateBehavior.ON_NEW_CREDENTIALS);
                    assertThat(options.getConfiguredProtocolVersion()).isEqualTo(ProtocolVersion.RESP3);
                    // Boot's own options are still there: cluster topology refresh and the connect timeout.
                    assertThat(options).isInstanceOf(ClusterClientOptions.class);
                    ClusterClientOptions cluster = (ClusterClientOptions) options;
                    assertThat(cluster.getTopologyRefreshOptions().isPeriodicRefreshEnabled())
                            .isTrue();
                    assertThat(cluster.getTopologyRefreshOptions().getRefreshPeriod())
                            .isEqualTo(Duration.ofSeconds(30));
                    assertThat(cluster.getTopologyRefreshOptions().getAdaptiveRefreshTriggers())
                            .isNotEmpty();
                    assertThat(options.getSocketOptions().getConnectTimeout()).isEqualTo(Duration.ofSeconds(7));
                });
    }

    @Test
    void jedisGetsOnlyBootsJedisCustomizerAndLettuceNothing() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=static",
                        "redis.entra.token=" + jwt(),
                        "spring.data.redis.client-type=jedis")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(JedisConnectionFactory.class);
                    assertThat(context).hasSingleBean(JedisClientConfigurationBuilderCustomizer.class);
                    assertThat(context).doesNotHaveBean(EntraCredentialsProvider.class);
                    assertThat(context.getBean(JedisConnectionFactory.class).isUseUnifiedJedis())
                            .isTrue();
                });
    }

    /**
     * {@code redis.entra.token-wait} reaches Jedis: with no token at all (the token command always fails), a new
     * connection waits that long and fails naming the wait and the refresher's last failure; unset, Jedis fails at
     * once. A bound socket that never answers stands in for Redis (the handshake needs the token before it sends).
     */
    @Test
    void jedisConnectionsWaitTokenWaitForATokenAndFailNamingTheCause() throws Exception {
        try (java.net.ServerSocket silent =
                new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String[] common = {
                "redis.entra.enabled=true",
                "redis.entra.fail-fast=false",
                "redis.entra.credential=command",
                "redis.entra.command=echo 'AADSTS700016: application not found' >&2; exit 3",
                "spring.data.redis.client-type=jedis",
                "spring.data.redis.host=127.0.0.1",
                "spring.data.redis.port=" + silent.getLocalPort()
            };
            runner.withPropertyValues(common)
                    .withPropertyValues("redis.entra.token-wait=1500ms")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        TokenRefresher refresher = context.getBean(TokenRefresher.class);
                        await().atMost(Duration.ofSeconds(20))
                                .until(() -> refresher.status().consecutiveFailures() >= 1);
                        JedisConnectionFactory factory = context.getBean(JedisConnectionFactory.class);
                        long started = System.nanoTime();
                        Throwable error = org.assertj.core.api.Assertions.catchThrowable(
                                () -> factory.getConnection().ping());
                        Duration waited = Duration.ofNanos(System.nanoTime() - started);
                        assertThat(error).isNotNull();
                        assertThat(rootMessages(error))
                                .contains("No valid Entra ID token", "within PT1.5S")
                                .contains("no token has been obtained yet", "AADSTS700016");
                        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
                    });
            runner.withPropertyValues(common).run(context -> {
                TokenRefresher refresher = context.getBean(TokenRefresher.class);
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> refresher.status().consecutiveFailures() >= 1);
                Throwable error = org.assertj.core.api.Assertions.catchThrowable(
                        () -> context.getBean(JedisConnectionFactory.class)
                                .getConnection()
                                .ping());
                assertThat(rootMessages(error))
                        .contains("No valid Entra ID token", "AADSTS700016")
                        .doesNotContain("within");
            });
        }
    }

    /** The messages of {@code error} and its causes, one per line. */
    private static String rootMessages(Throwable error) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            sb.append(t).append('\n');
        }
        return sb.toString();
    }

    @Test
    void jedisWithAClusterGetsTheClusterWiring() {
        runner.withConfiguration(AutoConfigurations.of(RedisEntraJedisClusterAutoConfiguration.class))
                .withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=static",
                        "redis.entra.token=" + jwt(),
                        "spring.data.redis.client-type=jedis",
                        "spring.data.redis.cluster.nodes=127.0.0.1:1")
                // No node listens there: the topology discovery of EntraJedisCluster's provider fails at startup.
                .run(context -> assertThat(context.getStartupFailure())
                        .hasStackTraceContaining("EntraClusterConnectionProvider")
                        .hasStackTraceContaining("Could not initialize cluster slots cache"));
    }

    /**
     * Without fail-fast the Jedis cluster wiring does not wait for the first token (it used to block up to 2 min): the
     * application starts with no token at all, and a command fails naming the missing topology and the token's cause.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void jedisClusterWithoutFailFastStartsWithoutATokenAndCommandsNameTheCause() throws Exception {
        // A bound socket that never answers stands in for the seed (the handshake needs the token before it sends).
        try (java.net.ServerSocket silent =
                new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            runner.withConfiguration(AutoConfigurations.of(RedisEntraJedisClusterAutoConfiguration.class))
                    .withPropertyValues(
                            "redis.entra.enabled=true",
                            "redis.entra.fail-fast=false",
                            "redis.entra.credential=command",
                            "redis.entra.command=echo 'AADSTS700016: application not found' >&2; exit 3",
                            "spring.data.redis.client-type=jedis",
                            "spring.data.redis.cluster.nodes=127.0.0.1:" + silent.getLocalPort())
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        TokenRefresher refresher = context.getBean(TokenRefresher.class);
                        await().atMost(Duration.ofSeconds(20))
                                .until(() -> refresher.status().consecutiveFailures() >= 1);
                        assertThat(refresher.firstToken()).isNotDone();
                        Throwable error = org.assertj.core.api.Assertions.catchThrowable(
                                () -> context.getBean(JedisConnectionFactory.class)
                                        .getConnection()
                                        .stringCommands()
                                        .get("k".getBytes(StandardCharsets.UTF_8)));
                        assertThat(rootMessages(error))
                                .contains("No cluster topology yet", "No valid Entra ID token", "AADSTS700016");
                    });
        }
    }

    @Test
    void resp2CanBeChosen() {
        runner.withPropertyValues(
                        "redis.entra.enabled=true",
                        "redis.entra.credential=static",
                        "redis.entra.token=" + jwt(),
                        "redis.entra.protocol=resp2")
                .run(context -> {
                    ClientOptions options = context.getBean(LettuceConnectionFactory.class)
                            .getClientConfiguration()
                            .getClientOptions()
                            .orElseThrow();
                    assertThat(options.getConfiguredProtocolVersion()).isEqualTo(ProtocolVersion.RESP2);
                    assertThat(options.getReauthenticateBehaviour())
                            .isEqualTo(ClientOptions.ReauthenticateBehavior.ON_NEW_CREDENTIALS);
                });
    }
}
