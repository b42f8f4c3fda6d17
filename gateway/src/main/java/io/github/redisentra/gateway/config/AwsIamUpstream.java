package io.github.redisentra.gateway.config;

import io.github.redisentra.aws.AwsIamTokenSource;

/**
 * The {@code UPSTREAM_AUTH=aws-iam} settings, validated: which ElastiCache / MemoryDB cache and IAM-enabled user the
 * gateway's IAM tokens are for. The AWS credentials are not configuration: they come from the AWS SDK's default
 * provider chain (environment, web identity, container, instance profile…).
 *
 * @param kind node-based ElastiCache, ElastiCache Serverless or MemoryDB ({@code AWS_SERVICE}, {@code AWS_SERVERLESS})
 * @param cacheName {@code AWS_CACHE_NAME}, lowercased
 * @param userId {@code AWS_IAM_USER_ID}, also the upstream user name
 * @param region {@code AWS_REGION}
 */
public record AwsIamUpstream(AwsIamTokenSource.Kind kind, String cacheName, String userId, String region) {

    /** A token source builder for these settings (credentials: the SDK default chain unless the caller sets some). */
    public AwsIamTokenSource.Builder tokenSourceBuilder() {
        return AwsIamTokenSource.builder(kind)
                .cacheName(cacheName)
                .userId(userId)
                .region(region);
    }
}
