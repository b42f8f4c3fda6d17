/**
 * Lettuce with Microsoft Entra ID: {@link io.github.redisentra.lettuce.EntraCredentialsProvider} sends access tokens
 * as the Redis password and streams renewed ones so Lettuce re-authenticates open connections;
 * {@link io.github.redisentra.lettuce.EntraLettuce} sets the client options that needs (re-authentication on new
 * credentials, RESP3) and surfaces re-authentication outcomes.
 */
package io.github.redisentra.lettuce;
