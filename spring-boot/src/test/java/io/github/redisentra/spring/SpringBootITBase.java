package io.github.redisentra.spring;

import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.testkit.EmulatedAzure;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

/**
 * What the Spring Boot ITs (Lettuce, Jedis, Redisson) share: Azure locally for the class (the Entra ID emulator, a
 * user signed in through MSAL with short tokens (20 s, or the IT's {@link TokenLifetime}), a TLS redis-server stand-in that accepts only current tokens and
 * cuts connections whose token expired), the application's token source, a counting subscriber, the properties every
 * application starts with, and how long the load runs. Each subclass adds its client and asserts what it covers.
 */
abstract class SpringBootITBase {
    /** The tokens' lifetime unless the IT says otherwise ({@link TokenLifetime}): the load spans several renewals. */
    static final Duration TOKEN_LIFETIME = Duration.ofSeconds(20);

    /** Another token lifetime for an IT's signed-in user, in seconds. */
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @java.lang.annotation.Target(java.lang.annotation.ElementType.TYPE)
    @java.lang.annotation.Inherited
    @interface TokenLifetime {
        int value();
    }
    /** The longest load when it ends on coverage (see {@link #loadGoesOn}). */
    static final Duration MAX_LOAD = Duration.ofSeconds(40);

    static EmulatedAzure azure;
    static EmulatedAzure.Identity id;
    static TokenSource source;

    @BeforeAll
    static void signIn(TestInfo test) throws Exception {
        Duration lifetime = test.getTestClass()
                .map(c -> c.getAnnotation(TokenLifetime.class))
                .map(l -> Duration.ofSeconds(l.value()))
                .orElse(TOKEN_LIFETIME);
        azure = new EmulatedAzure();
        id = azure.signIn(lifetime);
        id.refresher.close(); // the application's refresher is the one under test
        source = id.source;
    }

    @AfterAll
    static void stop() {
        if (id != null) {
            id.close();
            id = null;
        }
        if (azure != null) {
            azure.close();
            azure = null;
        }
    }

    /** The signed-in user's token source as a bean (what an application with a device-code sign-in step provides). */
    @Configuration(proxyBeanMethods = false)
    static class SignedInUser {
        @Bean
        TokenSource tokenSource() {
            return source;
        }
    }

    /** A listener container subscribed to {@code news} that counts what it receives. */
    @Configuration(proxyBeanMethods = false)
    static class NewsSubscriber {
        final AtomicLong received = new AtomicLong();

        @Bean
        RedisMessageListenerContainer listenerContainer(RedisConnectionFactory connections) {
            RedisMessageListenerContainer container = new RedisMessageListenerContainer();
            container.setConnectionFactory(connections);
            container.addMessageListener((message, pattern) -> received.incrementAndGet(), new ChannelTopic("news"));
            return container;
        }
    }

    /**
     * An application of {@code app} against the stand-in: TLS through Boot's SSL bundle, a 20 s timeout, health
     * details, {@code redis.entra} on with renewals at least 2 s apart (short tokens renew at 75 % of their life), and
     * {@code more} properties.
     */
    static SpringApplicationBuilder application(Class<?> app, String... more) {
        List<String> properties = new ArrayList<>(List.of(
                "spring.main.web-application-type=none",
                "spring.data.redis.host=" + azure.redis.host(),
                "spring.data.redis.port=" + id.cache.tlsPort(),
                "spring.data.redis.timeout=20s",
                "spring.data.redis.ssl.bundle=azure-cache",
                "spring.ssl.bundle.pem.azure-cache.truststore.certificate=file:" + azure.redis.caFile(),
                "management.endpoint.health.show-details=always",
                "redis.entra.enabled=true",
                "redis.entra.refresh.minimum-delay=2s"));
        properties.addAll(List.of(more));
        return new SpringApplicationBuilder(app).properties(properties.toArray(String[]::new));
    }

    /**
     * Ends a load loop. With {@code -D<property>=N} it runs N seconds; by default until it has covered two renewals
     * and the expiry of the token the second one replaced (when the cache would cut a connection that missed it),
     * {@link #MAX_LOAD} at most.
     */
    static final class Load implements AutoCloseable {
        private final Long fixedSeconds;
        private final RenewalWatch renewals;
        private final Instant start = Instant.now();

        Load(String property, TokenRefresher refresher) {
            this.fixedSeconds = Long.getLong(property);
            this.renewals = new RenewalWatch(refresher);
        }

        /** Whether the load goes on. */
        boolean goesOn() {
            Duration elapsed = Duration.between(start, Instant.now());
            if (fixedSeconds != null) {
                return elapsed.compareTo(Duration.ofSeconds(fixedSeconds)) < 0;
            }
            return elapsed.compareTo(MAX_LOAD) < 0 && !renewals.coveredRenewalsAndExpiry(2);
        }

        /** How long it ran so far. */
        Duration elapsed() {
            return Duration.between(start, Instant.now());
        }

        @Override
        public void close() throws Exception {
            renewals.close();
        }
    }
}
