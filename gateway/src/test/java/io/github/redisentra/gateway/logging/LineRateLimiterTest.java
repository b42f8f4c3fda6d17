package io.github.redisentra.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LineRateLimiterTest {
    long now = 0;

    @Test
    void aBurstOfFiveSecondsWorthThenTheAverageAndTheNextLineCountsWhatWasLeftOut() {
        LineRateLimiter l = new LineRateLimiter("command_denied", 2, () -> now);
        for (int i = 0; i < 10; i++) {
            assertThat(l.acquire()).as("line %d of the burst", i).isZero();
        }
        for (int i = 0; i < 7; i++) {
            assertThat(l.acquire()).isEqualTo(-1);
        }
        now += TimeUnit.MILLISECONDS.toNanos(500); // one line's worth at 2 per second
        assertThat(l.acquire()).as("left out before this line").isEqualTo(7);
        assertThat(l.acquire()).isEqualTo(-1);
        assertThat(l.suppressedTotal()).isEqualTo(8);
        now += TimeUnit.HOURS.toNanos(1);
        assertThat(l.acquire()).isEqualTo(1);
    }

    @Test
    void zeroWritesEveryLine() {
        LineRateLimiter l = new LineRateLimiter("auth_denied", 0, () -> now);
        for (int i = 0; i < 1000; i++) {
            assertThat(l.acquire()).isZero();
        }
        assertThat(l.suppressedTotal()).isZero();
    }
}
