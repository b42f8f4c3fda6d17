package io.github.redisentra.samples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.TokenSource;
import io.github.redisentra.testkit.EmulatedAzure;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The sample, unchanged, against Azure locally: the emulator signs the user in (the device code is approved by the
 * test), a TLS redis-server accepts only the user's current 20-second tokens and cuts connections whose token
 * expired. The sample keeps counting and hearing its visits across a renewal.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SpringBootSampleIT {

    /** What a real run gets from redis.entra.credential=device-code, here signed in against the emulator. */
    @Configuration(proxyBeanMethods = false)
    static class EmulatorSignIn {
        static TokenSource source;

        @Bean
        TokenSource tokenSource() {
            return source;
        }
    }

    @Test
    void countsAndHearsVisitsAcrossATokenRenewal() throws Exception {
        try (EmulatedAzure azure = new EmulatedAzure();
                EmulatedAzure.Identity id = azure.signIn(Duration.ofSeconds(20))) {
            id.refresher.close(); // the application's own refresher is the one under test
            EmulatorSignIn.source = id.source;
            try (ConfigurableApplicationContext app = new SpringApplicationBuilder(
                            SpringBootSample.class, EmulatorSignIn.class)
                    // command-line arguments: they override application.yml, as on a real command line
                    .run(
                            "--spring.data.redis.host=" + azure.redis.host(),
                            "--spring.data.redis.port=" + id.cache.tlsPort(),
                            "--spring.data.redis.ssl.bundle=emulated-azure",
                            "--spring.ssl.bundle.pem.emulated-azure.truststore.certificate=file:"
                                    + azure.redis.caFile(),
                            "--redis.entra.refresh.minimum-delay=2s",
                            "--sample.visit-interval=500ms")) {
                SpringBootSample.Visits visits = app.getBean(SpringBootSample.Visits.class);
                MeterRegistry meters = app.getBean(MeterRegistry.class);
                // Two renewals of 20-second tokens (at about 15 s and 30 s) take the run past the first token's
                // expiry: connections still on it would have been cut by now.
                await().atMost(Duration.ofSeconds(80))
                        .until(() -> meters.get("redis.entra.token.renewals")
                                        .functionCounter()
                                        .count()
                                >= 2);
                long announced = visits.announced();
                await().atMost(Duration.ofSeconds(10)).until(() -> visits.heard() >= announced);

                assertThat(visits.failures()).isZero();
                assertThat(announced).isPositive();
                assertThat(id.cache.connectionsCut()).isZero();
                assertThat(id.aclLog()).isEmpty();
                assertThat(app.getBean(HealthEndpoint.class)
                                .healthForPath("redisEntra")
                                .getStatus())
                        .isEqualTo(Status.UP);
            }
        }
    }
}
