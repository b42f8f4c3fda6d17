/** A Lettuce RedisCredentialsProvider that signs in with Entra ID and re-authenticates open connections. */
package io.github.redisentra.lettuce;
