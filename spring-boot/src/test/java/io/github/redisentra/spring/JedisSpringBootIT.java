package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.TokenRefresher;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.RedisOperations;
import org.springframework.data.redis.core.SessionCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * {@link LettuceSpringBootIT}'s scenario on Jedis ({@code spring.data.redis.client-type=jedis}): a Boot application
 * against the TLS Azure stand-in that accepts only current 12-second tokens and cuts connections whose token expired.
 * Jedis has no reactive template; a transaction ({@code MULTI}/{@code EXEC} through a {@link SessionCallback}) takes
 * its place. The load ends like {@link LettuceSpringBootIT}'s; run longer with
 * {@code -Dredisentra.spring.load.seconds=300}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@SpringBootITBase.TokenLifetime(12) // renewals at ~9 s and ~18 s: the load covers two in ~22 s
class JedisSpringBootIT extends SpringBootITBase {

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({SignedInUser.class, NewsSubscriber.class})
    static class App {}

    @Test
    void templateTransactionsAndListenerContainerKeepWorkingAcrossRenewalsOfShortTokens() throws Exception {
        try (ConfigurableApplicationContext context =
                application(App.class, "spring.data.redis.client-type=jedis").run()) {
            NewsSubscriber app = context.getBean(NewsSubscriber.class);
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
            Load load = new Load("redisentra.spring.load.seconds", context.getBean(TokenRefresher.class));
            while (load.goesOn()) {
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
            load.close();
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
            assertThat(renewals)
                    .as("renewals of 12 s tokens in %s", load.elapsed())
                    .isGreaterThanOrEqualTo(2);
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
