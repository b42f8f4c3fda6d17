package io.github.redisentra.gateway.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Turns Netty's leak detector (paranoid in every gateway test run, see the parent pom) from a log line into a test
 * failure: collects its {@code LEAK:} reports while a test class runs and, after the class, forces collection and
 * fails when any buffer was garbage-collected without being released.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {
    private static final String KEY = "appender";
    static final String LOGGER = ResourceLeakDetector.class.getName();

    @Override
    public void beforeAll(ExtensionContext context) {
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            throw new IllegalStateException("run with -Dio.netty.leakDetection.level=paranoid (the build does)");
        }
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(LOGGER)).addAppender(appender);
        context.getStore(ExtensionContext.Namespace.create(NettyLeakCheck.class))
                .put(KEY, appender);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void afterAll(ExtensionContext context) throws Exception {
        ListAppender<ILoggingEvent> appender =
                (ListAppender<ILoggingEvent>) context.getStore(ExtensionContext.Namespace.create(NettyLeakCheck.class))
                        .remove(KEY);
        try {
            List<String> leaks = collectLeaks(appender);
            if (!leaks.isEmpty()) {
                throw new AssertionError(leaks.size() + " Netty buffer leak(s) reported:\n" + leaks.get(0));
            }
        } finally {
            ((Logger) LoggerFactory.getLogger(LOGGER)).detachAppender(appender);
        }
    }

    /** Forces the detector to look at everything collectable now; returns the leak reports seen so far. */
    static List<String> collectLeaks(ListAppender<ILoggingEvent> appender) throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(200);
            // The detector reports collected-but-unreleased buffers when a tracked buffer is allocated next.
            for (int i = 0; i < 200; i++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
                a.release();
                b.release();
            }
        }
        return appender.list.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
                .map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("LEAK"))
                .toList();
    }
}
