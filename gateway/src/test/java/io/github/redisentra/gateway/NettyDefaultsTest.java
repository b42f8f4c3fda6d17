package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class NettyDefaultsTest {
    @Test
    void disablesLeakDetectionWhenNothingIsSet() {
        Properties p = new Properties();
        assertThat(NettyDefaults.applyLeakDetectionDefault(p)).isTrue();
        assertThat(p.getProperty("io.netty.leakDetection.level")).isEqualTo("disabled");
    }

    @Test
    void keepsTheOperatorsLevel() {
        Properties p = new Properties();
        p.setProperty("io.netty.leakDetection.level", "advanced");
        assertThat(NettyDefaults.applyLeakDetectionDefault(p)).isFalse();
        assertThat(p.getProperty("io.netty.leakDetection.level")).isEqualTo("advanced");
    }

    @Test
    void keepsALegacySpelling() {
        for (String legacy : new String[] {"io.netty.leakDetectionLevel", "io.netty.noResourceLeakDetection"}) {
            Properties p = new Properties();
            p.setProperty(legacy, legacy.endsWith("Level") ? "paranoid" : "false");
            assertThat(NettyDefaults.applyLeakDetectionDefault(p)).as(legacy).isFalse();
            assertThat(p.getProperty("io.netty.leakDetection.level")).as(legacy).isNull();
        }
    }
}
