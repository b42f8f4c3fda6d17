package io.github.redisentra.gateway.identity;

import io.github.redisentra.core.CommandTokenSource;
import io.github.redisentra.core.StaticTokenSource;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.gateway.config.UpstreamIdentitySettings;

/**
 * Chooses the gateway's token source from the configuration: {@code LOCAL_REDIS_TOKEN} (static),
 * {@code LOCAL_REDIS_TOKEN_COMMAND}, or an azure-identity credential (managed identity — system-assigned or
 * {@code UAMI_CLIENT_ID}, found the way azure-identity finds it: App Service {@code IDENTITY_ENDPOINT}, AKS workload
 * identity, IMDS —, client secret, client certificate).
 */
public final class UpstreamTokenSources {
    private UpstreamTokenSources() {}

    /** A source of tokens for {@code scope} (the upstream's, or Graph's for overage). */
    public static TokenSource create(UpstreamIdentitySettings config, String scope) {
        return switch (config.source()) {
            case STATIC_TOKEN -> StaticTokenSource.of(config.localRedisToken().orElseThrow());
            case TOKEN_COMMAND ->
                CommandTokenSource.builder(config.localRedisTokenCommand().orElseThrow())
                        .timeout(config.localRedisTokenCommandTimeout())
                        .build();
            case PASSWORD -> throw new IllegalArgumentException("a static password has no token source");
            case AWS_IAM ->
                throw new IllegalArgumentException("an AWS IAM upstream has no Entra token source (scope " + scope
                        + "); its tokens come from UpstreamIdentity.fromSettings");
            default -> AzureIdentities.tokenSource(config, scope);
        };
    }
}
