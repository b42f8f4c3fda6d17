package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.testkit.AzureClusterStandIn;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * What the Spring Boot cluster ITs (Lettuce, Jedis) share, on top of {@link SpringBootITBase}'s signed-in user: the
 * 3-master / 3-replica TLS cluster stand-in (certificate naming only the cache host, tokens accepted only while current,
 * connections cut at expiry) for the class, an application pointed at it, and the template load that spreads keys over
 * the shards across two renewals. Each subclass adds its client's settings and what it asserts beyond that.
 */
@SpringBootITBase.TokenLifetime(10)
abstract class ClusterSpringBootITBase extends SpringBootITBase {
    static final Duration LIFETIME = Duration.ofSeconds(10);

    static AzureClusterStandIn cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = AzureClusterStandIn.builder()
                .objectId(id.user.objectId())
                .watch(azure.emu)
                .start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(SignedInUser.class)
    static class App {}

    /**
     * Starts the application against the cluster (TLS through Boot's SSL bundle with the cache host name, renewals at
     * half the lifetime and at least 2 s apart) with {@code more} properties, and makes the nodes accept its current
     * token.
     */
    static ConfigurableApplicationContext startApplication(String... more) throws Exception {
        List<String> properties = new ArrayList<>(List.of(
                "spring.main.web-application-type=none",
                "spring.data.redis.cluster.nodes=" + cluster.host() + ":" + cluster.seedPort(),
                "spring.data.redis.timeout=10s",
                "spring.data.redis.ssl.bundle=azure-cache",
                "spring.ssl.bundle.pem.azure-cache.truststore.certificate=file:" + cluster.caFile(),
                "redis.entra.enabled=true",
                "redis.entra.tls-server-name=" + cluster.cacheHostName(),
                "redis.entra.refresh.ratio=0.5",
                "redis.entra.refresh.lower-bound=0s",
                "redis.entra.refresh.minimum-delay=2s"));
        properties.addAll(List.of(more));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                .properties(properties.toArray(String[]::new))
                .run();
        // Tokens the application got before every node watched the emulator: the current one is enough.
        AccessToken current = context.getBean(TokenRefresher.class).validToken().get(30, TimeUnit.SECONDS);
        cluster.accept(id.user.objectId(), current.secret(), current.expiresAt());
        return context;
    }

    /**
     * Sets and reads keys over the three masters with the application's {@link StringRedisTemplate} for two token
     * lifetimes and asserts no operation failed, at least two renewals happened and each was followed by successful
     * re-authentications. Prints what it did, labelled {@code client}.
     */
    static void templatesWorkAcrossRenewals(ConfigurableApplicationContext context, String client) throws Exception {
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
                "Spring %s cluster: %d operations, %d failed, %.0f renewals of %s tokens, %d connections cut%n",
                client, operations, failures.size(), renewals, LIFETIME, cluster.connectionsCut() - cutBefore);
        assertThat(failures).as("failed operations").isEmpty();
        assertThat(renewals).isGreaterThanOrEqualTo(2);
        assertThat(meters.get("redis.entra.reauthentications")
                        .tag("result", "success")
                        .functionCounter()
                        .count())
                .isGreaterThanOrEqualTo(renewals);
    }
}
