package io.github.redisentra.testkit;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Writes distinct keys on its own thread, as fast as the client acknowledges, while a test fails a node over: which
 * writes were acknowledged ({@code OK}) and which commands failed (not acknowledged: they may or may not have been
 * applied). Client-independent: the client's {@code SET} is a function.
 */
public final class AcknowledgedWriter implements AutoCloseable {
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    private AcknowledgedWriter(IntFunction<String> keyOf, BiFunction<String, String, String> set) {
        thread = new Thread(
                () -> {
                    for (int i = 0; running; i++) {
                        String key = keyOf.apply(i);
                        try {
                            if ("OK".equals(set.apply(key, "v" + i))) {
                                acknowledged.put(key, "v" + i);
                            }
                        } catch (RuntimeException e) {
                            failures.add(e); // not acknowledged: may or may not have been applied
                        }
                    }
                },
                "acknowledged-writer");
    }

    /** Starts writing {@code keyOf(i)} = {@code "v" + i} for i = 0, 1, … with {@code set}. */
    public static AcknowledgedWriter start(IntFunction<String> keyOf, BiFunction<String, String, String> set) {
        AcknowledgedWriter writer = new AcknowledgedWriter(keyOf, set);
        writer.thread.start();
        return writer;
    }

    /** How many writes were acknowledged so far. */
    public int acknowledgedCount() {
        return acknowledged.size();
    }

    /** The acknowledged writes, key to value (live while writing). */
    public Map<String, String> acknowledged() {
        return acknowledged;
    }

    /** The commands that failed (live while writing). */
    public List<Throwable> failures() {
        return failures;
    }

    /** How many acknowledged writes {@code get} does not read back. Call after {@link #close()}. */
    public long lost(Function<String, String> get) {
        return acknowledged.entrySet().stream()
                .filter(e -> !e.getValue().equals(get.apply(e.getKey())))
                .count();
    }

    /** Stops writing and waits (at most 20 s) for the last command. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(20_000);
    }
}
