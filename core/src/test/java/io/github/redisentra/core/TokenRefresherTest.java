package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class TokenRefresherTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final MutableClock clock = new MutableClock(T0);
    private final DeterministicScheduler scheduler = new DeterministicScheduler(clock);
    private final ScriptedTokenSource source = new ScriptedTokenSource(clock);
    private final List<TokenRefresher> refreshers = new ArrayList<>();

    @AfterEach
    void closeAll() {
        refreshers.forEach(TokenRefresher::close);
    }

    private TokenRefresher start(RefreshPolicy policy) {
        return start(policy, FixedRandom.lowest());
    }

    private TokenRefresher start(RefreshPolicy policy, RandomGenerator random) {
        TokenRefresher r = TokenRefresher.builder(source)
                .policy(policy)
                .clock(clock)
                .scheduler(scheduler)
                .random(random)
                .name("test")
                .build();
        refreshers.add(r);
        return r;
    }

    private static RefreshPolicy.Builder noJitter() {
        return RefreshPolicy.builder().jitter(Duration.ZERO);
    }

    /** A listener that records what it hears. */
    static final class Recorder implements TokenListener {
        final List<AccessToken> tokens = new ArrayList<>();
        final List<Integer> failureCounts = new ArrayList<>();
        final List<Instant> failureNextAttempts = new ArrayList<>();

        @Override
        public synchronized void onToken(AccessToken token) {
            tokens.add(token);
        }

        @Override
        public synchronized void onRefreshFailure(Throwable error, int consecutiveFailures, Instant nextAttempt) {
            failureCounts.add(consecutiveFailures);
            failureNextAttempts.add(nextAttempt);
        }

        synchronized List<AccessToken> tokens() {
            return List.copyOf(tokens);
        }
    }

    @Test
    void firstTokenIsFetchedAsynchronouslyFromCacheThenRenewedAtRatioWithForceRefresh() throws Exception {
        TokenRefresher r = start(noJitter().build());
        assertThat(r.firstToken()).isNotDone();
        assertThat(source.calls()).isZero();

        scheduler.runDue();
        assertThat(r.firstToken()).isCompleted();
        AccessToken first = r.firstToken().get();
        assertThat(r.current()).contains(first);
        assertThat(r.status().nextAttempt()).isEqualTo(T0.plus(Duration.ofMinutes(45)));

        scheduler.advance(Duration.ofMinutes(45));
        assertThat(source.callTimes()).containsExactly(T0, T0.plus(Duration.ofMinutes(45)));
        assertThat(source.forceFlags).containsExactly(false, true);
        assertThat(r.current()).isPresent().get().isNotEqualTo(first);
    }

    @Test
    void lowerBoundWinsWhenItComesBeforeTheRatio() {
        TokenRefresher r = start(
                noJitter().refreshRatio(0.99).lowerBound(Duration.ofMinutes(3)).build());
        scheduler.runDue();
        assertThat(r.status().nextAttempt()).isEqualTo(T0.plus(Duration.ofMinutes(57)));
    }

    @Test
    void renewalIsMeasuredFromTheTokensIssueTimeNotFromWhenItArrived() {
        // A cached token issued 40 minutes ago with 20 minutes left: renew at iat + 45 min = 5 minutes from now.
        source.behave((s, force) -> force
                ? s.mint()
                : AccessToken.opaque("cached", T0.minus(Duration.ofMinutes(40)), T0.plus(Duration.ofMinutes(20))));
        TokenRefresher r = start(noJitter().build());
        scheduler.runDue();
        assertThat(r.status().nextAttempt()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
    }

    @Test
    void aClockBehindTheIssuerDoesNotPostponeRenewal() {
        // iat lies 10 minutes in this host's future: anchor to the request time, not to the issuer's clock.
        source.behave((s, force) -> AccessToken.opaque(
                "ahead-" + s.calls(), T0.plus(Duration.ofMinutes(10)), T0.plus(Duration.ofMinutes(70))));
        TokenRefresher r = start(noJitter().build());
        scheduler.runDue();
        assertThat(r.status().nextAttempt()).isEqualTo(T0.plus(Duration.ofMinutes(45)));
    }

    @Test
    void shortTokenWithLowerBoundAboveItsLifetimeRenewsAtRatioNotInALoop() {
        source.lifetime(Duration.ofSeconds(20));
        TokenRefresher r = start(RefreshPolicy.defaults()); // 3 min lower bound, 10 s minimum delay
        scheduler.runDue();
        assertThat(r.status().nextAttempt()).isAfterOrEqualTo(T0.plus(Duration.ofMillis(14_250)));

        scheduler.advance(Duration.ofMinutes(10));

        List<Instant> calls = source.callTimes();
        // 600 s / 15 s = 40 renewals (jitter can only move them a little earlier).
        assertThat(calls.size()).isBetween(40, 44);
        assertGapsAtLeast(calls, Duration.ofSeconds(10));
    }

    @Test
    void aTokenAlreadyExpiredOnArrivalCannotMakeTheRefresherLoop() {
        // Skewed or stale: every token the source hands out expired a minute ago by this host's clock.
        source.behave((s, force) -> {
            Instant now = clock.instant();
            return AccessToken.opaque("stale-" + s.calls(), now.minus(Duration.ofMinutes(61)), now.minusSeconds(60));
        });
        start(RefreshPolicy.defaults());
        scheduler.advance(Duration.ofSeconds(100));
        assertThat(source.calls()).isBetween(10, 11);
        assertGapsAtLeast(source.callTimes(), Duration.ofSeconds(10));
    }

    @Test
    void theSameTokenReturnedAgainIsNotDeliveredAndTheRefresherBacksOff() {
        // A cache that ignores forceRefresh: always the same token, well inside the lower bound.
        AccessToken cached =
                AccessToken.opaque("cached", T0.minus(Duration.ofMinutes(58)), T0.plus(Duration.ofMinutes(2)));
        source.behave((s, force) -> cached);
        TokenRefresher r = start(RefreshPolicy.defaults());
        Recorder rec = new Recorder();
        r.subscribe(rec);
        scheduler.advance(Duration.ofMinutes(10));

        assertThat(rec.tokens()).containsExactly(cached);
        assertThat(rec.failureCounts).isNotEmpty();
        // First fetch + renewals at ≥ 10 s, the backoff then growing to 30-60 s: dozens, not thousands.
        assertThat(source.calls()).isBetween(10, 30);
        assertGapsAtLeast(source.callTimes(), Duration.ofSeconds(10));
        assertThat(r.status().lastFailureMessage()).contains("already holds").doesNotContain("cached\"");
    }

    @Test
    void failuresWhileTheTokenIsFarFromExpiryBackOffExponentiallyWithinBoundsAndNeverGiveUp() {
        RefreshPolicy policy = noJitter().build();
        source.lifetime(Duration.ofHours(20)); // renewal due at 15 h; 5 h of valid token left to fail through
        Recorder rec = new Recorder();
        TokenRefresher r = start(policy, new java.util.SplittableRandom(42));
        scheduler.runDue();
        source.behave((s, force) -> {
            throw new java.io.IOException("token endpoint unreachable");
        });
        r.subscribe(rec);
        scheduler.advance(Duration.ofHours(15));
        Instant renewal = clock.instant();
        scheduler.advance(Duration.ofHours(3));

        List<Instant> calls = source.callTimes().subList(1, source.calls());
        assertThat(calls.get(0)).isEqualTo(renewal);
        for (int i = 1; i < calls.size(); i++) {
            Duration gap = Duration.between(calls.get(i - 1), calls.get(i));
            Duration ceiling = policy.backoffCeiling(i);
            assertThat(gap).isBetween(ceiling.dividedBy(2), ceiling);
        }
        // Still trying at the end: 3 hours at ≤ 60 s apart is at least 180 attempts, and the last one is recent.
        assertThat(calls.size()).isGreaterThan(180).isLessThan(400);
        assertThat(Duration.between(calls.get(calls.size() - 1), clock.instant()))
                .isLessThanOrEqualTo(Duration.ofSeconds(60));
        assertThat(r.status().consecutiveFailures()).isEqualTo(calls.size());
        assertThat(rec.failureCounts).hasSize(calls.size());
        assertThat(rec.failureCounts.get(rec.failureCounts.size() - 1)).isEqualTo(calls.size());
        assertThat(r.status().lastFailureMessage()).contains("IOException", "token endpoint unreachable");
    }

    @Test
    void backoffJitterCoversTheLowerAndUpperHalfOfTheCeiling() {
        start(noJitter().build(), FixedRandom.lowest());
        scheduler.runDue();
        source.behave((s, force) -> {
            throw new IllegalStateException("down");
        });
        scheduler.advance(Duration.ofMinutes(45));
        assertThat(source.calls()).isEqualTo(2);
        scheduler.advance(Duration.ofMillis(499));
        assertThat(source.calls()).isEqualTo(2);
        scheduler.advance(Duration.ofMillis(1));
        assertThat(source.calls()).isEqualTo(3); // 1 s ceiling, lowest jitter: 0.5 s

        MutableClock clock2 = new MutableClock(T0);
        DeterministicScheduler scheduler2 = new DeterministicScheduler(clock2);
        ScriptedTokenSource failing = new ScriptedTokenSource(clock2);
        TokenRefresher r2 = TokenRefresher.builder(failing)
                .policy(noJitter().build())
                .clock(clock2)
                .scheduler(scheduler2)
                .random(FixedRandom.highest())
                .build();
        refreshers.add(r2);
        scheduler2.runDue();
        failing.behave((s, force) -> {
            throw new IllegalStateException("down");
        });
        scheduler2.advance(Duration.ofMinutes(45));
        scheduler2.advance(Duration.ofMillis(999));
        assertThat(failing.calls()).isEqualTo(2);
        scheduler2.advance(Duration.ofMillis(1));
        assertThat(failing.calls()).isEqualTo(3); // highest jitter: (almost) the full 1 s ceiling
    }

    @Test
    void withoutAnyTokenEverRetriesBackOffExponentiallyToTheCapWithJitterForever() {
        source.behave((s, force) -> {
            throw new java.io.IOException("token endpoint unreachable");
        });
        RefreshPolicy policy = RefreshPolicy.defaults();
        TokenRefresher r = start(policy, new java.util.SplittableRandom(7));
        scheduler.advance(Duration.ofMinutes(30));
        List<Instant> calls = source.callTimes();
        for (int i = 1; i < calls.size(); i++) {
            Duration ceiling = policy.backoffCeiling(i);
            assertThat(Duration.between(calls.get(i - 1), calls.get(i))).isBetween(ceiling.dividedBy(2), ceiling);
        }
        // 1, 2, 4 ... s up to the 60 s cap (30-60 s apart there): 30 minutes make dozens of requests, not 600+.
        assertThat(calls.size()).isBetween(35, 70);
        assertGapsBetween(
                calls.subList(calls.size() - 10, calls.size()), Duration.ofSeconds(30), Duration.ofSeconds(60));
        assertThat(Duration.between(calls.get(calls.size() - 1), clock.instant()))
                .isLessThanOrEqualTo(Duration.ofSeconds(60));
        assertThat(r.status().consecutiveFailures()).isEqualTo(calls.size());
        assertThat(r.status().lastFailureMessage()).contains("IOException: token endpoint unreachable");
        assertThat(r.firstToken()).isNotDone();
    }

    @Test
    void withoutAnyTokenEverAThrottleHintIsStillRespected() {
        source.behave((s, force) -> {
            throw new java.io.IOException(
                    "silent token renewal failed", new com.microsoft.aad.msal4j.MsalThrottlingException(7_000));
        });
        TokenRefresher r = start(noJitter().build(), FixedRandom.lowest());
        scheduler.advance(Duration.ofSeconds(22));
        // At the hint (7 s, lowest jitter: 0), never sooner, and the hint does not grow the backoff.
        assertThat(source.callTimes()).containsExactly(T0, T0.plusSeconds(7), T0.plusSeconds(14), T0.plusSeconds(21));
        assertThat(r.status().consecutiveFailures()).isEqualTo(4);
    }

    @Test
    void outageAcrossExpiryRecoversWithinThreeSecondsAtMostOneRequestPerTwoSeconds() {
        // The issue's scenario: 20 s tokens, a 45 s outage starting at a renewal, so the token expires mid-outage.
        source.lifetime(Duration.ofSeconds(20));
        TokenRefresher r = start(
                RefreshPolicy.builder().minimumDelay(Duration.ofSeconds(2)).build(),
                new java.util.SplittableRandom(11));
        scheduler.runDue();
        Instant outageStart = r.status().nextAttempt();
        Instant outageEnd = outageStart.plus(Duration.ofSeconds(45));
        source.behave((s, force) -> {
            if (clock.instant().isBefore(outageEnd)) {
                throw new java.io.IOException("HTTP 503 temporarily_unavailable");
            }
            return s.mint();
        });
        scheduler.advance(Duration.between(clock.instant(), outageEnd.plusSeconds(10)));

        List<Instant> during = source.callTimes().stream()
                .filter(t -> !t.isBefore(outageStart) && t.isBefore(outageEnd))
                .toList();
        // 45 s at ≤ 1 request per 2 s: at most 23 (the backoff starts at 0.5-1 s while the token is still valid).
        assertThat(during.size()).isBetween(10, 23);
        assertGapsBetween(
                during.stream()
                        .filter(t -> t.isAfter(outageStart.plusSeconds(20)))
                        .toList(),
                Duration.ofSeconds(2),
                Duration.ofSeconds(3));
        Instant recovered = source.callTimes().stream()
                .filter(t -> !t.isBefore(outageEnd))
                .findFirst()
                .orElseThrow();
        assertThat(Duration.between(outageEnd, recovered)).isLessThanOrEqualTo(Duration.ofSeconds(3));
        assertThat(r.current()).isPresent();
        assertThat(r.status().consecutiveFailures()).isZero();
    }

    @Test
    void aTokenAboutToExpireIsRetriedSoonNotAfterTheGrownBackoff() {
        source.lifetime(Duration.ofMinutes(60));
        TokenRefresher r = start(noJitter().build(), FixedRandom.highest());
        scheduler.runDue();
        source.behave((s, force) -> {
            throw new java.io.IOException("down");
        });
        // Renewal at 45 min fails; 14 minutes later the backoff has reached 60 s and one minute of token is left.
        scheduler.advance(Duration.ofMinutes(59));
        List<Instant> calls = source.callTimes();
        Duration lastGap = Duration.between(calls.get(calls.size() - 2), calls.get(calls.size() - 1));
        assertThat(lastGap).isLessThanOrEqualTo(Duration.ofSeconds(60));
        scheduler.advance(Duration.ofSeconds(70));
        calls = source.callTimes().stream()
                .filter(t -> t.isAfter(T0.plus(Duration.ofMinutes(59))))
                .toList();
        // From the moment the backoff would outlast the token: every 2-3 s, before and after expiry.
        assertThat(calls.size()).isGreaterThanOrEqualTo(20);
        assertGapsBetween(calls, Duration.ofSeconds(2), Duration.ofSeconds(3));
        assertThat(r.status().tokenExpiry()).isEqualTo(T0.plus(Duration.ofMinutes(60)));
    }

    @Test
    void clientSideThrottlingIsRetriedAtItsHintAndDoesNotGrowTheBackoff() {
        TokenRefresher r = start(noJitter().build(), FixedRandom.lowest());
        scheduler.runDue();
        int[] script = {0};
        source.behave((s, force) -> {
            int n = script[0]++;
            if (n == 0 || n == 3) {
                throw new java.io.IOException("HTTP 503");
            }
            if (n <= 2) {
                // What MsalUserTokenSource throws when MSAL refuses to send: the throttle wrapped as a cause.
                throw new java.io.IOException(
                        "silent token renewal failed", new com.microsoft.aad.msal4j.MsalThrottlingException(4_000));
            }
            return s.mint();
        });
        scheduler.advance(Duration.ofMinutes(45));
        Instant failed = clock.instant();
        assertThat(source.calls()).isEqualTo(2);
        // Backoff after the first failure: 0.5 s (lowest jitter); then two throttled attempts 4 s apart.
        scheduler.advance(Duration.ofSeconds(9));
        List<Instant> calls = source.callTimes();
        assertThat(calls.subList(2, calls.size()))
                .containsExactly(failed.plusMillis(500), failed.plusMillis(4_500), failed.plusMillis(8_500));
        // The fourth call (a real failure again) is only the second for the backoff: 2 s ceiling, lowest jitter 1 s.
        assertThat(r.status().consecutiveFailures()).isEqualTo(4);
        assertThat(r.status().nextAttempt()).isEqualTo(failed.plusMillis(9_500));
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(r.status().consecutiveFailures()).isZero();
    }

    @Test
    void aHungRequestIsAbandonedAfterTheRequestTimeoutAndRenewalGoesOn() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        ScriptedTokenSource hanging = new ScriptedTokenSource(new MutableClock(Instant.now()));
        hanging.behave((s, force) -> {
            if (s.calls() == 1) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw e;
                }
            }
            return AccessToken.opaque(
                    "t" + s.calls(), Instant.now(), Instant.now().plusSeconds(3600));
        });
        TokenRefresher r = TokenRefresher.builder(hanging)
                .policy(RefreshPolicy.builder()
                        .requestTimeout(Duration.ofMillis(300))
                        .expiringBackoff(Duration.ofMillis(200))
                        .build())
                .build();
        refreshers.add(r);
        assertThat(r.firstToken().get(10, TimeUnit.SECONDS).secret()).isEqualTo("t2");
        assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(hanging.calls()).isEqualTo(2);
        assertThat(r.status().consecutiveFailures()).isZero();
    }

    @Test
    void validTokenCompletesAtOnceWithTheCurrentTokenOrWithTheNextOne() throws Exception {
        int[] failuresLeft = {2};
        source.behave((s, force) -> {
            if (failuresLeft[0]-- > 0) {
                throw new IllegalStateException("not yet");
            }
            return s.mint();
        });
        TokenRefresher r = start(noJitter().build());
        var waiting = r.validToken();
        var cancelled = r.validToken();
        cancelled.cancel(false);
        scheduler.runDue();
        assertThat(waiting).isNotDone();
        scheduler.advance(Duration.ofSeconds(10));
        assertThat(waiting).isCompleted();
        assertThat(waiting.get()).isEqualTo(r.current().orElseThrow());
        assertThat(r.validToken().getNow(null)).isEqualTo(r.current().orElseThrow());

        clock.advance(Duration.ofHours(2)); // expired, renewal not yet run
        var later = r.validToken();
        assertThat(later).isNotDone();
        r.close();
        assertThat(later).isCompletedExceptionally();
    }

    @Test
    void renewalJitterOnlyMovesRenewalEarlierAndStaysWithinItsBound() {
        RefreshPolicy policy = RefreshPolicy.builder().jitterRatio(0.1).build();
        TokenRefresher low = start(policy, FixedRandom.lowest());
        scheduler.runDue();
        assertThat(low.status().nextAttempt()).isEqualTo(T0.plus(Duration.ofMinutes(45)));
        low.close();

        TokenRefresher high = start(policy, FixedRandom.highest());
        scheduler.runDue();
        // 10 % of 45 min = 4.5 min earlier at most.
        assertThat(high.status().nextAttempt())
                .isBetween(T0.plus(Duration.ofSeconds(40 * 60 + 30)), T0.plus(Duration.ofSeconds(40 * 60 + 31)));
    }

    @Test
    void fixedJitterIsCappedAtHalfTheDelayAndByTheMinimumDelay() {
        source.lifetime(Duration.ofSeconds(20));
        RefreshPolicy policy = RefreshPolicy.builder()
                .jitter(Duration.ofHours(1))
                .minimumDelay(Duration.ofSeconds(1))
                .build();
        TokenRefresher r = start(policy, FixedRandom.highest());
        scheduler.runDue();
        // Due at 15 s; jitter at most half of that.
        assertThat(r.status().nextAttempt())
                .isBetween(T0.plus(Duration.ofMillis(7_500)), T0.plus(Duration.ofMillis(7_501)));
    }

    @Test
    void aThrowingListenerReachesNoOtherListenerAndIsNotASourceFailure() {
        TokenRefresher r = start(noJitter().build());
        r.subscribe(token -> {
            throw new IllegalStateException("listener bug");
        });
        Recorder rec = new Recorder();
        r.subscribe(rec);
        r.subscribe(new TokenListener() {
            @Override
            public void onToken(AccessToken token) {}

            @Override
            public void onRefreshFailure(Throwable error, int n, Instant next) {
                throw new IllegalStateException("listener bug on failure");
            }
        });

        scheduler.advance(Duration.ofMinutes(46));

        assertThat(rec.tokens()).hasSize(2);
        assertThat(r.status().consecutiveFailures()).isZero();
        assertThat(r.status().lastFailureMessage()).isNull();
        // Exactly the schedule a refresher without the bad listener keeps: one chain, one renewal.
        assertThat(source.callTimes()).containsExactly(T0, T0.plus(Duration.ofMinutes(45)));
        assertThat(scheduler.pending()).isEqualTo(1);
    }

    @Test
    void refreshNowWhileARequestIsInFlightIsCoalesced() {
        TokenRefresher[] self = new TokenRefresher[1];
        source.behave((s, force) -> {
            if (self[0] != null) {
                self[0].refreshNow();
                self[0].refreshNow();
            }
            return s.mint();
        });
        TokenRefresher r = start(noJitter().build());
        self[0] = r;
        scheduler.runDue();
        assertThat(source.calls()).isEqualTo(1);
        assertThat(scheduler.pending()).isEqualTo(1);
        assertThat(r.status().nextAttempt()).isEqualTo(T0.plus(Duration.ofMinutes(45)));
    }

    @Test
    void refreshNowHonoursTheMinimumDelayAndManyCallsMakeOneRequest() {
        TokenRefresher r = start(noJitter().build());
        scheduler.runDue();
        for (int i = 0; i < 100; i++) {
            r.refreshNow();
        }
        assertThat(r.status().nextAttempt()).isEqualTo(T0.plus(Duration.ofSeconds(10)));
        assertThat(scheduler.pending()).isEqualTo(1);
        scheduler.advance(Duration.ofSeconds(10));
        assertThat(source.calls()).isEqualTo(2);

        clock.advance(Duration.ofMinutes(5));
        r.refreshNow();
        scheduler.runDue();
        assertThat(source.calls()).isEqualTo(3);
        assertThat(scheduler.pending()).isEqualTo(1);
    }

    @Test
    void refreshNowDoesNotCutAFailureBackoffShort() {
        source.behave((s, force) -> {
            throw new IllegalStateException("down");
        });
        TokenRefresher r = start(RefreshPolicy.defaults(), FixedRandom.lowest());
        scheduler.runDue();
        Instant next = r.status().nextAttempt();
        r.refreshNow();
        assertThat(r.status().nextAttempt()).isEqualTo(next);
        scheduler.runDue();
        assertThat(source.calls()).isEqualTo(1);
    }

    @Test
    void onlyOneRequestIsInFlightUnderConcurrentRefreshNowOnARealScheduler() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScriptedTokenSource blocking = new ScriptedTokenSource(new MutableClock(Instant.now()));
        blocking.behave((s, force) -> {
            entered.countDown();
            release.await(10, TimeUnit.SECONDS);
            return AccessToken.opaque(
                    "t" + s.calls(), Instant.now(), Instant.now().plus(Duration.ofHours(1)));
        });
        TokenRefresher r = TokenRefresher.builder(blocking)
                .policy(RefreshPolicy.builder()
                        .minimumDelay(Duration.ofMillis(50))
                        .build())
                .build();
        refreshers.add(r);
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < 8; i++) {
                callers.submit(() -> {
                    for (int j = 0; j < 100; j++) {
                        r.refreshNow();
                    }
                });
            }
            callers.shutdown();
            assertThat(callers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            callers.shutdownNow();
        }
        release.countDown();
        assertThat(r.firstToken().get(10, TimeUnit.SECONDS)).isNotNull();
        await().atMost(Duration.ofSeconds(10)).until(() -> r.status().nextAttempt() != null);
        assertThat(blocking.calls()).isEqualTo(1);
        assertThat(blocking.maxConcurrent).isEqualTo(1);
    }

    @Test
    void closeIsIdempotentStopsSchedulingAndClosesNothingItDoesNotOwn() {
        TokenRefresher r = start(noJitter().build());
        scheduler.runDue();
        Recorder rec = new Recorder();
        r.subscribe(rec);
        r.close();
        r.close();
        assertThat(scheduler.pending()).isZero();
        scheduler.advance(Duration.ofHours(5));
        r.refreshNow();
        scheduler.runDue();
        assertThat(source.calls()).isEqualTo(1);
        assertThat(rec.tokens()).hasSize(1);
        assertThat(r.status().nextAttempt()).isNull();
        assertThat(source.closed).isFalse();
        assertThat(scheduler.isShutdown()).isFalse();
    }

    @Test
    void closeBeforeTheFirstTokenFailsTheFirstTokenFuture() {
        TokenRefresher r = start(noJitter().build());
        r.close();
        assertThatThrownBy(() -> r.firstToken().get())
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("closed");
        scheduler.runDue();
        assertThat(source.calls()).isZero();
    }

    @Test
    void closeOfARefresherThatOwnsItsSchedulerStopsItsThread() throws Exception {
        Thread[] worker = new Thread[1];
        ScriptedTokenSource real = new ScriptedTokenSource(new MutableClock(Instant.now())).behave((s, force) -> {
            worker[0] = Thread.currentThread();
            return AccessToken.opaque("x", Instant.now(), Instant.now().plusSeconds(3600));
        });
        TokenRefresher r = TokenRefresher.builder(real).build();
        r.firstToken().get(10, TimeUnit.SECONDS);
        assertThat(worker[0].getName()).startsWith("redis-entra-token-refresher-");
        assertThat(worker[0].isDaemon()).isTrue();
        r.close();
        r.close();
        worker[0].join(10_000);
        assertThat(worker[0].isAlive()).isFalse();
        assertThat(real.closed).isFalse();
    }

    @Test
    void failureThenRecoveryKeepsServingTheTokenAndDoesNotBurst() {
        TokenRefresher r = start(noJitter().build(), FixedRandom.lowest());
        Recorder rec = new Recorder();
        r.subscribe(rec);
        scheduler.runDue();
        AccessToken first = r.current().orElseThrow();

        boolean[] down = {true};
        source.behave((s, force) -> {
            if (down[0]) {
                throw new java.net.ConnectException("Connection refused");
            }
            return s.mint();
        });
        scheduler.advance(Duration.ofMinutes(45));
        // Five minutes of outage: backoff 0.5, 1, 2, 4, 8, 16, 30, 30, … seconds.
        scheduler.advance(Duration.ofMinutes(5));
        int callsDuringOutage = source.calls() - 1;
        assertThat(callsDuringOutage).isBetween(10, 16);
        assertThat(r.current()).contains(first);
        assertThat(r.status().consecutiveFailures()).isEqualTo(callsDuringOutage);
        assertThat(rec.failureCounts).hasSize(callsDuringOutage);
        assertThat(rec.failureNextAttempts.get(rec.failureNextAttempts.size() - 1))
                .isEqualTo(r.status().nextAttempt());

        down[0] = false;
        scheduler.advance(Duration.ofSeconds(60));
        assertThat(source.calls()).isEqualTo(callsDuringOutage + 2);
        assertThat(rec.tokens()).hasSize(2);
        assertThat(r.status().consecutiveFailures()).isZero();
        // The next renewal follows the new token's own schedule.
        Instant recovered = source.callTimes().get(source.calls() - 1);
        assertThat(r.status().nextAttempt()).isEqualTo(recovered.plus(Duration.ofMinutes(45)));
        scheduler.advance(Duration.ofMinutes(44));
        assertThat(source.calls()).isEqualTo(callsDuringOutage + 2);
    }

    @Test
    void retriesContinueAfterTheTokenExpiredAndRecoverWithOneRequest() {
        source.lifetime(Duration.ofMinutes(5));
        TokenRefresher r = start(noJitter().build(), FixedRandom.lowest());
        scheduler.runDue();
        boolean[] down = {true};
        source.behave((s, force) -> {
            if (down[0]) {
                throw new java.net.ConnectException("Connection refused");
            }
            return s.mint();
        });
        scheduler.advance(Duration.ofMinutes(30));
        assertThat(r.current()).isEmpty();
        assertThat(r.status().tokenExpiry()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
        int before = source.calls();
        scheduler.advance(Duration.ofMinutes(2));
        assertThat(source.calls()).isGreaterThan(before);

        down[0] = false;
        scheduler.advance(Duration.ofSeconds(60));
        assertThat(r.current()).isPresent();
        int afterRecovery = source.calls();
        Instant recovered = source.callTimes().get(afterRecovery - 1);
        // A 5-minute token renews 3 minutes (the lower bound) before expiry: 2 minutes after recovery, not sooner.
        assertThat(r.status().nextAttempt()).isEqualTo(recovered.plus(Duration.ofMinutes(2)));
        scheduler.advance(Duration.between(clock.instant(), recovered.plus(Duration.ofSeconds(119))));
        assertThat(source.calls()).isEqualTo(afterRecovery);
    }

    @Test
    void subscribeDeliversTheCurrentTokenAtOnceAndUnsubscribeStopsDelivery() throws Exception {
        TokenRefresher r = start(noJitter().build());
        Recorder early = new Recorder();
        r.subscribe(early);
        assertThat(early.tokens()).isEmpty();
        scheduler.runDue();
        AccessToken first = r.current().orElseThrow();
        assertThat(early.tokens()).containsExactly(first);

        Recorder late = new Recorder();
        AutoCloseable subscription = r.subscribe(late);
        assertThat(late.tokens()).containsExactly(first);
        subscription.close();
        subscription.close();
        scheduler.advance(Duration.ofMinutes(45));
        assertThat(late.tokens()).containsExactly(first);
        assertThat(early.tokens()).hasSize(2);
    }

    @Test
    void firstTokenFutureWaitsThroughFailuresAndCannotBeCompletedByCallers() throws Exception {
        int[] failuresLeft = {3};
        source.behave((s, force) -> {
            if (failuresLeft[0]-- > 0) {
                throw new IllegalStateException("not yet");
            }
            return s.mint();
        });
        TokenRefresher r = start(noJitter().build());
        r.firstToken().complete(AccessToken.opaque("forged", T0, T0.plusSeconds(60)));
        scheduler.advance(Duration.ofSeconds(2));
        assertThat(r.firstToken()).isNotDone();
        scheduler.advance(Duration.ofSeconds(10));
        assertThat(r.firstToken().get().secret()).isEqualTo("secret-1");
        assertThat(source.forceFlags).containsExactly(false, false, false, false);
    }

    @Test
    void failureMessagesNeverCarryTheCurrentToken() {
        TokenRefresher r = start(noJitter().build());
        scheduler.runDue();
        String secret = r.current().orElseThrow().secret();
        source.behave((s, force) -> {
            throw new IllegalStateException("server echoed " + secret + " back");
        });
        scheduler.advance(Duration.ofMinutes(45));
        assertThat(r.status().lastFailureMessage()).doesNotContain(secret).contains("server echoed [token sha256");
    }

    @Test
    void closingOneRefresherOnASharedSchedulerLeavesTheOtherRenewing() {
        ScriptedTokenSource otherSource = new ScriptedTokenSource(clock);
        TokenRefresher other = TokenRefresher.builder(otherSource)
                .policy(noJitter().build())
                .clock(clock)
                .scheduler(scheduler)
                .build();
        refreshers.add(other);
        TokenRefresher r = start(noJitter().build());
        scheduler.runDue();
        r.close();
        scheduler.advance(Duration.ofMinutes(91));
        assertThat(source.calls()).isEqualTo(1);
        assertThat(otherSource.calls()).isEqualTo(3);
        assertThat(other.current()).isPresent();
    }

    @Test
    void aListenerMayCloseTheRefresherFromItsCallback() {
        TokenRefresher r = start(noJitter().build());
        r.subscribe(token -> r.close());
        scheduler.advance(Duration.ofHours(2));
        assertThat(source.calls()).isEqualTo(1);
        assertThat(scheduler.pending()).isZero();
    }

    private static void assertGapsBetween(List<Instant> calls, Duration min, Duration max) {
        for (int i = 1; i < calls.size(); i++) {
            assertThat(Duration.between(calls.get(i - 1), calls.get(i))).isBetween(min, max);
        }
    }

    private static void assertGapsAtLeast(List<Instant> calls, Duration min) {
        for (int i = 1; i < calls.size(); i++) {
            assertThat(Duration.between(calls.get(i - 1), calls.get(i))).isGreaterThanOrEqualTo(min);
        }
    }
}
