package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Boot on Lettuce with {@code spring.data.redis.cluster.nodes} against the 3-master / 3-replica TLS cluster stand-in
 * (certificate naming only the cache host, tokens accepted only while current, connections cut at expiry): templates
 * spread keys over the shards across token renewals.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LettuceClusterSpringBootIT extends ClusterSpringBootITBase {

    @Test
    void templatesWorkOnEveryShardAcrossRenewals() throws Exception {
        try (ConfigurableApplicationContext context = startApplication()) {
            LettuceConnectionFactory factory = context.getBean(LettuceConnectionFactory.class);
            ClientOptions options =
                    factory.getClientConfiguration().getClientOptions().orElseThrow();
            assertThat(options).isInstanceOf(ClusterClientOptions.class);
            assertThat(options.getReauthenticateBehaviour())
                    .isEqualTo(ClientOptions.ReauthenticateBehavior.ON_NEW_CREDENTIALS);

            templatesWorkAcrossRenewals(context, "Lettuce");
        }
    }
}
