package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The leak check can fail: a buffer dropped without release is reported. */
class NettyLeakCheckTest {
    @Test
    void aBufferDroppedWithoutReleaseIsReported() throws Exception {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Logger logger = (Logger) LoggerFactory.getLogger(NettyLeakCheck.LOGGER);
        logger.addAppender(appender);
        try {
            leakOne();
            assertThat(NettyLeakCheck.collectLeaks(appender)).isNotEmpty();
        } finally {
            logger.detachAppender(appender);
        }
    }

    private static void leakOne() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeLong(42); // and never released
    }
}
