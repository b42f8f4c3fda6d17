package io.github.redisentra.gateway.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * Hands log events to a bounded queue that one background thread writes to the attached appenders, so that a thread
 * that logs (an event loop) never waits for the console: when the queue is full the event is dropped and counted
 * ({@link #droppedLines()}, {@code log_lines_dropped_total} in {@code /metrics}), never blocked on. Unlike logback's
 * {@code AsyncAppender} it drops nothing else (no level-based discarding) and counts every drop exactly.
 *
 * <p>The caller's thread prepares each event for deferred processing (message, thread name, key/value pairs) before
 * queueing it. {@link #drainAll(Duration)} waits for queued lines to be written (the gateway calls it on shutdown).
 */
public final class AsyncLogAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
        implements AppenderAttachable<ILoggingEvent> {
    private static final LongAdder DROPPED = new LongAdder();
    private static final List<AsyncLogAppender> STARTED = new CopyOnWriteArrayList<>();

    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
    private int queueSize = 8192;
    private ArrayBlockingQueue<ILoggingEvent> queue;
    private Thread worker;
    private volatile boolean writing;

    /** Log lines dropped since the process started because a queue was full. */
    public static long droppedLines() {
        return DROPPED.sum();
    }

    /** Waits up to {@code timeout} until every started appender has written what it queued. */
    public static void drainAll(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (AsyncLogAppender a : STARTED) {
            while ((!a.queue.isEmpty() || a.writing) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(5); // shutdown path only: poll until the writer caught up
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The most events waiting to be written (default 8192). */
    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    @Override
    public void start() {
        if (queueSize < 1) {
            addError("queueSize must be >= 1, got " + queueSize);
            return;
        }
        queue = new ArrayBlockingQueue<>(queueSize);
        worker = new Thread(this::writeLoop, "log-writer-" + getName());
        worker.setDaemon(true);
        worker.start();
        STARTED.add(this);
        super.start();
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        drainAll(Duration.ofSeconds(1));
        STARTED.remove(this);
        worker.interrupt();
        appenders.detachAndStopAllAppenders();
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        if (!queue.offer(event)) {
            DROPPED.increment();
        }
    }

    private void writeLoop() {
        while (true) {
            ILoggingEvent e;
            try {
                e = queue.take();
            } catch (InterruptedException stop) {
                return;
            }
            writing = true;
            try {
                appenders.appendLoopOnAppenders(e);
            } catch (RuntimeException ex) {
                addError("a log appender failed", ex);
            } finally {
                writing = false;
            }
        }
    }

    @Override
    public void addAppender(Appender<ILoggingEvent> a) {
        appenders.addAppender(a);
    }

    @Override
    public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
        return appenders.iteratorForAppenders();
    }

    @Override
    public Appender<ILoggingEvent> getAppender(String name) {
        return appenders.getAppender(name);
    }

    @Override
    public boolean isAttached(Appender<ILoggingEvent> a) {
        return appenders.isAttached(a);
    }

    @Override
    public void detachAndStopAllAppenders() {
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public boolean detachAppender(Appender<ILoggingEvent> a) {
        return appenders.detachAppender(a);
    }

    @Override
    public boolean detachAppender(String name) {
        return appenders.detachAppender(name);
    }
}
