package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.TokenSource;
import io.github.redisentra.testkit.EmulatedAzure;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.RedisOperations;
import org.springframework.data.redis.core.SessionCallback;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

/**
 * {@link LettuceSpringBootIT}'s scenario on Jedis ({@code spring.data.redis.client-type=jedis}): a Boot application
 * against the TLS Azure stand-in that accepts only current 20-second tokens and cuts connections whose token expired.
 * Jedis has no reactive template; a transaction ({@code MULTI}/{@code EXEC} through a {@link SessionCallback}) takes
 * its place. Run longer with {@code -Dredisentra.spring.load.seconds=300}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JedisSpringBootIT {
    static EmulatedAzure azure;
    static EmulatedAzure.Identity id;
    static TokenSource source;

    @BeforeAll
    static void signIn() throws Exception {
        azure = new EmulatedAzure();
        id = azure.signIn(Duration.ofSeconds(20));
        id.refresher.close(); // the application's refresher is the one under test
        source = id.source;
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

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        final AtomicLong received = new AtomicLong();

        @Bean
        TokenSource tokenSource() {
            return source;
        }

        @Bean
        RedisMessageListenerContainer listenerContainer(RedisConnectionFactory connections) {
            RedisMessageListenerContainer container = new RedisMessageListenerContainer();
            container.setConnectionFactory(connections);
            container.addMessageListener((message, pattern) -> received.incrementAndGet(), new ChannelTopic("news"));
            return container;
        }
    }

    @Test
    void templateTransactionsAndListenerContainerKeepWorkingAcrossRenewalsOfShortTokens() throws Exception {
        Duration duration = Duration.ofSeconds(Long.getLong("redisentra.spring.load.seconds", 40));
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                .properties(
                        "spring.main.web-application-type=none",
                        "spring.data.redis.client-type=jedis",
                        "spring.data.redis.host=" + azure.redis.host(),
                        "spring.data.redis.port=" + id.cache.tlsPort(),
                        "spring.data.redis.timeout=20s",
                        "spring.data.redis.ssl.bundle=azure-cache",
                        "spring.ssl.bundle.pem.azure-cache.truststore.certificate=file:" + azure.redis.caFile(),
                        "management.endpoint.health.show-details=always",
                        "redis.entra.enabled=true",
                        "redis.entra.refresh.minimum-delay=2s")
                .run()) {
            App app = context.getBean(App.class);
            StringRedisTemplate template = context.getBean(StringRedisTemplate.class);
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            JedisConnectionFactory factory = context.getBean(JedisConnectionFactory.class);
            assertThat(factory.isUseUnifiedJedis()).isTrue();
            assertThat(factory.getClientConfiguration().isUseSsl()).isTrue();
            String whoami = template.execute((RedisCallback<String>)
                    connection -> new String((byte[]) connection.execute("ACL", "WHOAMI".getBytes())));
            assertThat(whoami).isEqualTo(id.user.objectId());

            List<Throwable> failures = new CopyOnWriteArrayList<>();
            long published = 0;
            long operations = 0;
            Instant start = Instant.now();
            while (Duration.between(start, Instant.now()).compareTo(duration) < 0) {
                try {
                    template.opsForValue().set("spring:key", "v" + operations);
                    assertThat(template.opsForValue().get("spring:key")).isEqualTo("v" + operations);
                    template.convertAndSend("news", "n" + published);
                    published++;
                    List<Object> tx = template.execute(new SessionCallback<List<Object>>() {
                        @Override
                        @SuppressWarnings({"unchecked", "rawtypes"})
                        public List<Object> execute(RedisOperations operations) throws DataAccessException {
                            operations.multi();
                            operations.opsForValue().set("spring:tx", "a");
                            operations.opsForValue().increment("spring:txn");
                            return operations.exec();
                        }
                    });
                    assertThat(tx).hasSize(2);
                    operations += 6;
                } catch (Throwable e) {
                    failures.add(e);
                }
                Thread.sleep(20); // pacing the load, not waiting for a condition
            }
            long sent = published;
            await().atMost(Duration.ofSeconds(10)).until(() -> app.received.get() >= sent);

            assertThat(failures).as("failed operations").isEmpty();
            assertThat(operations).isPositive();
            assertThat(app.received.get()).isEqualTo(published);
            assertThat(id.cache.connectionsCut())
                    .as("connections cut at token expiry")
                    .isZero();
            assertThat(id.aclLog()).as("ACL LOG (refused AUTHs)").isEmpty();

            double renewals =
                    meters.get("redis.entra.token.renewals").functionCounter().count();
            assertThat(renewals).as("renewals of 20 s tokens in %s", duration).isGreaterThanOrEqualTo(2);
            assertThat(meters.get("redis.entra.reauthentications")
                            .tag("result", "success")
                            .functionCounter()
                            .count())
                    .as("connections re-authenticated (pool and subscriber; each renewal)")
                    .isGreaterThanOrEqualTo(renewals);
            assertThat(meters.get("redis.entra.reauthentications")
                            .tag("result", "failure")
                            .functionCounter()
                            .count())
                    .isZero();
            IndicatedHealthDescriptor health = (IndicatedHealthDescriptor)
                    context.getBean(HealthEndpoint.class).healthForPath("redisEntra");
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat((Long) health.getDetails().get("renewals")).isGreaterThanOrEqualTo(2L);
        }
    }
}
