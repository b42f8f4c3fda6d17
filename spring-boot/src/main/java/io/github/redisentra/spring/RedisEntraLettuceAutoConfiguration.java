package io.github.redisentra.spring;

import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.lettuce.EntraCredentialsProvider;
import io.github.redisentra.lettuce.EntraLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientConfigurationBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.connection.lettuce.RedisCredentialsProviderFactory;

/**
 * Lettuce, through Boot's own customizers only: Boot keeps building the client options (SSL bundle, timeouts, cluster
 * topology refresh, everything under {@code spring.data.redis.*}); this adds three things to them:
 *
 * <ul>
 *   <li>a credentials-provider factory that hands every connection the one shared {@link EntraCredentialsProvider}
 *       (it answers from memory, or waits for the refresher without holding a thread: no Netty or Reactor thread
 *       ever blocks on a token);
 *   <li>{@code ReauthenticateBehavior.ON_NEW_CREDENTIALS}, so open connections {@code AUTH} again with each renewed
 *       token;
 *   <li>the protocol ({@code redis.entra.protocol}, RESP3 by default: the only one on which Lettuce re-authenticates
 *       pub/sub connections).
 * </ul>
 *
 * Re-authentication outcomes from Lettuce's event bus feed the statistics (health, metrics).
 */
@AutoConfiguration(before = DataRedisAutoConfiguration.class, after = RedisEntraAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "redis.entra.enabled")
@ConditionalOnClass({LettuceConnectionFactory.class, EntraCredentialsProvider.class, ClientOptions.class})
@ConditionalOnProperty(name = "spring.data.redis.client-type", havingValue = "lettuce", matchIfMissing = true)
public class RedisEntraLettuceAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(RedisEntraLettuceAutoConfiguration.class);

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    EntraCredentialsProvider redisEntraCredentialsProvider(
            TokenRefresher refresher,
            TokenSource source,
            RedisEntraProperties properties,
            RedisEntraAutoConfiguration.RedisEntraStartup startup) {
        EntraCredentialsProvider.Builder b =
                EntraCredentialsProvider.builder(refresher).usernameFrom(source);
        if (properties.getTokenWait() != null) {
            b.tokenWait(properties.getTokenWait());
        }
        if (properties.getUsername() != null && !properties.getUsername().isBlank()) {
            b.username(properties.getUsername());
        }
        return b.build();
    }

    @Bean
    LettuceClientConfigurationBuilderCustomizer redisEntraLettuceCredentials(EntraCredentialsProvider credentials) {
        RedisCredentialsProviderFactory factory = new RedisCredentialsProviderFactory() {
            @Override
            public RedisCredentialsProvider createCredentialsProvider(RedisConfiguration configuration) {
                return credentials; // one provider for every connection: one token request per renewal
            }
        };
        return builder -> builder.redisCredentialsProviderFactory(factory);
    }

    @Bean
    LettuceClientOptionsBuilderCustomizer redisEntraLettuceClientOptions(RedisEntraProperties properties) {
        ProtocolVersion protocol = properties.getProtocol() == RedisEntraProperties.Protocol.RESP2
                ? ProtocolVersion.RESP2
                : ProtocolVersion.RESP3;
        if (protocol == ProtocolVersion.RESP2) {
            log.warn("redis.entra.protocol=RESP2: Lettuce cannot re-authenticate pub/sub connections on RESP2;"
                    + " they are dropped when their token expires. Use RESP3 unless the server lacks it.");
        }
        return builder -> builder.reauthenticateBehavior(ClientOptions.ReauthenticateBehavior.ON_NEW_CREDENTIALS)
                .protocolVersion(protocol);
    }

    @Bean(destroyMethod = "close")
    LettuceReauthenticationWatch redisEntraLettuceReauthenticationWatch(
            ObjectProvider<ClientResources> resources, RedisEntraStatistics statistics) {
        return new LettuceReauthenticationWatch(resources.getIfAvailable(), statistics);
    }

    /** Counts Lettuce's re-authentication events and logs failures. */
    static final class LettuceReauthenticationWatch implements AutoCloseable {
        private final AutoCloseable watch;

        LettuceReauthenticationWatch(ClientResources resources, RedisEntraStatistics statistics) {
            if (resources == null) {
                log.warn("redis.entra: no Lettuce ClientResources bean; re-authentication outcomes are not counted");
                this.watch = () -> {};
                return;
            }
            ReauthenticationListener logging = ReauthenticationListener.logging();
            this.watch = EntraLettuce.watchReauthentication(resources, new ReauthenticationListener() {
                @Override
                public void onReauthenticated(String endpointId, String tokenFingerprint) {
                    statistics.reauthenticated();
                    logging.onReauthenticated(endpointId, tokenFingerprint);
                }

                @Override
                public void onReauthenticationFailed(String endpointId, Throwable cause) {
                    statistics.reauthenticationFailed();
                    logging.onReauthenticationFailed(endpointId, cause);
                }
            });
        }

        @Override
        public void close() throws Exception {
            watch.close();
        }
    }
}
