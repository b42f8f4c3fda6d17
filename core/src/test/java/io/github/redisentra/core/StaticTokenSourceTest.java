package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class StaticTokenSourceTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void aJwtTakesItsExpiryAndObjectIdFromItsClaims() {
        String jwt = TestJwts.unsigned("oid-1", T0, T0.plus(Duration.ofHours(1)));
        StaticTokenSource s = StaticTokenSource.of(" " + jwt + "\n").withClock(new MutableClock(T0));
        AccessToken t = s.getToken(false);
        assertThat(t.secret()).isEqualTo(jwt);
        assertThat(t.expiresAt()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(t.objectId()).contains("oid-1");
        assertThat(s.describe()).doesNotContain(jwt).contains(t.fingerprint());
    }

    @Test
    void anOpaqueTokenNeedsAnExpiryFromTheCaller() {
        assertThatThrownBy(() -> StaticTokenSource.of("opaque-value"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no exp claim")
                .hasMessageContaining("StaticTokenSource.of(token, expiresAt)")
                .hasMessageNotContaining("opaque-value");
        AccessToken t = StaticTokenSource.of("opaque-value", T0.plusSeconds(60))
                .withClock(new MutableClock(T0))
                .getToken(true);
        assertThat(t.expiresAt()).isEqualTo(T0.plusSeconds(60));
    }

    @Test
    void blankOrMultiWordTokensAreRefused() {
        assertThatThrownBy(() -> StaticTokenSource.of("  ", T0)).hasMessageContaining("empty");
        assertThatThrownBy(() -> StaticTokenSource.of("two words", T0))
                .hasMessageContaining("whitespace")
                .hasMessageNotContaining("two words");
    }

    @Test
    void anExpiredStaticTokenIsAnErrorThatSaysSo() {
        MutableClock clock = new MutableClock(T0);
        StaticTokenSource s =
                StaticTokenSource.of("opaque-value", T0.plusSeconds(60)).withClock(clock);
        clock.advance(Duration.ofSeconds(60));
        assertThatThrownBy(() -> s.getToken(false))
                .hasMessageContaining("has expired")
                .hasMessageNotContaining("opaque-value");
    }
}
