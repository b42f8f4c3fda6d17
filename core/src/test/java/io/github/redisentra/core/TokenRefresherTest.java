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
    void failuresBackOffExponentiallyWithinBoundsAndNeverGiveUp() {
        RefreshPolicy policy = RefreshPolicy.defaults();
        source.behave((s, force) -> {
            throw new java.io.IOException("token endpoint unreachable");
        });
        Recorder rec = new Recorder();
        TokenRefresher r = start(policy, new java.util.SplittableRandom(42));
        r.subscribe(rec);
        scheduler.advance(Duration.ofHours(3));

        List<Instant> calls = source.callTimes();
        for (int i = 1; i < calls.size(); i++) {
            Duration gap = Duration.between(calls.get(i - 1), calls.get(i));
            Duration ceiling = policy.backoffCeiling(i);
            assertThat(gap).isBetween(ceiling.dividedBy(2), ceiling);
        }
        // Still trying at the end: 3 hours at ≤ 60 s apart is at least 180 attempts, and the last one is recent.
        assertThat(calls.size()).isGreaterThan(180);
        assertThat(Duration.between(calls.get(calls.size() - 1), clock.instant()))
                .isLessThanOrEqualTo(Duration.ofSeconds(60));
        assertThat(r.status().consecutiveFailures()).isEqualTo(calls.size());
        assertThat(rec.failureCounts).hasSize(calls.size());
        assertThat(rec.failureCounts.get(rec.failureCounts.size() - 1)).isEqualTo(calls.size());
        assertThat(r.status().lastFailureMessage()).contains("IOException", "token endpoint unreachable");
        assertThat(r.firstToken()).isNotDone();
    }

    @Test
    void backoffJitterCoversTheLowerAndUpperHalfOfTheCeiling() {
        source.behave((s, force) -> {
            throw new IllegalStateException("down");
        });
        start(RefreshPolicy.defaults(), FixedRandom.lowest());
        scheduler.runDue();
        scheduler.advance(Duration.ofMillis(499));
        assertThat(source.calls()).isEqualTo(1);
        scheduler.advance(Duration.ofMillis(1));
        assertThat(source.calls()).isEqualTo(2); // 1 s ceiling, lowest jitter: 0.5 s

        MutableClock clock2 = new MutableClock(T0);
        DeterministicScheduler scheduler2 = new DeterministicScheduler(clock2);
        ScriptedTokenSource failing = new ScriptedTokenSource(clock2).behave((s, force) -> {
            throw new IllegalStateException("down");
        });
        TokenRefresher r2 = TokenRefresher.builder(failing)
                .clock(clock2)
                .scheduler(scheduler2)
                .random(FixedRandom.highest())
                .build();
        refreshers.add(r2);
        scheduler2.runDue();
        scheduler2.advance(Duration.ofMillis(999));
        assertThat(failing.calls()).isEqualTo(1);
        scheduler2.advance(Duration.ofMillis(1));
        assertThat(failing.calls()).isEqualTo(2); // highest jitter: (almost) the full 1 s ceiling
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

    private static void assertGapsAtLeast(List<Instant> calls, Duration min) {
        for (int i = 1; i < calls.size(); i++) {
            assertThat(Duration.between(calls.get(i - 1), calls.get(i))).isGreaterThanOrEqualTo(min);
        }
    }
}
