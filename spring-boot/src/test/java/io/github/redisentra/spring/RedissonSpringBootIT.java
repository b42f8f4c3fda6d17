package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.TokenRefresher;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.config.Protocol;
import org.redisson.spring.starter.RedissonAutoConfigurationCustomizer;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * A Spring Boot application on Redisson's own starter ({@code redisson-spring-boot-starter}, which builds the
 * {@link RedissonClient} from {@code spring.data.redis.*} and serves Spring Data Redis through it) against the local
 * Azure stand-in: TLS from Boot's SSL bundle, the Entra ID emulator, 20-second tokens, a cache that accepts only
 * current tokens and cuts connections whose token expired. Runs only in the {@code redisson-starter} surefire
 * execution (the starter would replace the Lettuce/Jedis factories of the other tests). Run longer with
 * {@code -Dredisentra.redisson.load.seconds=300}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@EnabledIfSystemProperty(
        named = "redisentra.redisson.starter",
        matches = "true",
        disabledReason = "runs in the redisson-starter surefire execution only")
class RedissonSpringBootIT extends SpringBootITBase {

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(SignedInUser.class)
    static class App {}

    @Test
    void redissonStarterClientAndTemplateKeepWorkingAcrossRenewalsOfShortTokens() throws Exception {
        // By default the load runs until it has covered two renewals and the expiry of the token the second one
        // replaced (~30 s, at most 40 s); -Dredisentra.redisson.load.seconds=N runs it N seconds.
        // The application's own Redisson tuning next to redis-entra's customizer (small pools for a test machine).
        // Registered here, not as an App @Bean: no test-class signature may name the starter's type, which the
        // other surefire execution keeps off the classpath.
        ApplicationContextInitializer<ConfigurableApplicationContext> smallPools = context -> context.getBeanFactory()
                .registerSingleton("smallPools", (RedissonAutoConfigurationCustomizer) config -> {
                    config.setThreads(2).setNettyThreads(4);
                    config.useSingleServer()
                            .setConnectionMinimumIdleSize(4)
                            .setConnectionPoolSize(8)
                            .setSubscriptionConnectionMinimumIdleSize(1)
                            .setSubscriptionConnectionPoolSize(2)
                            .setRetryAttempts(0);
                });
        try (ConfigurableApplicationContext context =
                application(App.class).initializers(smallPools).run()) {
            RedissonClient redisson = context.getBean(RedissonClient.class);
            StringRedisTemplate template = context.getBean(StringRedisTemplate.class);
            MeterRegistry meters = context.getBean(MeterRegistry.class);

            assertThat(redisson.getConfig().getCredentialsResolver())
                    .isSameAs(context.getBean(RedissonEntraCredentialsResolver.class));
            assertThat(redisson.getConfig().getProtocol()).isEqualTo(Protocol.RESP3);
            assertThat(template.getConnectionFactory().getClass().getName()).contains("Redisson");

            PubSubLedger ledger = new PubSubLedger();
            RTopic topic = redisson.getTopic("news");
            topic.addListener(String.class, ledger.listener());

            List<Throwable> failures = new CopyOnWriteArrayList<>();
            long operations = 0;
            Load load = new Load("redisentra.redisson.load.seconds", context.getBean(TokenRefresher.class));
            while (load.goesOn()) {
                try {
                    template.opsForValue().set("boot:key", "v" + operations);
                    assertThat(template.opsForValue().get("boot:key")).isEqualTo("v" + operations);
                    assertThat(redisson.getAtomicLong("boot:counter").incrementAndGet())
                            .isPositive();
                    ledger.publish(topic, "n" + ledger.published());
                    operations += 4;
                } catch (Throwable e) {
                    failures.add(e);
                }
                Thread.sleep(20); // pacing the load, not waiting for a condition
            }
            load.close();
            assertThat(failures).as("failed operations").isEmpty();
            assertThat(operations).isPositive();
            assertThat(id.cache.connectionsCut())
                    .as("connections cut at token expiry")
                    .isZero();
            assertThat(id.aclLog()).as("ACL LOG (refused AUTHs)").isEmpty();
            // Exact: each message PUBLISH handed to the subscriber arrived once (a cut would be reported just above).
            ledger.assertEveryMessageDeliveredOnce(Duration.ofSeconds(10));
            assertThat(meters.get("redis.entra.token.renewals")
                            .functionCounter()
                            .count())
                    .as("renewals of 20 s tokens in %s", load.elapsed())
                    .isGreaterThanOrEqualTo(2);
            assertThat(meters.get("redis.entra.token.failures")
                            .functionCounter()
                            .count())
                    .isZero();
        }
    }
}
