package io.github.redisentra.aws;

import io.lettuce.core.RedisURI;
import java.util.Objects;

/**
 * Lettuce configuration checks for ElastiCache / MemoryDB IAM authentication. Both services accept IAM tokens only over
 * TLS (in-transit encryption); a plaintext configuration would send a bearer credential in clear and then fail, so it is
 * refused before connecting.
 *
 * <pre>{@code
 * RedisURI uri = AwsIamLettuce.requireTls(RedisURI.builder()
 *         .withHost("master.my-cache.xxxxxx.euw1.cache.amazonaws.com").withPort(6379).withSsl(true)
 *         .withAuthentication(EntraCredentialsProvider.builder(refresher).usernameFrom(source).build())
 *         .build());
 * }</pre>
 *
 * Needs {@code io.lettuce:lettuce-core} on the class path (this module declares it optional).
 */
public final class AwsIamLettuce {
    private AwsIamLettuce() {}

    /**
     * Returns {@code uri} when it uses TLS.
     *
     * @throws IllegalArgumentException when it does not, naming the endpoint and the fix
     */
    public static RedisURI requireTls(RedisURI uri) {
        Objects.requireNonNull(uri, "uri");
        if (!uri.isSsl()) {
            throw new IllegalArgumentException(TlsRequirement.message("Lettuce RedisURI", uri.getHost(), uri.getPort())
                    + ": use a rediss:// URI or RedisURI.Builder.withSsl(true)");
        }
        return uri;
    }
}
