package io.github.redisentra.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Logging never waits for the console: a stuck writer costs dropped, counted lines, not a blocked caller. */
class AsyncLogAppenderTest {

    /** An appender stuck until released (a console nobody reads), recording what it writes and on which thread. */
    static final class StuckConsole extends AppenderBase<ILoggingEvent> {
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> written = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        @Override
        protected void append(ILoggingEvent e) {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            written.add(e.getFormattedMessage());
            threads.add(e.getThreadName());
        }
    }

    @Test
    void aStuckConsoleNeverBlocksTheLoggingThreadAndEveryDropIsCounted() {
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as logback's service provider does
        StuckConsole console = new StuckConsole();
        console.setContext(ctx);
        console.start();
        AsyncLogAppender async = new AsyncLogAppender();
        async.setContext(ctx);
        async.setName("test");
        async.setQueueSize(4);
        async.addAppender(console);
        async.start();
        Logger log = ctx.getLogger("event-loop");
        log.setLevel(Level.INFO);
        log.addAppender(async);
        long droppedBefore = AsyncLogAppender.droppedLines();
        String[] caller = new String[1];
        // would hang for a minute per line if logging waited for the console
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            caller[0] = Thread.currentThread().getName();
            for (int i = 0; i < 100; i++) {
                log.warn("line {}", i);
            }
        });
        long dropped = AsyncLogAppender.droppedLines() - droppedBefore;
        // one line in the stuck writer, four queued, the rest dropped (95, or 96 if the writer had not taken one yet)
        assertThat(dropped).isBetween(95L, 96L);
        console.release.countDown();
        AsyncLogAppender.drainAll(Duration.ofSeconds(20));
        assertThat(console.written).hasSize((int) (100 - dropped)).startsWith("line 0");
        assertThat(console.threads)
                .as("the caller's thread name, captured before queueing")
                .containsOnly(caller[0]);
        async.stop();
        ctx.stop();
    }

    @Test
    void theGatewaysLogbackConfigurationWritesThroughTheAsyncAppender() throws Exception {
        LoggerContext ctx = new LoggerContext();
        JoranConfigurator j = new JoranConfigurator();
        j.setContext(ctx);
        j.doConfigure(AsyncLogAppenderTest.class.getResource("/logback.xml"));
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        List<Appender<ILoggingEvent>> rootAppenders = new java.util.ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(rootAppenders::add);
        assertThat(rootAppenders).hasSize(1).first().isInstanceOf(AsyncLogAppender.class);
        AsyncLogAppender async = (AsyncLogAppender) rootAppenders.get(0);
        assertThat(async.getAppender("json")).isNotNull();
        assertThat(async.getAppender("text")).isNotNull();
        ctx.stop();
    }
}
