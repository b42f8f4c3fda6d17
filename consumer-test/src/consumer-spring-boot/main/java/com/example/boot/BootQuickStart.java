package com.example.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * A user's Spring Boot application on redis-entra-spring-boot-starter: nothing but Boot's own StringRedisTemplate and
 * the properties the README shows ({@code redis.entra.enabled}, {@code redis.entra.credential}), given as arguments.
 */
@SpringBootApplication
public class BootQuickStart {
    public static void main(String[] args) {
        try (ConfigurableApplicationContext app = SpringApplication.run(BootQuickStart.class, args)) {
            StringRedisTemplate redis = app.getBean(StringRedisTemplate.class);
            redis.opsForValue().set("consumer:boot", "hello from Spring Boot");
            System.out.println("spring-boot: " + redis.opsForValue().get("consumer:boot"));
        }
    }
}
