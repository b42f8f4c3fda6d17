/** Jedis integration with Entra ID sign-in and live re-AUTH of pooled connections. */
package io.github.redisentra.jedis;
