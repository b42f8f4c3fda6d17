package io.github.redisentra.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.AccessToken;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Who may take a warm connection, without sockets (the pool is not started: nothing is dialled). */
class WarmPoolTest {
    final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    final AtomicInteger dialled = new AtomicInteger();
    final UpstreamDialer inner = new UpstreamDialer() {
        @Override
        public Future<io.netty.channel.Channel> connect(EventLoop loop, ReplySink sink) {
            dialled.incrementAndGet();
            return loop.newFailedFuture(new java.io.IOException("not in this test"));
        }

        @Override
        public UpstreamEndpoint endpoint() {
            return new UpstreamEndpoint("127.0.0.1", 6380, null, null, Duration.ofSeconds(1));
        }
    };
    final UpstreamCredentials gateway = identity();
    final PoolMetrics metrics = new PoolMetrics();
    final WarmPool pool = new WarmPool(
            inner,
            gateway,
            new UpstreamPoolSettings(4, Duration.ofMinutes(5)),
            Duration.ofSeconds(5),
            Clock.systemUTC(),
            metrics,
            loops);

    static UpstreamCredentials identity() {
        AccessToken t = AccessToken.opaque("t", null, Instant.now().plusSeconds(3600));
        return UpstreamCredentials.tokens("gw", () -> Optional.of(t), l -> () -> {});
    }

    @AfterEach
    void stop() {
        pool.close();
        loops.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS)
                .syncUninterruptibly();
    }

    @Test
    void aSessionOfAnotherUpstreamIdentityNeverTakesOneItDialsAsWithoutAPool() {
        EventLoop loop = loops.next();
        assertThat(pool.takeWarm(loop, identity(), null)).isNull();
        assertThat(metrics.render("x_")).contains("x_upstream_pool_takes_total{result=\"other_identity\"} 1");
        assertThat(metrics.hits() + metrics.misses()).isZero();
    }

    @Test
    void aSessionOfTheGatewaysIdentityFindingNoneReadyIsAMissAndTheSessionDials() throws Exception {
        EventLoop loop = loops.next();
        assertThat(loop.submit(() -> pool.takeWarm(loop, gateway, null)).get()).isNull();
        assertThat(metrics.misses()).isEqualTo(1);
        // the connect path is the inner dialer's, unchanged
        pool.connect(loop, null);
        assertThat(dialled.get()).isPositive();
    }
}
