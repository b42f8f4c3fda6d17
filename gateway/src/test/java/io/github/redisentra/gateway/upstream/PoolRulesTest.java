package io.github.redisentra.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.upstream.PoolRules.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The warm pool's decisions without sockets (issue #19). */
class PoolRulesTest {
    static final Instant T0 = Instant.parse("2026-12-06T03:00:00Z");
    static final Duration MARGIN = Duration.ofSeconds(5);
    static final Duration MAX_IDLE = Duration.ofMinutes(5);
    static final AccessToken TOKEN = AccessToken.opaque("t1", null, T0.plus(Duration.ofHours(1)));
    static final AccessToken RENEWED = AccessToken.opaque("t2", null, T0.plus(Duration.ofMinutes(90)));

    static Verdict at(Instant now, AccessToken current) {
        return PoolRules.check(TOKEN, TOKEN.expiresAt(), T0, current, now, MARGIN, MAX_IDLE);
    }

    @Test
    void aWarmConnectionAuthenticatedWithTheCurrentTokenAndNotIdleTooLongIsHandedOut() {
        assertThat(at(T0, TOKEN)).isEqualTo(Verdict.USABLE);
        assertThat(at(T0.plus(MAX_IDLE).minusMillis(1), TOKEN)).isEqualTo(Verdict.USABLE);
        // an equal token object from another read of the identity is the same token
        assertThat(at(T0, AccessToken.opaque("t1", null, TOKEN.expiresAt()))).isEqualTo(Verdict.USABLE);
    }

    @Test
    void oneAuthenticatedWithATokenTheIdentityHasRenewedSinceIsNot() {
        assertThat(at(T0, RENEWED)).isEqualTo(Verdict.RENEWED);
    }

    @Test
    void oneWhoseAuthenticationEndsWithinTheMarginIsNotEvenIfTheTokenIsStillCurrent() {
        Instant edge = TOKEN.expiresAt().minus(MARGIN);
        assertThat(PoolRules.check(TOKEN, TOKEN.expiresAt(), edge, TOKEN, edge.minusMillis(1), MARGIN, MAX_IDLE))
                .isEqualTo(Verdict.USABLE);
        assertThat(PoolRules.check(TOKEN, TOKEN.expiresAt(), edge, TOKEN, edge, MARGIN, MAX_IDLE))
                .isEqualTo(Verdict.EXPIRING);
        assertThat(PoolRules.check(TOKEN, TOKEN.expiresAt(), edge, TOKEN, TOKEN.expiresAt(), MARGIN, MAX_IDLE))
                .isEqualTo(Verdict.EXPIRING);
        // a connection limit counted from the AUTH (AWS IAM) rather than the token's expiry
        Instant limit = T0.plus(Duration.ofMinutes(1));
        assertThat(PoolRules.check(TOKEN, limit, T0, TOKEN, limit.minus(MARGIN), MARGIN, MAX_IDLE))
                .isEqualTo(Verdict.EXPIRING);
    }

    @Test
    void oneIdleForTheIdleLimitIsNotAndZeroMeansNoLimit() {
        assertThat(at(T0.plus(MAX_IDLE), TOKEN)).isEqualTo(Verdict.IDLE);
        assertThat(PoolRules.check(
                        TOKEN, TOKEN.expiresAt(), T0, TOKEN, T0.plus(Duration.ofMinutes(50)), MARGIN, Duration.ZERO))
                .isEqualTo(Verdict.USABLE);
    }

    @Test
    void theSizeIsSpreadEvenlyOverTheEventLoops() {
        assertThat(IntStream.range(0, 4).map(i -> PoolRules.share(10, 4, i)).toArray())
                .containsExactly(3, 3, 2, 2);
        assertThat(IntStream.range(0, 4).map(i -> PoolRules.share(2, 4, i)).toArray())
                .containsExactly(1, 1, 0, 0);
        assertThat(IntStream.range(0, 3).map(i -> PoolRules.share(9, 3, i)).sum())
                .isEqualTo(9);
    }

    @Test
    void aTokenIsWorthDiallingWithOnlyIfItOutlivesTheMargin() {
        assertThat(PoolRules.worthDialling(null, T0, MARGIN)).isFalse();
        assertThat(PoolRules.worthDialling(TOKEN, T0, MARGIN)).isTrue();
        assertThat(PoolRules.worthDialling(TOKEN, TOKEN.expiresAt().minus(MARGIN), MARGIN))
                .isFalse();
    }

    @Test
    void failedFillsWaitLongerEachTimeUpTo30Seconds() {
        assertThat(PoolRules.retryAfter(1)).isEqualTo(Duration.ofMillis(250));
        assertThat(PoolRules.retryAfter(2)).isEqualTo(Duration.ofMillis(500));
        assertThat(PoolRules.retryAfter(5)).isEqualTo(Duration.ofSeconds(4));
        assertThat(PoolRules.retryAfter(100)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void warmConnectionsAreCheckedAQuarterOfTheIdleLimitApartWithinBounds() {
        assertThat(PoolRules.sweepPeriod(Duration.ofMinutes(5), MARGIN)).isEqualTo(Duration.ofSeconds(30));
        assertThat(PoolRules.sweepPeriod(Duration.ofSeconds(8), MARGIN)).isEqualTo(Duration.ofSeconds(2));
        assertThat(PoolRules.sweepPeriod(Duration.ofMillis(100), MARGIN)).isEqualTo(Duration.ofSeconds(1));
        assertThat(PoolRules.sweepPeriod(Duration.ZERO, MARGIN)).isEqualTo(Duration.ofSeconds(30));
    }
}
