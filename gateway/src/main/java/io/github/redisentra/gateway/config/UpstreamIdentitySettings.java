package io.github.redisentra.gateway.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Who the gateway is towards the upstream cache: the {@link UpstreamCredentialSource kind of credential source} the
 * settings chose and that source's settings. A role's {@code upstream:} block replaces them all
 * ({@link GatewayConfig#withUpstreamIdentity}). Secrets ({@code localRedisToken}, {@code azureClientSecret},
 * {@code azureClientCertificatePassword}, {@code redisPassword}) are only reachable through their accessors: never log
 * them; {@link #toString()} names the source only.
 *
 * @param awsIam the ElastiCache / MemoryDB cache and user, with {@code UPSTREAM_AUTH=aws-iam}; empty otherwise
 * @param objectId {@code REDIS_AAD_OBJECT_ID}; when empty the upstream user name is the {@code oid} of the token
 * @param redisUsername {@code REDIS_USERNAME}, or {@code default}
 * @param authorityHost the Entra authority host (without a trailing slash) the Azure credentials sign in at
 */
public record UpstreamIdentitySettings(
        UpstreamCredentialSource source,
        Optional<AwsIamUpstream> awsIam,
        Optional<String> objectId,
        String tokenScope,
        Optional<String> uamiClientId,
        Optional<String> localRedisToken,
        Optional<String> localRedisTokenCommand,
        Duration localRedisTokenCommandTimeout,
        Optional<String> azureClientId,
        Optional<String> azureTenantId,
        Optional<String> azureClientSecret,
        Optional<Path> azureClientCertificatePath,
        Optional<String> azureClientCertificatePassword,
        Optional<Path> azureFederatedTokenFile,
        String redisUsername,
        Optional<String> redisPassword,
        URI authorityHost,
        HttpSettings http) {

    @Override
    public String toString() {
        return "UpstreamIdentitySettings[" + source.description() + "]";
    }
}
