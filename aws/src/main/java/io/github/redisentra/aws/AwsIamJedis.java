package io.github.redisentra.aws;

import java.util.Objects;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/**
 * Jedis configuration checks for ElastiCache / MemoryDB IAM authentication. Both services accept IAM tokens only over
 * TLS (in-transit encryption); a plaintext configuration would send a bearer credential in clear and then fail, so it is
 * refused before connecting.
 *
 * <pre>{@code
 * HostAndPort endpoint = new HostAndPort("master.my-cache.xxxxxx.euw1.cache.amazonaws.com", 6379);
 * JedisClientConfig config = AwsIamJedis.requireTls(endpoint, DefaultJedisClientConfig.builder().ssl(true).build());
 * RedisClient redis = EntraJedis.builder(refresher).usernameFrom(source)
 *         .hostAndPort(endpoint).clientConfig(config).build();
 * }</pre>
 *
 * Needs {@code redis.clients:jedis} on the class path (this module declares it optional).
 */
public final class AwsIamJedis {
    private AwsIamJedis() {}

    /**
     * Returns {@code config} when it uses TLS.
     *
     * @param endpoint named in the error message only
     * @throws IllegalArgumentException when it does not, naming the endpoint and the fix
     */
    public static JedisClientConfig requireTls(HostAndPort endpoint, JedisClientConfig config) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(config, "config");
        if (!config.isSsl()) {
            throw new IllegalArgumentException(
                    TlsRequirement.message("Jedis client configuration", endpoint.getHost(), endpoint.getPort())
                            + ": build it with DefaultJedisClientConfig.builder().ssl(true)");
        }
        return config;
    }
}
