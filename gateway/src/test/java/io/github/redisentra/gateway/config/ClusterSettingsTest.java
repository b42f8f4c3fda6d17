package io.github.redisentra.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClusterSettingsTest {
    static final HostPort LISTEN = new HostPort("10.1.2.3", 6388);

    static ClusterSettings parse(Map<Setting, String> values, HostPort listen, List<String> problems) {
        Map<Setting, String> m = new EnumMap<>(Setting.class);
        m.putAll(values);
        return ClusterSettings.parse(m, listen, problems::add);
    }

    @Test
    void defaultsAreAutoTheThirtyTwoPortsAfterTheListenerAndItsHost() {
        List<String> problems = new ArrayList<>();
        ClusterSettings s = ClusterSettings.parse(new EnumMap<>(Setting.class), LISTEN, problems::add);
        assertThat(problems).isEmpty();
        assertThat(s)
                .isEqualTo(new ClusterSettings(
                        ClusterSettings.Mode.AUTO,
                        new ClusterSettings.PortRange(6389, 6420),
                        Optional.of("10.1.2.3"),
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(30)));
    }

    @Test
    void listenPortZeroMeansFreePortsForTheNodes() {
        List<String> problems = new ArrayList<>();
        ClusterSettings s = parse(Map.of(), new HostPort("127.0.0.1", 0), problems);
        assertThat(problems).isEmpty();
        assertThat(s.ports().any()).isTrue();
        assertThat(s.ports().contains(0)).isFalse();
    }

    @Test
    void aWildcardListenerHasNoAnnounceHostAndOnRequiresOne() {
        List<String> problems = new ArrayList<>();
        HostPort any = new HostPort("0.0.0.0", 6388);
        assertThat(parse(Map.of(), any, problems).announceHost()).isEmpty();
        assertThat(problems).isEmpty(); // auto: decided at start, when the cache turns out to be a cluster
        parse(Map.of(Setting.REDIS_CLUSTER, "on"), any, problems);
        assertThat(problems).singleElement().asString().contains("CLUSTER_ANNOUNCE_HOST");
        problems.clear();
        ClusterSettings s = parse(
                Map.of(Setting.REDIS_CLUSTER, "ON", Setting.CLUSTER_ANNOUNCE_HOST, "gw.example"),
                new HostPort("::", 6388),
                problems);
        assertThat(problems).isEmpty();
        assertThat(s.mode()).isEqualTo(ClusterSettings.Mode.ON);
        assertThat(s.announceHost()).contains("gw.example");
    }

    @Test
    void everyBadValueIsReported() {
        List<String> problems = new ArrayList<>();
        parse(
                Map.of(
                        Setting.REDIS_CLUSTER, "yes",
                        Setting.CLUSTER_LISTEN_PORTS, "7010-7001",
                        Setting.CLUSTER_ANNOUNCE_HOST, "a b",
                        Setting.CLUSTER_REFRESH_INTERVAL, "1ms",
                        Setting.CLUSTER_NODE_GRACE, "soon"),
                LISTEN,
                problems);
        assertThat(problems)
                .hasSize(5)
                .anyMatch(p -> p.startsWith("REDIS_CLUSTER must be auto, on or off"))
                .anyMatch(p -> p.startsWith("CLUSTER_LISTEN_PORTS must be a port range"))
                .anyMatch(p -> p.startsWith("CLUSTER_ANNOUNCE_HOST must be"))
                .anyMatch(p -> p.startsWith("CLUSTER_REFRESH_INTERVAL must be"))
                .anyMatch(p -> p.startsWith("CLUSTER_NODE_GRACE must be"));
    }

    @Test
    void aRangeMustNotContainTheListenersOwnPort() {
        List<String> problems = new ArrayList<>();
        ClusterSettings s = parse(Map.of(Setting.CLUSTER_LISTEN_PORTS, "6380-6399"), LISTEN, problems);
        assertThat(problems).singleElement().asString().contains("contains LISTEN_ADDR's port 6388");
        problems.clear();
        s = parse(Map.of(Setting.CLUSTER_LISTEN_PORTS, "7001-7006"), LISTEN, problems);
        assertThat(problems).isEmpty();
        assertThat(s.ports()).isEqualTo(new ClusterSettings.PortRange(7001, 7006));
        assertThat(s.ports().size()).isEqualTo(6);
    }

    @Test
    void theGatewayConfigurationCarriesThem() throws Exception {
        GatewayConfig c = GatewayConfig.from(Map.of(
                "TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "EXPECTED_AUDIENCE", "api://gw",
                "ALLOW_ANY_TENANT_USER", "true",
                "REDIS_HOSTPORT", "127.0.0.1:6380",
                "LISTEN_ADDR", "127.0.0.1:7000",
                "REDIS_CLUSTER", "off"));
        assertThat(c.cluster().mode()).isEqualTo(ClusterSettings.Mode.OFF);
        assertThat(c.cluster().ports()).isEqualTo(new ClusterSettings.PortRange(7001, 7032));
        assertThat(c.cluster().announceHost()).contains("127.0.0.1");
    }
}
