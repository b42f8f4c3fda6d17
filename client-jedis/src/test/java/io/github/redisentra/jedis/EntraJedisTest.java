package io.github.redisentra.jedis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.StaticTokenSource;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.exceptions.JedisClusterOperationException;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EntraJedisTest {

    static TokenRefresher refresher() {
        return TokenRefresher.builder(
                        StaticTokenSource.of("opaque-test-token", Instant.now().plusSeconds(3600)))
                .build();
    }

    @Test
    void buildingWithoutAServerNamesTheMissingSetting() {
        try (TokenRefresher refresher = refresher()) {
            assertThatThrownBy(() -> EntraJedis.builder(refresher).build())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("hostAndPort");
        }
    }

    @Test
    void aBlankUsernameIsRefusedWithAHint() {
        try (TokenRefresher refresher = refresher()) {
            assertThatThrownBy(() -> EntraJedis.builder(refresher).username(" "))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("oid");
        }
    }

    @Test
    void thePoolAlwaysTestsAllIdleConnectionsSoRenewalsReachThem() {
        ConnectionPoolConfig mine = new ConnectionPoolConfig();
        mine.setTestWhileIdle(false);
        mine.setNumTestsPerEvictionRun(3);
        mine.setTimeBetweenEvictionRuns(Duration.ZERO);
        mine.setMaxTotal(5);
        try (TokenRefresher refresher = refresher();
                RedisClient client = EntraJedis.builder(refresher)
                        .hostAndPort(new HostAndPort("127.0.0.1", 1)) // never connected: the pool is lazy
                        .poolConfig(mine)
                        .build()) {
            assertThat(client.getPool().getTestWhileIdle()).isTrue();
            assertThat(client.getPool().getNumTestsPerEvictionRun()).isEqualTo(-1);
            assertThat(client.getPool().getDurationBetweenEvictionRuns()).isEqualTo(Duration.ofSeconds(30));
            assertThat(client.getPool().getMaxTotal()).isEqualTo(5);
            assertThat(EntraJedis.openConnections(client)).isZero();
            assertThat(mine.getTestWhileIdle())
                    .as("the caller's config is not modified")
                    .isFalse();
        }
    }

    @Test
    void bothBuildersAcceptAZeroFirstTokenWaitAndRefuseANegativeOne() {
        try (TokenRefresher refresher = refresher()) {
            assertThat(EntraJedis.builder(refresher).firstTokenWait(Duration.ZERO))
                    .isNotNull();
            assertThat(EntraJedisCluster.builder(refresher).firstTokenWait(Duration.ZERO))
                    .isNotNull();
            assertThatThrownBy(() -> EntraJedis.builder(refresher).firstTokenWait(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("firstTokenWait");
            assertThatThrownBy(() -> EntraJedisCluster.builder(refresher).firstTokenWait(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("firstTokenWait");
        }
    }

    @Test
    void aClusterClientBuiltWithoutWaitingForATokenStartsWithoutItsTopologyAndSaysWhy() {
        TokenSource failing = new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) throws Exception {
                throw new java.io.IOException("identity provider unreachable (test)");
            }

            @Override
            public String describe() {
                return "always failing (test)";
            }
        };
        try (TokenRefresher refresher = TokenRefresher.builder(failing).build();
                RedisClusterClient client = EntraJedisCluster.builder(refresher)
                        .node(new HostAndPort("127.0.0.1", 1)) // never answers; must not be needed to build
                        .firstTokenWait(Duration.ZERO)
                        .build()) {
            assertThat(client.getClusterNodes()).isEmpty();
            assertThat(EntraJedisCluster.openConnections(client)).isZero();
            assertThat(EntraJedisCluster.connectionsOnExpiredTokens(client)).isZero();
            assertThatThrownBy(() -> client.get("k"))
                    .isInstanceOf(JedisClusterOperationException.class)
                    .hasMessageContaining("No cluster topology yet");
        }
    }
}
