/**
 * How the gateway writes its log: the JSON layout, the {@code LOG_FORMAT} switch, the asynchronous, never-blocking
 * appender ({@link io.github.redisentra.gateway.logging.AsyncLogAppender}) and the rate limit of refusal lines
 * ({@link io.github.redisentra.gateway.logging.LineRateLimiter}).
 */
package io.github.redisentra.gateway.logging;
