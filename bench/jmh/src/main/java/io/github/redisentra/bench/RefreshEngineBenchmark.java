package io.github.redisentra.bench;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Overhead of the refresh engine ({@link TokenRefresher}) itself, with a token source that costs nothing:
 *
 * <ul>
 *   <li>{@code current}: reading the current token, what a connection does on its hot path (ns/op);
 *   <li>{@code renewalCycle}: one renewal end to end — {@code refreshNow()}, the worker asks the source, schedules
 *       the next renewal, and delivers the new token to {@code listeners} subscribers (µs/op; the caller waits for
 *       the last listener).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-Dlogback.configurationFile=bench-logback.xml"})
@State(Scope.Benchmark)
public class RefreshEngineBenchmark {
    /** Subscribers notified per renewal (e.g. one per pooled connection of a client). */
    @Param({"1", "100"})
    public int listeners;

    private TokenRefresher refresher;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong issued = new AtomicLong();

    @Setup
    public void setUp() throws Exception {
        TokenSource source = new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) {
                Instant now = Instant.now();
                return AccessToken.opaque("bench-" + issued.incrementAndGet(), now, now.plus(Duration.ofHours(1)));
            }

            @Override
            public String describe() {
                return "bench source";
            }
        };
        refresher = TokenRefresher.builder(source)
                .policy(RefreshPolicy.builder()
                        .minimumDelay(Duration.ofNanos(1))
                        .jitter(Duration.ZERO)
                        .build())
                .name("jmh")
                .build();
        refresher.firstToken().get(10, TimeUnit.SECONDS);
        TokenListener count = token -> delivered.incrementAndGet();
        for (int i = 0; i < listeners; i++) {
            refresher.subscribe(count);
        }
    }

    @TearDown
    public void tearDown() {
        refresher.close();
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Optional<AccessToken> current() {
        return refresher.current();
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long renewalCycle() {
        long target = delivered.get() + listeners;
        refresher.refreshNow();
        long spins = 0;
        while (delivered.get() < target) {
            Thread.onSpinWait();
            if (++spins % 100_000 == 0) {
                refresher.refreshNow(); // a request coalesced with the previous renewal's tail: ask again
            }
        }
        return delivered.get();
    }
}
