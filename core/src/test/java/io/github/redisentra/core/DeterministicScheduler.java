package io.github.redisentra.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} that runs nothing by itself: {@link #advance(Duration)} moves the
 * {@link MutableClock} forward task by task and runs each task on the test's thread when its time comes. No real
 * waiting, fully deterministic.
 */
final class DeterministicScheduler extends AbstractExecutorService implements ScheduledExecutorService {
    private final MutableClock clock;
    private final PriorityQueue<Task<?>> queue = new PriorityQueue<>(
            Comparator.<Task<?>, Instant>comparing(t -> t.due).thenComparingLong(t -> t.seq));
    private long seq;
    private boolean shutdown;
    private int ran;

    DeterministicScheduler(MutableClock clock) {
        this.clock = clock;
    }

    /** Runs every task due now (including tasks they schedule for now). */
    synchronized int runDue() {
        return advance(Duration.ZERO);
    }

    /** Moves time forward by {@code d}, running each task at its due time in order. Returns tasks run. */
    synchronized int advance(Duration d) {
        Instant end = clock.instant().plus(d);
        int count = 0;
        while (true) {
            Task<?> next = queue.peek();
            if (next == null || next.due.isAfter(end)) {
                break;
            }
            queue.poll();
            if (next.isCancelled()) {
                continue;
            }
            if (next.due.isAfter(clock.instant())) {
                clock.set(next.due);
            }
            next.run();
            count++;
            ran++;
        }
        if (end.isAfter(clock.instant())) {
            clock.set(end);
        }
        return count;
    }

    /** Live (not cancelled) tasks waiting. */
    synchronized int pending() {
        return (int) queue.stream().filter(t -> !t.isCancelled()).count();
    }

    /** Due time of the earliest live task, or null. */
    synchronized Instant nextDue() {
        return queue.stream()
                .filter(t -> !t.isCancelled())
                .map(t -> t.due)
                .min(Comparator.naturalOrder())
                .orElse(null);
    }

    synchronized int tasksRun() {
        return ran;
    }

    @Override
    public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return schedule(
                () -> {
                    command.run();
                    return null;
                },
                delay,
                unit);
    }

    @Override
    public synchronized <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        if (shutdown) {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        }
        Task<V> t = new Task<>(callable, clock.instant().plusNanos(Math.max(0, unit.toNanos(delay))), seq++);
        queue.add(t);
        return t;
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
    }

    @Override
    public synchronized List<Runnable> shutdownNow() {
        shutdown = true;
        List<Runnable> left = new ArrayList<>(queue);
        queue.clear();
        return left;
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }

    private final class Task<V> implements ScheduledFuture<V>, Runnable {
        final Callable<V> callable;
        final Instant due;
        final long seq;
        boolean cancelled;
        boolean done;
        V result;
        Throwable failure;

        Task(Callable<V> callable, Instant due, long seq) {
            this.callable = callable;
            this.due = due;
            this.seq = seq;
        }

        @Override
        public void run() {
            try {
                result = callable.call();
            } catch (Throwable e) {
                failure = e;
            }
            done = true;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(Duration.between(clock.instant(), due));
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            if (done) {
                return false;
            }
            cancelled = true;
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return done || cancelled;
        }

        @Override
        public V get() throws ExecutionException {
            if (failure != null) {
                throw new ExecutionException(failure);
            }
            return result;
        }

        @Override
        public V get(long timeout, TimeUnit unit) throws ExecutionException {
            return get();
        }
    }
}
