package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.testkit.AzureClusterStandIn;
import io.github.redisentra.testkit.EmulatedAzure;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Boot on Jedis ({@code spring.data.redis.client-type=jedis}) with {@code spring.data.redis.cluster.nodes} against the 3-master / 3-replica TLS cluster stand-in
 * (certificate naming only the cache host, tokens accepted only while current, connections cut at expiry): templates
 * spread keys over the shards across token renewals with no connection cut at expiry.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JedisClusterSpringBootIT {
    static final Duration LIFETIME = Duration.ofSeconds(10);
    static EmulatedAzure azure;
    static EmulatedAzure.Identity id;
    static TokenSource source;
    static AzureClusterStandIn cluster;

    @BeforeAll
    static void start() throws Exception {
        azure = new EmulatedAzure();
        id = azure.signIn(LIFETIME);
        id.refresher.close(); // the application's refresher is the one under test
        source = id.source;
        cluster = AzureClusterStandIn.builder()
                .objectId(id.user.objectId())
                .watch(azure.emu)
                .start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (id != null) {
            id.close();
        }
        if (azure != null) {
            azure.close();
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        TokenSource tokenSource() {
            return source;
        }
    }

    @Test
    void templatesWorkOnEveryShardAcrossRenewals() throws Exception {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                .properties(
                        "spring.main.web-application-type=none",
                        "spring.data.redis.client-type=jedis",
                        "spring.data.redis.cluster.nodes=" + cluster.host() + ":" + cluster.seedPort(),
                        "spring.data.redis.timeout=10s",
                        "spring.data.redis.ssl.bundle=azure-cache",
                        "spring.ssl.bundle.pem.azure-cache.truststore.certificate=file:" + cluster.caFile(),
                        "redis.entra.enabled=true",
                        "redis.entra.tls-server-name=" + cluster.cacheHostName(),
                        "redis.entra.refresh.ratio=0.5",
                        "redis.entra.refresh.lower-bound=0s",
                        "redis.entra.refresh.minimum-delay=2s")
                .run()) {
            // Tokens the application got before every node watched the emulator: the current one is enough.
            AccessToken current = context.getBean(io.github.redisentra.core.TokenRefresher.class)
                    .validToken()
                    .get(30, TimeUnit.SECONDS);
            cluster.accept(id.user.objectId(), current.secret(), current.expiresAt());
            JedisConnectionFactory factory = context.getBean(JedisConnectionFactory.class);
            assertThat(factory.isRedisClusterAware()).isTrue();
            long cutBefore = cluster.connectionsCut();
            StringRedisTemplate template = context.getBean(StringRedisTemplate.class);
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            long operations = 0;
            Instant until = Instant.now().plus(LIFETIME.multipliedBy(2)).plusSeconds(2);
            while (Instant.now().isBefore(until)) {
                try {
                    for (int i = 0; i < 30; i++) {
                        String key = "spring:" + i; // spread over the three masters
                        template.opsForValue().set(key, "v" + operations);
                        assertThat(template.opsForValue().get(key)).isEqualTo("v" + operations);
                        operations += 2;
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
                Thread.sleep(50); // pacing the load
            }
            double renewals =
                    meters.get("redis.entra.token.renewals").functionCounter().count();
            System.out.printf(
                    "Spring Jedis cluster: %d operations, %d failed, %.0f renewals of %s tokens, %d connections cut%n",
                    operations, failures.size(), renewals, LIFETIME, cluster.connectionsCut() - cutBefore);
            assertThat(failures).as("failed operations").isEmpty();
            assertThat(renewals).isGreaterThanOrEqualTo(2);
            assertThat(cluster.connectionsCut() - cutBefore)
                    .as("connections cut at expiry")
                    .isZero();
            assertThat(meters.get("redis.entra.reauthentications")
                            .tag("result", "success")
                            .functionCounter()
                            .count())
                    .isGreaterThanOrEqualTo(renewals);
        }
    }
}
