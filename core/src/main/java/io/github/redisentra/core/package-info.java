/**
 * Tokens for Redis: the redacted token model ({@link io.github.redisentra.core.AccessToken}), the one refresh engine
 * ({@link io.github.redisentra.core.TokenRefresher} with its {@link io.github.redisentra.core.RefreshPolicy}) and
 * the token sources: {@link io.github.redisentra.core.MsalUserTokenSource} (user sign-in),
 * {@link io.github.redisentra.core.AzureCredentialTokenSource} (managed identity, workload identity, service
 * principals, developer tools), {@link io.github.redisentra.core.StaticTokenSource} and
 * {@link io.github.redisentra.core.CommandTokenSource}.
 */
package io.github.redisentra.core;
