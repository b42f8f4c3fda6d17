package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The throttle's rule on its own: a stand-in directory, a clock the test moves. */
class SignInThrottleTest {
    static final Duration WINDOW = Duration.ofMinutes(15);
    static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 40000);
    static final InetSocketAddress B = new InetSocketAddress("192.0.2.2", 40000);
    static final Principal ALICE =
            new Principal("alice", null, "alice", Instant.MAX, java.util.Set.of(), java.util.Set.of());

    /** A settable clock. */
    static final class TestClock extends Clock {
        long millis = 1_000_000;

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /** "pw" is every user's password; counts what reaches it. */
    static final class Directory implements Authenticator {
        final AtomicInteger calls = new AtomicInteger();
        final java.util.Queue<CompletableFuture<AuthDecision>> held =
                new java.util.concurrent.ConcurrentLinkedQueue<>();
        boolean hold;

        @Override
        public CompletionStage<AuthDecision> authenticate(AuthRequest r) {
            calls.incrementAndGet();
            AuthDecision d = r.password().equals("pw")
                    ? new AuthDecision.Allowed(ALICE)
                    : r.password().equals("down")
                            ? new AuthDecision.Denied("directory_unavailable", "down")
                            : new AuthDecision.Denied("invalid_credentials", "bad password");
            if (hold) {
                CompletableFuture<AuthDecision> f = new CompletableFuture<>(); // still being decided
                held.add(f);
                return f;
            }
            return CompletableFuture.completedFuture(d);
        }
    }

    final TestClock clock = new TestClock();
    final Directory directory = new Directory();

    SignInThrottle throttle(int perAddress, int perUser, Duration delay) {
        return new SignInThrottle(
                directory,
                new SignInThrottle.Rules(perAddress, perUser, WINDOW, delay),
                r -> !RoutingAuthenticator.looksLikeJwt(r.password()),
                new AuditLog(),
                clock);
    }

    static AuthDecision decide(SignInThrottle t, String user, String password, InetSocketAddress from) {
        return t.authenticate(new AuthRequest(user, password, from))
                .toCompletableFuture()
                .join();
    }

    static String reason(AuthDecision d) {
        return d instanceof AuthDecision.Denied den ? den.reason() : "allowed";
    }

    @Test
    void afterTheUserLimitTheDirectoryIsNotAskedUntilTheWindowHasPassedSinceTheLastFailure() {
        SignInThrottle t = throttle(0, 3, Duration.ZERO);
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                clock.millis += 60_000;
            }
            assertThat(reason(decide(t, "alice", "guess" + i, A))).isEqualTo("invalid_credentials");
        }
        AuthDecision refused = decide(t, "Alice", "pw", B); // the right password, another case, another address
        assertThat(reason(refused)).isEqualTo("throttled_user");
        assertThat(((AuthDecision.Denied) refused).reply())
                .isEqualTo("-ERR too many failed sign-ins for this user name; try again in 900 seconds");
        assertThat(directory.calls).hasValue(3);
        clock.millis += WINDOW.toMillis() - 1;
        assertThat(reason(decide(t, "alice", "pw", A))).isEqualTo("throttled_user");
        clock.millis += 1;
        assertThat(reason(decide(t, "alice", "pw", A))).isEqualTo("allowed");
        assertThat(directory.calls).hasValue(4);
        assertThat(reason(decide(t, "bob", "pw", A)))
                .as("other names unaffected")
                .isEqualTo("allowed");
    }

    @Test
    void aSuccessfulSignInClearsTheUserCountButNotTheAddressCount() {
        SignInThrottle t = throttle(4, 3, Duration.ZERO);
        decide(t, "alice", "x", A);
        decide(t, "alice", "x", A);
        assertThat(reason(decide(t, "alice", "pw", A))).isEqualTo("allowed");
        decide(t, "alice", "x", A);
        decide(t, "alice", "x", A);
        // two more failures for alice (count cleared by the success) but four for the address
        assertThat(reason(decide(t, "carol", "pw", A))).isEqualTo("throttled_address");
        assertThat(reason(decide(t, "alice", "pw", B))).isEqualTo("allowed");
    }

    @Test
    void parallelGuessesWaitForTheOnesBeingCheckedAndNeverPassTheLimit() {
        SignInThrottle t = throttle(0, 3, Duration.ZERO);
        directory.hold = true;
        List<CompletableFuture<AuthDecision>> parallel = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            parallel.add(
                    t.authenticate(new AuthRequest("alice", "guess" + i, A)).toCompletableFuture());
        }
        assertThat(directory.calls).as("guesses being checked by the directory").hasValue(3);
        assertThat(parallel).noneMatch(CompletableFuture::isDone);
        for (CompletableFuture<AuthDecision> held : List.copyOf(directory.held)) {
            held.complete(new AuthDecision.Denied("invalid_credentials", "bad password"));
        }
        List<String> reasons = parallel.stream().map(f -> reason(f.join())).toList();
        assertThat(reasons).filteredOn("invalid_credentials"::equals).hasSize(3);
        assertThat(reasons).filteredOn("throttled_user"::equals).hasSize(47);
        assertThat(directory.calls).as("guesses that reached the directory").hasValue(3);
    }

    @Test
    void aPoolSigningOneUserInAtOnceIsServedInTurn() {
        SignInThrottle t = throttle(20, 3, Duration.ZERO);
        directory.hold = true;
        List<CompletableFuture<AuthDecision>> pool = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            pool.add(t.authenticate(new AuthRequest("alice", "pw", A)).toCompletableFuture());
        }
        int answered = 0;
        while (answered < 40) {
            List<CompletableFuture<AuthDecision>> now = new ArrayList<>();
            for (CompletableFuture<AuthDecision> f; (f = directory.held.poll()) != null; ) {
                now.add(f);
            }
            assertThat(now)
                    .as("at most the limit at once")
                    .hasSizeLessThanOrEqualTo(3)
                    .isNotEmpty();
            now.forEach(f -> f.complete(new AuthDecision.Allowed(ALICE)));
            answered += now.size();
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> !directory.held.isEmpty() || pool.stream().allMatch(CompletableFuture::isDone));
        }
        assertThat(pool).allMatch(f -> f.join() instanceof AuthDecision.Allowed);
    }

    @Test
    void tokensAreThrottledPerAddressOnlyAndOutagesAreNotCounted() {
        SignInThrottle t = throttle(3, 1, Duration.ZERO);
        String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
        assertThat(reason(decide(t, "alice", jwt, A))).isEqualTo("invalid_credentials");
        assertThat(reason(decide(t, "alice", jwt, B)))
                .as("a token's user name is not a directory user: no per-user count")
                .isEqualTo("invalid_credentials");
        for (int i = 0; i < 5; i++) {
            assertThat(reason(decide(t, "bob", "down", A))).isEqualTo("directory_unavailable");
        }
        assertThat(reason(decide(t, "bob", "pw", A)))
                .as("outages are nobody's guess")
                .isEqualTo("allowed");
        decide(t, "carol", "x", A);
        decide(t, "dave", "x", A);
        assertThat(reason(decide(t, "erin", "pw", A))).isEqualTo("throttled_address");
        assertThat(((AuthDecision.Denied) decide(t, "erin", "pw", A)).reply())
                .startsWith("-ERR too many failed sign-ins from this address; try again in ");
    }

    @Test
    void spellingVariantsOfOneNameShareOneCountAndABrokenCheckNeverLeavesAnAttemptInFlight() {
        SignInThrottle t = throttle(0, 2, Duration.ZERO);
        decide(t, "alice", "x", A);
        decide(t, "  ALICE ", "x", A);
        assertThat(reason(decide(t, "Alice", "pw", A))).isEqualTo("throttled_user");
        assertThat(SignInThrottle.userKey("Jane   Doe ")).isEqualTo("jane doe");

        SignInThrottle broken = new SignInThrottle(
                r -> {
                    throw new IllegalStateException("a bug in a check");
                },
                new SignInThrottle.Rules(1, 1, WINDOW, Duration.ZERO),
                r -> true,
                new AuditLog(),
                clock);
        for (int i = 0; i < 3; i++) {
            assertThat(reason(decide(broken, "alice", "pw", A)))
                    .as("not counted as a guess, and the attempt ends")
                    .isEqualTo("internal_error");
        }
    }

    @Test
    void ipv6AddressesAreCountedByTheirSlash64() {
        SignInThrottle t = throttle(2, 0, Duration.ZERO);
        decide(t, "a", "x", new InetSocketAddress("2001:db8:1:2::1", 1));
        decide(t, "b", "x", new InetSocketAddress("2001:db8:1:2:ffff:ffff:ffff:fffe", 1));
        AuthDecision refused = decide(t, "c", "pw", new InetSocketAddress("2001:db8:1:2::77", 1));
        assertThat(reason(refused)).as("same /64, another address").isEqualTo("throttled_address");
        assertThat(reason(decide(t, "c", "pw", new InetSocketAddress("2001:db8:1:3::1", 1))))
                .as("the next /64")
                .isEqualTo("allowed");
        assertThat(SourceAddress.describe(SourceAddress.of(new InetSocketAddress("2001:db8:1:2:3:4:5:6", 1))))
                .isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(SourceAddress.describe(SourceAddress.of(A))).isEqualTo("192.0.2.1");
    }

    @Test
    void failedRepliesAreDelayedAndSuccessfulOnesAreNot() {
        SignInThrottle t = throttle(20, 3, Duration.ofHours(1));
        assertThat(t.authenticate(new AuthRequest("alice", "pw", A)).toCompletableFuture())
                .as("a correct sign-in is answered at once")
                .isCompletedWithValueMatching(d -> d instanceof AuthDecision.Allowed);
        CompletableFuture<AuthDecision> failed =
                t.authenticate(new AuthRequest("alice", "x", A)).toCompletableFuture();
        assertThat(failed)
                .as("a failure waits for its delay (scheduled, nobody blocks)")
                .isNotDone();
        failed.cancel(false);
    }

    /**
     * Directories count failures themselves: Active Directory resets a user's count after an observation window
     * without failures (or at a success), OpenLDAP ppolicy forgets failures older than pwdFailureCountInterval. With
     * the gateway's limit below the lockout threshold and its window at least the directory's, no attack schedule
     * through the gateway locks the account.
     */
    @Test
    void noAttackScheduleLocksADirectoryAccountWhoseLockoutThresholdIsAboveTheLimit() {
        int threshold = 5;
        long dirWindow = WINDOW.toMillis();
        Random random = new Random(42);
        for (int run = 0; run < 200; run++) {
            TestClock c = new TestClock();
            int[] adCount = {0};
            long[] adLast = {Long.MIN_VALUE / 2};
            List<Long> ppolicy = new ArrayList<>();
            int[] maxSeen = {0};
            Authenticator dir = r -> {
                long now = c.millis();
                boolean ok = r.password().equals("pw");
                if (ok) {
                    adCount[0] = 0;
                    ppolicy.clear();
                } else {
                    adCount[0] = now - adLast[0] >= dirWindow ? 1 : adCount[0] + 1;
                    adLast[0] = now;
                    ppolicy.removeIf(at -> now - at >= dirWindow);
                    ppolicy.add(now);
                }
                maxSeen[0] = Math.max(maxSeen[0], Math.max(adCount[0], ppolicy.size()));
                return CompletableFuture.completedFuture(
                        ok ? new AuthDecision.Allowed(ALICE) : new AuthDecision.Denied("invalid_credentials", "bad"));
            };
            SignInThrottle t = new SignInThrottle(
                    dir, new SignInThrottle.Rules(0, 3, WINDOW, Duration.ZERO), r -> true, new AuditLog(), c);
            for (int i = 0; i < 300; i++) {
                c.millis += (long) (random.nextDouble() * random.nextDouble() * 2 * dirWindow);
                t.authenticate(new AuthRequest("alice", random.nextInt(20) == 0 ? "pw" : "guess", A));
            }
            assertThat(maxSeen[0])
                    .as("run %d: the directory's failure count", run)
                    .isLessThan(threshold);
        }
    }
}
