package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.TokenRefresher;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.protocol.ProtocolVersion;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * A Spring Boot application on Lettuce against Azure, locally: the user signs in through MSAL against the Entra ID
 * emulator, and a TLS redis-server stand-in accepts only the user's current tokens and closes every connection whose
 * token expires. Tokens live 12 seconds, so the run spans several renewals; Boot's own configuration (SSL bundle,
 * timeout) must survive the starter's customizers. The load ends once it has covered two renewals and the expiry of
 * the token the second one replaced ({@link SpringBootITBase.Load}); run longer with
 * {@code -Dredisentra.spring.load.seconds=300}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@SpringBootITBase.TokenLifetime(12) // renewals at ~9 s and ~18 s: the load covers two in ~22 s
class LettuceSpringBootIT extends SpringBootITBase {

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({SignedInUser.class, NewsSubscriber.class})
    static class App {}

    @Test
    void templatesAndListenerContainerKeepWorkingAcrossRenewalsOfShortTokens() throws Exception {
        try (ConfigurableApplicationContext context = application(App.class).run()) {
            NewsSubscriber app = context.getBean(NewsSubscriber.class);
            StringRedisTemplate template = context.getBean(StringRedisTemplate.class);
            ReactiveStringRedisTemplate reactive = context.getBean(ReactiveStringRedisTemplate.class);
            MeterRegistry meters = context.getBean(MeterRegistry.class);

            // Boot's configuration survived: TLS from the SSL bundle, its timeout, plus re-AUTH and RESP3.
            LettuceConnectionFactory factory = context.getBean(LettuceConnectionFactory.class);
            assertThat(factory.getClientConfiguration().isUseSsl()).isTrue();
            assertThat(factory.getClientConfiguration().getCommandTimeout()).isEqualTo(Duration.ofSeconds(20));
            ClientOptions options =
                    factory.getClientConfiguration().getClientOptions().orElseThrow();
            assertThat(options.getReauthenticateBehaviour())
                    .isEqualTo(ClientOptions.ReauthenticateBehavior.ON_NEW_CREDENTIALS);
            assertThat(options.getConfiguredProtocolVersion()).isEqualTo(ProtocolVersion.RESP3);

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
                    assertThat(reactive.opsForValue()
                                    .set("spring:reactive", "r" + operations)
                                    .block(Duration.ofSeconds(20)))
                            .isTrue();
                    assertThat(reactive.opsForValue().get("spring:reactive").block(Duration.ofSeconds(20)))
                            .isEqualTo("r" + operations);
                    operations += 5;
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
            assertThat(meters.get("redis.entra.token.acquisition").timer().count())
                    .isGreaterThanOrEqualTo((long) renewals);
            assertThat(meters.get("redis.entra.token.failures")
                            .functionCounter()
                            .count())
                    .isZero();
            assertThat(meters.get("redis.entra.token.expiry").gauge().value()).isBetween(0.5, 20.0);
            assertThat(meters.get("redis.entra.reauthentications")
                            .tag("result", "success")
                            .functionCounter()
                            .count())
                    .as("connections re-authenticated (template, reactive, subscriber; each renewal)")
                    .isGreaterThanOrEqualTo(renewals);
            assertThat(meters.get("redis.entra.reauthentications")
                            .tag("result", "failure")
                            .functionCounter()
                            .count())
                    .isZero();

            IndicatedHealthDescriptor health = (IndicatedHealthDescriptor)
                    context.getBean(HealthEndpoint.class).healthForPath("redisEntra");
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            Map<String, Object> details = health.getDetails();
            assertThat((Long) details.get("renewals")).isGreaterThanOrEqualTo(2L);
            assertThat(details).containsEntry("consecutiveFailures", 0).containsKey("secondsToExpiry");
            assertThat(details.toString())
                    .doesNotContain(id.source.getToken(false).secret());
        }
    }
}
