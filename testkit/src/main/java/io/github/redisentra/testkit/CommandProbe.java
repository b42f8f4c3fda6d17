package io.github.redisentra.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one Redis command over and over on a thread of its own (a short pause between attempts) and records when
 * each attempt ended and whether it succeeded: what a user of a client sees during an outage. For recovery
 * measurements: {@link #firstSuccessAfter(Instant)}.
 */
public final class CommandProbe implements AutoCloseable {
    /** The command; throwing is a failure. */
    @FunctionalInterface
    public interface Command {
        void run() throws Exception;
    }

    /** One finished attempt. */
    public record Attempt(Instant started, Instant ended, boolean succeeded) {}

    private final List<Attempt> attempts = new ArrayList<>();
    private final AtomicLong failures = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopped;

    /** Starts probing at once, pausing {@code pause} between attempts. */
    public CommandProbe(String name, Duration pause, Command command) {
        thread = new Thread(
                () -> {
                    while (!stopped) {
                        Instant started = Instant.now();
                        boolean ok;
                        try {
                            command.run();
                            ok = true;
                        } catch (Exception e) {
                            ok = false;
                            failures.incrementAndGet();
                        }
                        synchronized (attempts) {
                            attempts.add(new Attempt(started, Instant.now(), ok));
                        }
                        try {
                            Thread.sleep(pause.toMillis());
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "command-probe-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** When the first attempt that succeeded ended at or after {@code t}. */
    public Optional<Instant> firstSuccessAfter(Instant t) {
        synchronized (attempts) {
            return attempts.stream()
                    .filter(a -> a.succeeded() && !a.ended().isBefore(t))
                    .map(Attempt::ended)
                    .findFirst();
        }
    }

    /** Whether any attempt succeeded that ended between {@code from} and {@code to}. */
    public boolean anySuccessBetween(Instant from, Instant to) {
        synchronized (attempts) {
            return attempts.stream()
                    .anyMatch(a -> a.succeeded()
                            && !a.ended().isBefore(from)
                            && a.ended().isBefore(to));
        }
    }

    /** Attempts that failed so far. */
    public long failures() {
        return failures.get();
    }

    /** Attempts so far. */
    public int attempts() {
        synchronized (attempts) {
            return attempts.size();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.interrupt();
        thread.join(30_000);
    }
}
