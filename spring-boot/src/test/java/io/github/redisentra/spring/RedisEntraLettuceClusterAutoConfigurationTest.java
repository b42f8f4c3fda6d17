package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedisEntraLettuceClusterAutoConfigurationTest {

    @Test
    void tlsServerNameIsTheConfiguredOneElseTheFirstNodesHostName() {
        assertThat(RedisEntraLettuceClusterAutoConfiguration.serverName("cache.example", List.of("10.0.0.5:8500")))
                .isEqualTo("cache.example");
        assertThat(RedisEntraLettuceClusterAutoConfiguration.serverName(
                        "", List.of("mycache.westeurope.redis.azure.net:10000", "other:1")))
                .isEqualTo("mycache.westeurope.redis.azure.net");
        assertThat(RedisEntraLettuceClusterAutoConfiguration.serverName(null, List.of("mycache.example")))
                .isEqualTo("mycache.example");
    }

    @Test
    void addressesGiveNoServerName() {
        assertThat(RedisEntraLettuceClusterAutoConfiguration.serverName("", List.of("127.0.0.1:7000")))
                .isNull();
        assertThat(RedisEntraLettuceClusterAutoConfiguration.serverName(" ", List.of("[::1]:7000")))
                .isNull();
        assertThat(RedisEntraLettuceClusterAutoConfiguration.serverName(null, List.of()))
                .isNull();
    }
}
