package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.testkit.EmulatedAzure;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.redisson.Redisson;
import org.redisson.api.RBucket;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;
import org.redisson.config.Protocol;

/**
 * A plain {@link RedissonClient} with {@link RedissonEntraCredentialsResolver} against Azure, locally: the user signs
 * in through MSAL against the Entra ID emulator, and a TLS redis-server stand-in accepts only the user's current
 * tokens and closes every connection whose token expires. Tokens live 20 seconds, so the run spans several renewals;
 * Redisson's pooled connections (idle ones included) and its pub/sub connection must AUTH again at each one. Run
 * longer with {@code -Dredisentra.redisson.load.seconds=300}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RedissonEntraIT {
    static EmulatedAzure azure;
    static EmulatedAzure.Identity id;

    @BeforeAll
    static void signIn() throws Exception {
        azure = new EmulatedAzure();
        id = azure.signIn(Duration.ofSeconds(20)); // its refresher renews at 75 %, renewals may be 2 s apart
    }

    @AfterAll
    static void stop() {
        if (id != null) {
            id.close();
        }
        if (azure != null) {
            azure.close();
        }
    }

    @Test
    void redissonKeepsWorkingAcrossRenewalsOfShortTokensWithoutCutConnections() throws Exception {
        // By default the load runs until it has covered two renewals and the expiry of the token the second one
        // replaced (~30 s, at most 40 s); -Dredisentra.redisson.load.seconds=N runs it N seconds.
        Long fixed = Long.getLong("redisentra.redisson.load.seconds");
        Duration duration = Duration.ofSeconds(fixed != null ? fixed : 40);
        RenewalWatch renewals = new RenewalWatch(id.refresher);
        RedissonEntraCredentialsResolver credentials = RedissonEntraCredentialsResolver.builder(id.refresher)
                .usernameFrom(id.source)
                .build();
        Config config = new Config().setThreads(2).setNettyThreads(4).setCodec(StringCodec.INSTANCE);
        config.useSingleServer()
                .setAddress("rediss://" + azure.redis.host() + ":" + id.cache.tlsPort())
                .setConnectionMinimumIdleSize(4)
                .setConnectionPoolSize(8)
                .setSubscriptionConnectionMinimumIdleSize(1)
                .setSubscriptionConnectionPoolSize(2)
                .setTimeout(20_000)
                .setRetryAttempts(0); // a failed command must show up as a failure, not be retried away
        config.setSslTrustManagerFactory(trustingTheTestCa());
        credentials.applyTo(config);
        assertThat(config.getProtocol()).isEqualTo(Protocol.RESP3);
        assertThat(config.getCredentialsResolver()).isSameAs(credentials);

        RedissonClient redisson = Redisson.create(config);
        try {
            PubSubLedger ledger = new PubSubLedger();
            RTopic topic = redisson.getTopic("news");
            topic.addListener(String.class, ledger.listener());

            RBucket<String> bucket = redisson.getBucket("redisson:key");
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            long operations = 0;
            Instant start = Instant.now();
            while (Duration.between(start, Instant.now()).compareTo(duration) < 0
                    && (fixed != null || !renewals.coveredRenewalsAndExpiry(2))) {
                try {
                    bucket.set("v" + operations);
                    assertThat(bucket.get()).isEqualTo("v" + operations);
                    assertThat(redisson.getAtomicLong("redisson:counter").incrementAndGet())
                            .isPositive();
                    assertThat(redisson.getBucket("redisson:async")
                                    .setAsync("a" + operations)
                                    .toCompletableFuture()
                                    .get(20, TimeUnit.SECONDS))
                            .isNull();
                    ledger.publish(topic, "n" + ledger.published());
                    operations += 5;
                } catch (Throwable e) {
                    failures.add(e);
                }
                Thread.sleep(20); // pacing the load, not waiting for a condition
            }
            assertThat(failures).as("failed operations").isEmpty();
            assertThat(operations).isPositive();
            assertThat(renewals.renewals())
                    .as("renewals of 20 s tokens in %s", Duration.between(start, Instant.now()))
                    .isGreaterThanOrEqualTo(2);
            assertThat(id.cache.connectionsCut())
                    .as("connections cut at token expiry")
                    .isZero();
            assertThat(id.aclLog()).as("ACL LOG (refused AUTHs)").isEmpty();
            // Exact: each message PUBLISH handed to the subscriber arrived once (a cut would be reported just above).
            ledger.assertEveryMessageDeliveredOnce(Duration.ofSeconds(10));
            assertThat(credentials.toString())
                    .doesNotContain(id.refresher.current().orElseThrow().secret());
        } finally {
            redisson.shutdown();
            credentials.close();
            renewals.close();
        }
    }

    private static TrustManagerFactory trustingTheTestCa() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream pem = Files.newInputStream(azure.redis.caFile())) {
            trust.setCertificateEntry(
                    "test-ca", CertificateFactory.getInstance("X.509").generateCertificate(pem));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        return factory;
    }
}
