package io.github.redisentra.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisURI;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TlsRequirementTest {

    @Test
    void plaintextLettuceUriIsRefusedWithTheFix() {
        assertThatThrownBy(() -> AwsIamLettuce.requireTls(RedisURI.create("redis://my-cache.example:6379")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("my-cache.example:6379")
                .hasMessageContaining("only over TLS")
                .hasMessageContaining("rediss://");
    }

    @Test
    void tlsLettuceUriIsAccepted() {
        RedisURI uri = RedisURI.create("rediss://my-cache.example:6379");
        assertThat(AwsIamLettuce.requireTls(uri)).isSameAs(uri);
    }

    @Test
    void plaintextJedisConfigIsRefusedWithTheFix() {
        HostAndPort endpoint = new HostAndPort("my-cache.example", 6379);
        assertThatThrownBy(() -> AwsIamJedis.requireTls(
                        endpoint, DefaultJedisClientConfig.builder().build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("my-cache.example:6379")
                .hasMessageContaining("only over TLS")
                .hasMessageContaining("ssl(true)");
    }

    @Test
    void tlsJedisConfigIsAccepted() {
        JedisClientConfig config = DefaultJedisClientConfig.builder().ssl(true).build();
        assertThat(AwsIamJedis.requireTls(new HostAndPort("my-cache.example", 6379), config))
                .isSameAs(config);
    }
}
