/**
 * Spring Boot auto-configuration for redis-entra: Entra ID sign-in and live re-authentication for Spring Data Redis
 * (properties {@code redis.entra.*}, off unless {@code redis.entra.enabled=true}).
 */
package io.github.redisentra.spring;
