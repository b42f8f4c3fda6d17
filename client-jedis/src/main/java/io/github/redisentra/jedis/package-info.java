/**
 * Jedis with Microsoft Entra ID: {@link io.github.redisentra.jedis.EntraJedis} builds a pooled {@code RedisClient}
 * whose connections authenticate with access tokens and are re-authenticated (idle, borrowed and subscribed ones) as
 * the tokens renew, driven by redis-entra's one refresh engine.
 */
package io.github.redisentra.jedis;
