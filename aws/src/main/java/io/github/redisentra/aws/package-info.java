/**
 * AWS ElastiCache and MemoryDB IAM authentication for redis-entra: {@link io.github.redisentra.aws.AwsIamTokenSource}
 * mints the SigV4-presigned tokens those services accept as the {@code AUTH} password, for the same refresh engine
 * and client providers the Entra sources use.
 */
package io.github.redisentra.aws;
