package io.github.redisentra.samples.spring;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * A Spring Boot application on Spring Data Redis, signed in with Entra ID by the redis-entra starter: nothing in the
 * code knows about tokens. Every few seconds it counts a visit ({@link StringRedisTemplate}), announces it on a
 * channel, hears it back through a {@link RedisMessageListenerContainer} and reads the count reactively. The
 * connections stay open across token renewals. Configuration: {@code application.yml} and {@code README.md}.
 */
@SpringBootApplication
@EnableScheduling
public class SpringBootSample {
    static final String CHANNEL = "sample:visits";
    private static final Logger log = LoggerFactory.getLogger(SpringBootSample.class);

    public static void main(String[] args) {
        SpringApplication.run(SpringBootSample.class, args);
    }

    @Bean
    RedisMessageListenerContainer visitsListener(RedisConnectionFactory connections, Visits visits) {
        RedisMessageListenerContainer container = new RedisMessageListenerContainer();
        container.setConnectionFactory(connections);
        container.addMessageListener(
                (message, pattern) -> visits.heard(new String(message.getBody())), new ChannelTopic(CHANNEL));
        return container;
    }

    /** Counts visits in Redis and keeps what the application heard back. */
    @Component
    public static class Visits {
        private final StringRedisTemplate redis;
        private final ReactiveStringRedisTemplate reactive;
        private final AtomicLong announced = new AtomicLong();
        private final AtomicLong heard = new AtomicLong();
        private final AtomicLong failures = new AtomicLong();

        public Visits(StringRedisTemplate redis, ReactiveStringRedisTemplate reactive) {
            this.redis = redis;
            this.reactive = reactive;
        }

        @Scheduled(fixedRateString = "${sample.visit-interval:5s}")
        public void visit() {
            try {
                Long count = redis.opsForValue().increment("sample:visits");
                redis.convertAndSend(CHANNEL, "visit " + count);
                announced.incrementAndGet();
                String read = reactive.opsForValue().get("sample:visits").block(java.time.Duration.ofSeconds(20));
                log.info("visit {} counted; reactive read {}", count, read);
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                log.warn("visit failed: {}", e.toString());
            }
        }

        void heard(String message) {
            heard.incrementAndGet();
            log.info("heard '{}'", message);
        }

        public long announced() {
            return announced.get();
        }

        public long heard() {
            return heard.get();
        }

        public long failures() {
            return failures.get();
        }
    }
}
