package io.github.redisentra.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one refresh engine: keeps a current token from a {@link TokenSource} and hands each new token to its
 * listeners, for the client modules and for the gateway's upstream side alike.
 *
 * <p>Behaviour (see {@link RefreshPolicy} for the timing rules):
 *
 * <ul>
 *   <li>Exactly one request to the source is in flight at any time; {@link #refreshNow()} while one runs is
 *       coalesced with it.
 *   <li>The first request may be served from the source's cache; every later one passes {@code forceRefresh =
 *       true}, so a cache (MSAL keeps a token until five minutes before expiry) cannot hand back the token the
 *       refresher already holds. If a source does so anyway, listeners are not notified and the refresher backs
 *       off: it never loops.
 *   <li>A failure is logged and reported to every listener; the current token keeps being served while it is
 *       valid, and the refresher retries with exponential backoff and jitter, forever, also after the token
 *       expired. Once the current token has expired (or is about to) the delay stays short
 *       ({@link RefreshPolicy#expiringBackoff()}, 2&ndash;3 s by default), so a recovered source is used within
 *       seconds. When there has never been a token (a wrong setting, an identity provider down since start) the
 *       backoff grows as usual, to {@link RefreshPolicy#maxBackoff()} (30&ndash;60 s by default), and connection
 *       attempts fail after their token wait with the last failure in the message; client-side throttling (MSAL4J's {@code MsalThrottlingException}, no request sent) is retried when
 *       the throttle allows and does not grow the backoff. When the source recovers, one request brings a new token
 *       &mdash; no burst.
 *   <li>A request that has not answered within {@link RefreshPolicy#requestTimeout()} is abandoned (its thread is
 *       interrupted, a late answer is dropped) and counts as a failure: a hung call cannot stall renewal.
 *   <li>Listeners are isolated: an exception thrown by one is logged, reaches no other listener, is not counted
 *       as a failure of the source and does not change the schedule.
 *   <li>{@link #close()} is idempotent and stops all scheduling. It closes neither the source nor a scheduler it
 *       was given.
 * </ul>
 *
 * <pre>{@code
 * TokenRefresher refresher = TokenRefresher.builder(source).name("redis").build();
 * AccessToken first = refresher.firstToken().get(30, TimeUnit.SECONDS);
 * AutoCloseable subscription = refresher.subscribe(token -> reauthenticate(token));
 * }</pre>
 *
 * <p>Listeners run on the refresher's worker (the scheduler's thread) and must not block for long; the source runs
 * on a request thread of the refresher's own while the worker waits for it, at most the request timeout.
 */
public final class TokenRefresher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TokenRefresher.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final TokenSource source;
    private final RefreshPolicy policy;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    /** Calls the source with a timeout, so the worker can stop waiting for one that hangs. */
    private final SourceCalls calls;

    private final String name;
    /** When to renew and how long to back off. */
    private final RefreshTiming timing;

    private final CompletableFuture<AccessToken> first = new CompletableFuture<>();
    private final ListenerSet listeners;
    /** Held while the current token changes and listeners hear of it, so a subscriber never sees tokens out of order. */
    private final Object notifyLock = new Object();
    /** Guards the fields below. Never held while calling the source or a listener. */
    private final Object stateLock = new Object();

    private boolean closed;
    private boolean inFlight;
    /** Identifies the one scheduled attempt allowed to run; an older, cancelled-too-late task sees a newer value. */
    private long generation;

    private ScheduledFuture<?> scheduled;
    private Instant nextAttempt;
    private Instant notBefore;
    private AccessToken current;
    private Instant lastSuccess;
    private int consecutiveFailures;
    /** Failures that sent a request (throttled attempts did not): the exponent of the backoff. */
    private int backoffFailures;
    /** Futures of {@link #validToken()} callers waiting for a new token. */
    private final List<CompletableFuture<AccessToken>> waiters = new CopyOnWriteArrayList<>();

    private String lastFailureMessage;

    private TokenRefresher(Builder b) {
        this.source = b.source;
        this.policy = b.policy;
        this.clock = b.clock;
        this.timing = new RefreshTiming(policy, b.random != null ? b.random : new SplittableRandom());
        this.name = b.name != null ? b.name : b.source.describe();
        this.listeners = new ListenerSet(name);
        int n = THREADS.incrementAndGet();
        this.calls = new SourceCalls(source, b.requests, "redis-entra-token-refresher-" + n + "-request");
        if (b.scheduler != null) {
            this.scheduler = b.scheduler;
            this.ownsScheduler = false;
        } else {
            this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "redis-entra-token-refresher-" + n);
                t.setDaemon(true);
                return t;
            });
            this.ownsScheduler = true;
        }
    }

    /** A builder for a refresher over {@code source}. */
    public static Builder builder(TokenSource source) {
        return new Builder(Objects.requireNonNull(source, "source"));
    }

    /**
     * Completes with the first token the refresher obtains. It does not fail when the source fails (the refresher
     * keeps retrying; see {@link #status()} for why it is waiting), only when the refresher is closed first. Bound
     * the wait: {@code firstToken().get(30, SECONDS)}.
     */
    public CompletableFuture<AccessToken> firstToken() {
        return first.copy();
    }

    /** The current token, when there is one that has not expired. */
    public Optional<AccessToken> current() {
        synchronized (stateLock) {
            return current != null && !current.isExpiredAt(clock.instant()) ? Optional.of(current) : Optional.empty();
        }
    }

    /**
     * A valid token: the current one at once when it has not expired, else the next one the refresher obtains. Like
     * {@link #firstToken()} it does not fail when the source fails, only when the refresher is closed; bound the wait
     * ({@code validToken().orTimeout(10, SECONDS)}, or cancel it after a timed {@code get}). Each call gets its own
     * future; cancelling or completing it affects neither the refresher nor other callers.
     */
    public CompletableFuture<AccessToken> validToken() {
        Optional<AccessToken> now = current();
        if (now.isPresent()) {
            return CompletableFuture.completedFuture(now.get());
        }
        CompletableFuture<AccessToken> f = new CompletableFuture<>();
        waiters.add(f);
        f.whenComplete((t, e) -> waiters.remove(f));
        // A token may have arrived, or the refresher closed, between the check and the registration.
        synchronized (stateLock) {
            if (closed) {
                f.completeExceptionally(new IllegalStateException("token refresher " + name + " was closed"));
            }
        }
        current().ifPresent(f::complete);
        return f;
    }

    /**
     * Adds a listener. When a token is current, it is delivered to the listener at once, on the calling thread;
     * later tokens and failures arrive on the refresher's worker, in order.
     *
     * @return closing it removes the listener (idempotent)
     */
    public AutoCloseable subscribe(TokenListener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (notifyLock) {
            ListenerSet.Registration s = listeners.add(listener);
            Optional<AccessToken> now = current();
            now.ifPresent(s::deliver);
            return s;
        }
    }

    /**
     * Asks for a renewal as soon as allowed: at once, but not sooner than the minimum delay after the last new
     * token, nor sooner than the backoff after a failure. Coalesced with a request in flight or an earlier
     * scheduled one; never starts a second chain.
     */
    public void refreshNow() {
        synchronized (stateLock) {
            if (closed || inFlight) {
                return;
            }
            Instant now = clock.instant();
            Instant target = notBefore == null || notBefore.isBefore(now) ? now : notBefore;
            if (nextAttempt != null && !nextAttempt.isAfter(target)) {
                return;
            }
            scheduleLocked(target);
        }
    }

    /** A snapshot of the refresher's state; holds no secret. */
    public RefreshStatus status() {
        synchronized (stateLock) {
            return new RefreshStatus(
                    current == null ? null : current.expiresAt(),
                    lastSuccess,
                    consecutiveFailures,
                    lastFailureMessage,
                    nextAttempt);
        }
    }

    /** The name used in logs. */
    public String name() {
        return name;
    }

    /**
     * Stops all scheduling and drops the listeners. Idempotent. Shuts down the scheduler only when the refresher
     * created it; never closes the source.
     */
    @Override
    public void close() {
        synchronized (stateLock) {
            if (closed) {
                return;
            }
            closed = true;
            generation++;
            if (scheduled != null) {
                scheduled.cancel(false);
                scheduled = null;
            }
            nextAttempt = null;
        }
        listeners.clear();
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
        calls.close();
        IllegalStateException closedError = new IllegalStateException("token refresher " + name + " was closed");
        first.completeExceptionally(closedError);
        waiters.forEach(w -> w.completeExceptionally(closedError));
        log.debug("token refresher {} closed", name);
    }

    @Override
    public String toString() {
        return "TokenRefresher[" + name + "]";
    }

    private void start() {
        synchronized (stateLock) {
            scheduleLocked(clock.instant());
        }
    }

    private void scheduleLocked(Instant at) {
        if (scheduled != null) {
            scheduled.cancel(false);
        }
        long gen = ++generation;
        nextAttempt = at;
        long delayNanos = Math.max(0L, Duration.between(clock.instant(), at).toNanos());
        try {
            scheduled = scheduler.schedule(() -> attempt(gen), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            scheduled = null;
            nextAttempt = null;
            log.error("token refresher {}: its scheduler refused work (shut down?); renewal has stopped", name);
        }
    }

    private void attempt(long gen) {
        try {
            attemptOnce(gen);
        } catch (RuntimeException | Error e) {
            // Only a defect in the engine gets here; keep the chain alive regardless.
            log.error("token refresher {}: unexpected error in the refresh engine", name, e);
            synchronized (stateLock) {
                inFlight = false;
                if (!closed && scheduled == null) {
                    scheduleLocked(clock.instant().plus(policy.maxBackoff()));
                }
            }
            if (e instanceof VirtualMachineError) {
                throw e;
            }
        }
    }

    private void attemptOnce(long gen) {
        AccessToken held;
        synchronized (stateLock) {
            if (closed || inFlight || gen != generation) {
                return;
            }
            inFlight = true;
            scheduled = null;
            nextAttempt = null;
            held = current;
        }
        Instant started = clock.instant();
        AccessToken token = null;
        Throwable error = null;
        try {
            token = calls.getToken(held != null, policy.requestTimeout());
            if (token == null) {
                error = new IllegalStateException(source.describe() + " returned no token");
            }
        } catch (Throwable t) {
            error = t;
        }
        Instant now = clock.instant();
        if (error == null && token.equals(held)) {
            error = new IllegalStateException(source.describe()
                    + " returned the token the refresher already holds (sha256 " + token.fingerprint()
                    + ") although a refresh was forced; backing off");
        }
        if (error == null) {
            onNewToken(token, started, now);
        } else {
            onFailure(error, held != null && token != null && token.equals(held), held, now);
        }
        if (error instanceof InterruptedException) {
            Thread.currentThread().interrupt(); // closing (or the scheduler's owner) asked this thread to stop
        }
        if (error instanceof VirtualMachineError vme) {
            throw vme;
        }
    }

    private void onNewToken(AccessToken token, Instant started, Instant now) {
        Instant next = timing.renewalTime(token, started, now);
        synchronized (notifyLock) {
            synchronized (stateLock) {
                if (closed) {
                    inFlight = false;
                    return;
                }
                current = token;
                lastSuccess = now;
                consecutiveFailures = 0;
                backoffFailures = 0;
                lastFailureMessage = null;
                notBefore = now.plus(policy.minimumDelay());
            }
            if (token.isExpiredAt(now)) {
                log.warn(
                        "token refresher {}: {} is already expired by this host's clock; is the clock skewed?",
                        name,
                        token);
            }
            log.info("token refresher {}: new token {}, next renewal at {}", name, token, next);
            if (next.isAfter(token.expiresAt()) && !token.isExpiredAt(now)) {
                log.warn(
                        "token refresher {}: the token lives less than the minimum delay between renewals ({});"
                                + " it will expire before it is renewed; lower RefreshPolicy.minimumDelay",
                        name,
                        policy.minimumDelay());
            }
            listeners.deliver(token);
        }
        first.complete(token);
        if (!token.isExpiredAt(now)) {
            waiters.forEach(w -> w.complete(token));
        }
        synchronized (stateLock) {
            inFlight = false;
            if (!closed) {
                scheduleLocked(next);
            }
        }
    }

    private void onFailure(Throwable error, boolean sameToken, AccessToken held, Instant now) {
        int failures;
        Instant next;
        String message;
        Optional<Duration> throttled = sameToken ? Optional.empty() : RetryHint.of(error);
        synchronized (stateLock) {
            if (closed) {
                inFlight = false;
                return;
            }
            failures = ++consecutiveFailures;
            // Throttled: no request was sent; retry when the throttle allows, the backoff unchanged.
            Duration delay = throttled.isPresent()
                    ? timing.throttledDelay(throttled.get())
                    : timing.backoffDelay(++backoffFailures, sameToken, held, now);
            next = now.plus(delay);
            notBefore = next;
            message = FailureText.describe(error, current);
            lastFailureMessage = message;
        }
        if (sameToken) {
            // Expected with caches that cannot be bypassed (azure-identity keeps a token until 5 min before expiry).
            log.info(
                    "token refresher {}: no new token yet ({} in a row), next attempt at {}: {}",
                    name,
                    failures,
                    next,
                    message);
        } else {
            log.warn(
                    "token refresher {}: attempt failed ({} in a row), next attempt at {}: {}",
                    name,
                    failures,
                    next,
                    message);
        }
        log.debug("token refresher {}: failure detail", name, error);
        synchronized (notifyLock) {
            listeners.fail(error, failures, next);
        }
        synchronized (stateLock) {
            inFlight = false;
            if (!closed) {
                scheduleLocked(next);
            }
        }
    }

    /** Configures and starts a {@link TokenRefresher}. */
    public static final class Builder {
        private final TokenSource source;
        private RefreshPolicy policy = RefreshPolicy.defaults();
        private Clock clock = Clock.systemUTC();
        private ScheduledExecutorService scheduler;
        private String name;
        private RandomGenerator random;
        private Executor requests;

        private Builder(TokenSource source) {
            this.source = source;
        }

        /** Timing of renewals and retries. Default {@link RefreshPolicy#defaults()}. */
        public Builder policy(RefreshPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The clock that decides when tokens are due. Default the system UTC clock; tests pass their own. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Where attempts run. Default: a daemon thread the refresher owns and stops on {@link #close()}. A given
         * scheduler is shared, not owned: {@code close()} only cancels this refresher's task. The source blocks on
         * it, so do not pass a Netty event loop.
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** The name in logs. Default the source's {@link TokenSource#describe()}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** The randomness for jitter. Default a new {@link SplittableRandom}; tests pass a fixed one. */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * Where calls to the source run while the worker waits for them (at most the policy's request timeout).
         * Default: daemon threads the refresher owns and stops on {@link #close()}. Tests pass a direct executor
         * ({@code Runnable::run}) to keep everything on the scheduler's thread.
         */
        public Builder requestExecutor(Executor requests) {
            this.requests = Objects.requireNonNull(requests, "requests");
            return this;
        }

        /** A started refresher: the first request begins at once, asynchronously, on the refresher's worker. */
        public TokenRefresher build() {
            TokenRefresher r = new TokenRefresher(this);
            r.start();
            return r;
        }
    }
}
