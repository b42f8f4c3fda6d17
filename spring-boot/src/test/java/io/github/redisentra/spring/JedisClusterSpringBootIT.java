package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;

/**
 * Boot on Jedis ({@code spring.data.redis.client-type=jedis}) with {@code spring.data.redis.cluster.nodes} against the
 * 3-master / 3-replica TLS cluster stand-in (certificate naming only the cache host, tokens accepted only while
 * current, connections cut at expiry): templates spread keys over the shards across token renewals with no connection
 * cut at expiry.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JedisClusterSpringBootIT extends ClusterSpringBootITBase {

    @Test
    void templatesWorkOnEveryShardAcrossRenewals() throws Exception {
        try (ConfigurableApplicationContext context = startApplication("spring.data.redis.client-type=jedis")) {
            JedisConnectionFactory factory = context.getBean(JedisConnectionFactory.class);
            assertThat(factory.isRedisClusterAware()).isTrue();
            long cutBefore = cluster.connectionsCut();
            templatesWorkAcrossRenewals(context, "Jedis");
            assertThat(cluster.connectionsCut() - cutBefore)
                    .as("connections cut at expiry")
                    .isZero();
        }
    }
}
