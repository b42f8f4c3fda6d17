package io.github.redisentra.gateway.auth;

import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Throttles failed sign-ins, in front of every other authenticator (so in one place for Entra and LDAP):
 *
 * <ul>
 *   <li><b>Per source address</b> (Entra and LDAP): after {@link Rules#failuresPerAddress()} failed sign-ins, further
 *       attempts from that address are refused without being checked until {@link Rules#window()} has passed since
 *       its last failure.
 *   <li><b>Per user name</b> (directory sign-ins only: an Entra user's {@code oid} is known only from a valid token,
 *       and the name an Entra client sends is not checked until then): after {@link Rules#failuresPerUser()} failed
 *       sign-ins for a name, further attempts for it are refused <em>without asking the directory</em> until the
 *       window has passed since its last failure; a successful sign-in clears the name's count, as directories do.
 *   <li><b>Every failed reply is delayed</b> by {@link Rules#failureDelay()} (scheduled, never blocking a thread; the
 *       session reads nothing more from that client meanwhile). Successful sign-ins are never delayed.
 * </ul>
 *
 * <p>Attempts being checked count against the limits as if they will fail: more attempts for one key than the limit
 * allows wait for one to end (a pool signing one user in at once is served in turn), so parallel connections never
 * get more than the limit of guesses past the throttle. Failures that are the gateway's or the identity provider's
 * fault ({@link #NOT_A_GUESS}) are not counted. The counters follow the directory's own rule (a count that resets
 * only after a quiet window or a success), so with {@code failuresPerUser} below the directory's lockout threshold
 * and {@code window} at least its reset interval, the directory never sees enough failures to lock an account
 * (README "Brute-force protection").
 *
 * <p>Refusals are {@link AuthDecision.Denied} with reason {@code throttled_address} or {@code throttled_user}, a
 * Redis-style {@code -ERR} line telling when to retry, and one audit event each.
 */
public final class SignInThrottle implements Authenticator {
    /**
     * Denial reasons that say nothing about the credential (the gateway, the IdP or the directory failed): not
     * counted.
     */
    static final Set<String> NOT_A_GUESS = Set.of(
            "internal_error",
            "keys_unavailable",
            "overage_unresolved",
            "directory_error",
            "directory_unavailable",
            "entra_not_configured");

    /** Most keys tracked per scope; when full, idle ones are swept and new keys beyond it go untracked. */
    static final int MAX_TRACKED = 100_000;

    /**
     * @param failuresPerAddress failed sign-ins from one address before it is refused ({@code 0}: off)
     * @param failuresPerUser failed directory sign-ins for one user name before it is refused ({@code 0}: off)
     * @param window how long after its last failure an address or user name is forgotten
     * @param failureDelay how long every failed reply is held back ({@code 0}: not delayed)
     */
    public record Rules(int failuresPerAddress, int failuresPerUser, Duration window, Duration failureDelay) {
        public Rules {
            if (failuresPerAddress < 0 || failuresPerUser < 0) {
                throw new IllegalArgumentException("failure limits must be >= 0 (0: off)");
            }
            if (window == null || window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("window must be positive, got " + window);
            }
            if (failureDelay == null || failureDelay.isNegative()) {
                throw new IllegalArgumentException("failureDelay must be >= 0, got " + failureDelay);
            }
        }

        /** No limits, no delay. */
        public static final Rules OFF = new Rules(0, 0, Duration.ofMinutes(15), Duration.ZERO);
    }

    private final Authenticator delegate;
    private final Rules rules;
    private final Predicate<AuthRequest> directorySignIn;
    private final AuditLog audit;
    private final Clock clock;
    private final Failures byAddress;
    private final Failures byUser;

    /**
     * @param directorySignIn whether a request goes to the directory (then its user name is throttled too)
     */
    public SignInThrottle(
            Authenticator delegate, Rules rules, Predicate<AuthRequest> directorySignIn, AuditLog audit, Clock clock) {
        this.delegate = delegate;
        this.rules = rules;
        this.directorySignIn = directorySignIn;
        this.audit = audit;
        this.clock = clock;
        this.byAddress = new Failures(rules.failuresPerAddress(), rules.window().toMillis(), false);
        this.byUser = new Failures(rules.failuresPerUser(), rules.window().toMillis(), true);
    }

    @Override
    public CompletionStage<AuthDecision> authenticate(AuthRequest request) {
        String address = addressKey(request.clientAddress());
        String user = directorySignIn.test(request) ? userKey(request.username()) : null;
        return byAddress.begin(address, clock.millis()).thenCompose(addressWait -> {
            if (addressWait > 0) {
                return refuse(request, "throttled_address", "from this address", addressWait);
            }
            return byUser.begin(user, clock.millis()).thenCompose(userWait -> {
                if (userWait > 0) {
                    byAddress.end(address, false, false, clock.millis());
                    return refuse(request, "throttled_user", "for this user name", userWait);
                }
                return check(request, address, user);
            });
        });
    }

    private CompletionStage<AuthDecision> check(AuthRequest request, String address, String user) {
        CompletionStage<AuthDecision> decided;
        try {
            decided = delegate.authenticate(request);
        } catch (RuntimeException e) {
            decided = CompletableFuture.failedFuture(e);
        }
        return decided.handle((d, error) -> {
                    // whatever happens, the attempt in flight ends here (a stuck count would lock the key out)
                    AuthDecision decision = d != null
                            ? d
                            : new AuthDecision.Denied(
                                    "internal_error",
                                    error == null
                                            ? "no decision"
                                            : error.getClass().getSimpleName());
                    long t = clock.millis();
                    boolean denied = decision instanceof AuthDecision.Denied;
                    boolean guess = decision instanceof AuthDecision.Denied den && !NOT_A_GUESS.contains(den.reason());
                    byUser.end(user, guess, !denied, t);
                    byAddress.end(address, guess, false, t);
                    return decision;
                })
                .thenCompose(d -> d instanceof AuthDecision.Denied ? delayed(d) : CompletableFuture.completedFuture(d));
    }

    /**
     * The key of a directory user name: compared as LDAP's {@code caseIgnoreMatch} compares {@code uid} and
     * {@code sAMAccountName} (case, surrounding and repeated spaces ignored), so spelling variants of one account
     * share one count.
     */
    static String userKey(String username) {
        if (username == null) {
            return null;
        }
        String k = username.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
        return k.isEmpty() ? null : k;
    }

    private CompletionStage<AuthDecision> refuse(AuthRequest request, String reason, String scope, long waitMillis) {
        long seconds = Math.max(1, TimeUnit.MILLISECONDS.toSeconds(waitMillis + 999));
        String detail = "too many failed sign-ins " + scope + " (limit "
                + (reason.equals("throttled_user") ? rules.failuresPerUser() : rules.failuresPerAddress())
                + " within " + rules.window() + "); refused for " + seconds + " s without being checked";
        audit.record(new AuditEvent(
                clock.instant(),
                request.clientAddress(),
                "denied",
                reason,
                detail,
                null,
                reason.equals("throttled_user") ? printable(request.username()) : null,
                null,
                Set.of(),
                Set.of(),
                null,
                null));
        return delayed(new AuthDecision.Denied(
                reason, detail, "-ERR too many failed sign-ins " + scope + "; try again in " + seconds + " seconds"));
    }

    private CompletionStage<AuthDecision> delayed(AuthDecision d) {
        long ms = rules.failureDelay().toMillis();
        if (ms <= 0) {
            return CompletableFuture.completedFuture(d);
        }
        return CompletableFuture.supplyAsync(() -> d, CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS));
    }

    private static String addressKey(SocketAddress a) {
        java.net.InetAddress key = SourceAddress.of(a);
        return key == null ? null : SourceAddress.describe(key);
    }

    private static String printable(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 64; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString();
    }

    /**
     * Consecutive failures per key (address or user name), as a directory counts them, and the attempts being checked:
     * at most {@code limit - failures} run at once per key; more wait for one of them to end (so a pool of connections
     * signing in one user at once is served in turn, while parallel guesses never put more than the limit of failures
     * before the directory).
     */
    static final class Failures {
        /** Attempts that may wait per key; more are refused as if throttled. */
        static final int MAX_WAITING = 1024;

        private final int limit;
        private final long windowMillis;
        private final boolean successClears;
        private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

        private static final class Entry {
            int failures;
            int inFlight;
            long lastFailure;
            final java.util.ArrayDeque<CompletableFuture<Long>> waiting = new java.util.ArrayDeque<>();

            boolean idle() {
                return failures == 0 && inFlight == 0 && waiting.isEmpty();
            }
        }

        Failures(int limit, long windowMillis, boolean successClears) {
            this.limit = limit;
            this.windowMillis = windowMillis;
            this.successClears = successClears;
        }

        /**
         * Starts an attempt: completes with 0 when it may be checked (it is then in flight until {@link #end}), or
         * with the milliseconds until one may; waits (incomplete) while other attempts of the key are being checked.
         */
        CompletableFuture<Long> begin(String key, long now) {
            if (limit == 0 || key == null) {
                return CompletableFuture.completedFuture(0L);
            }
            if (!entries.containsKey(key) && entries.size() >= MAX_TRACKED) {
                sweep(now);
                if (entries.size() >= MAX_TRACKED) {
                    return CompletableFuture.completedFuture(0L); // untracked: see MAX_TRACKED
                }
            }
            CompletableFuture<Long> attempt = new CompletableFuture<>();
            long[] decided = {-1};
            entries.compute(key, (k, e) -> {
                if (e == null) {
                    e = new Entry();
                }
                forgetOld(e, now);
                if (e.failures >= limit) {
                    decided[0] = waitFor(e, now);
                } else if (e.failures + e.inFlight < limit) {
                    e.inFlight++;
                    decided[0] = 0;
                } else if (e.waiting.size() < MAX_WAITING) {
                    e.waiting.add(attempt);
                } else {
                    decided[0] = 1000;
                }
                return e.idle() ? null : e;
            });
            if (decided[0] >= 0) {
                attempt.complete(decided[0]);
            }
            return attempt;
        }

        /** Ends an attempt begun with {@link #begin}; lets waiting ones go on, or refuses them once over the limit. */
        void end(String key, boolean failed, boolean succeeded, long now) {
            if (limit == 0 || key == null) {
                return;
            }
            java.util.List<CompletableFuture<Long>> go = new java.util.ArrayList<>();
            java.util.List<CompletableFuture<Long>> refused = new java.util.ArrayList<>();
            long[] wait = {0};
            entries.computeIfPresent(key, (k, e) -> {
                e.inFlight = Math.max(0, e.inFlight - 1);
                if (failed) {
                    forgetOld(e, now);
                    e.failures++;
                    e.lastFailure = now;
                } else if (succeeded && successClears) {
                    e.failures = 0;
                }
                while (!e.waiting.isEmpty()) {
                    if (e.failures >= limit) {
                        wait[0] = waitFor(e, now);
                        refused.add(e.waiting.poll());
                    } else if (e.failures + e.inFlight < limit) {
                        e.inFlight++;
                        go.add(e.waiting.poll());
                    } else {
                        break;
                    }
                }
                return e.idle() ? null : e;
            });
            // completed on another thread: a waiting attempt goes on to its own check, never inside this one's stack
            for (CompletableFuture<Long> f : go) {
                java.util.concurrent.ForkJoinPool.commonPool().execute(() -> f.complete(0L));
            }
            for (CompletableFuture<Long> f : refused) {
                java.util.concurrent.ForkJoinPool.commonPool().execute(() -> f.complete(wait[0]));
            }
        }

        private void forgetOld(Entry e, long now) {
            if (e.failures > 0 && now - e.lastFailure >= windowMillis) {
                e.failures = 0;
            }
        }

        private long waitFor(Entry e, long now) {
            return Math.max(1, e.lastFailure + windowMillis - now);
        }

        private void sweep(long now) {
            for (String k : entries.keySet()) {
                entries.computeIfPresent(
                        k,
                        (kk, e) -> e.inFlight == 0 && e.waiting.isEmpty() && now - e.lastFailure >= windowMillis
                                ? null
                                : e);
            }
        }

        int tracked() {
            return entries.size();
        }
    }
}
