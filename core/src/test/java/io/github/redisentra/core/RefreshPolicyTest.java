package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RefreshPolicyTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        RefreshPolicy p = RefreshPolicy.defaults();
        assertThat(p.refreshRatio()).isEqualTo(0.75);
        assertThat(p.lowerBound()).isEqualTo(Duration.ofMinutes(3));
        assertThat(p.minimumDelay()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.jitter()).isNull();
        assertThat(p.jitterRatio()).isEqualTo(0.05);
        assertThat(p.initialBackoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.maxBackoff()).isEqualTo(Duration.ofSeconds(60));
        assertThat(p.expiringBackoff()).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.toBuilder().build()).isEqualTo(p);
    }

    @Test
    void badSettingsAreRefusedWithTheirNameAndValue() {
        assertThatThrownBy(() -> RefreshPolicy.builder().refreshRatio(1.0))
                .hasMessageContaining("refreshRatio")
                .hasMessageContaining("1.0");
        assertThatThrownBy(() -> RefreshPolicy.builder().refreshRatio(Double.NaN))
                .hasMessageContaining("refreshRatio");
        assertThatThrownBy(() -> RefreshPolicy.builder().lowerBound(Duration.ofSeconds(-1)))
                .hasMessageContaining("lowerBound");
        assertThatThrownBy(() -> RefreshPolicy.builder().minimumDelay(Duration.ZERO))
                .hasMessageContaining("minimumDelay");
        assertThatThrownBy(() -> RefreshPolicy.builder().jitterRatio(0.6)).hasMessageContaining("jitterRatio");
        assertThatThrownBy(() -> RefreshPolicy.builder().expiringBackoff(Duration.ZERO))
                .hasMessageContaining("expiringBackoff");
        assertThatThrownBy(() -> RefreshPolicy.builder().requestTimeout(Duration.ofSeconds(-1)))
                .hasMessageContaining("requestTimeout");
        assertThatThrownBy(() -> RefreshPolicy.builder()
                        .initialBackoff(Duration.ofSeconds(10))
                        .maxBackoff(Duration.ofSeconds(5))
                        .build())
                .hasMessageContaining("maxBackoff");
    }

    @Test
    void backoffDoublesUpToTheMaximum() {
        RefreshPolicy p = RefreshPolicy.defaults();
        assertThat(p.backoffCeiling(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.backoffCeiling(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.backoffCeiling(6)).isEqualTo(Duration.ofSeconds(32));
        assertThat(p.backoffCeiling(7)).isEqualTo(Duration.ofSeconds(60));
        assertThat(p.backoffCeiling(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(60));
    }
}
