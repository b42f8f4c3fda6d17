package io.github.redisentra.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The upstream connect schedule ({@code UPSTREAM_CONNECT_RATE}) on a fake clock: burst, rate, refusals, refill. */
class ConnectRateLimiterTest {
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000 * MS;

    /** A clock the test moves. */
    static final class FakeClock {
        long now = 123_456_789L; // any origin: only differences count

        long get() {
            return now;
        }
    }

    @Test
    void unlimitedNeverWaits() {
        ConnectRateLimiter l = new ConnectRateLimiter(UpstreamConnectRate.UNLIMITED, () -> 0L);
        for (int i = 0; i < 10_000; i++) {
            assertThat(l.reserve(0)).isZero();
        }
        assertThat(l.immediate()).isEqualTo(10_000);
        assertThat(l.delayed() + l.refused()).isZero();
    }

    @Test
    void aBurstGoesAtOnceThenOneSlotPerInterval() {
        FakeClock clock = new FakeClock();
        ConnectRateLimiter l = new ConnectRateLimiter(new UpstreamConnectRate(100, 5), clock::get); // 10 ms apart
        for (int i = 0; i < 5; i++) {
            assertThat(l.reserve(SECOND)).as("burst connect %d", i).isZero();
        }
        for (int k = 1; k <= 20; k++) {
            assertThat(l.reserve(SECOND)).as("connect %d over the burst", k).isEqualTo(k * 10 * MS);
        }
        assertThat(l.immediate()).isEqualTo(5);
        assertThat(l.delayed()).isEqualTo(20);
        assertThat(l.refused()).isZero();
    }

    @Test
    void aConnectWhoseSlotIsBeyondTheWaitBoundIsRefusedAndTakesNoSlot() {
        FakeClock clock = new FakeClock();
        ConnectRateLimiter l = new ConnectRateLimiter(new UpstreamConnectRate(100, 10), clock::get);
        int accepted = 0;
        for (int i = 0; i < 1_000; i++) {
            if (l.reserve(SECOND) >= 0) {
                accepted++;
            }
        }
        // the burst now, then one slot every 10 ms up to 1 s away: the queue is bounded by the wait bound
        assertThat(accepted).isEqualTo(10 + 100);
        assertThat(l.refused()).isEqualTo(1_000 - 110);
        assertThat(l.reserve(SECOND)).as("still refused: refusals took nothing").isEqualTo(-1);
        clock.now += 10 * MS;
        assertThat(l.reserve(SECOND))
                .as("one interval later one more slot, exactly at the bound")
                .isEqualTo(SECOND);
        assertThat(l.reserve(SECOND)).isEqualTo(-1);
    }

    @Test
    void theBucketRefillsAtTheRateWhileIdle() {
        FakeClock clock = new FakeClock();
        ConnectRateLimiter l = new ConnectRateLimiter(new UpstreamConnectRate(100, 5), clock::get);
        for (int i = 0; i < 5; i++) {
            l.reserve(SECOND);
        }
        assertThat(l.reserve(0)).as("empty bucket, no wait allowed").isEqualTo(-1);
        clock.now += 30 * MS; // three intervals: three connects at once
        assertThat(l.reserve(0)).isZero();
        assertThat(l.reserve(0)).isZero();
        assertThat(l.reserve(0)).isZero();
        assertThat(l.reserve(0)).isEqualTo(-1);
        clock.now += 10 * SECOND; // long idle: a full burst, no more
        for (int i = 0; i < 5; i++) {
            assertThat(l.reserve(0)).isZero();
        }
        assertThat(l.reserve(0)).isEqualTo(-1);
    }

    @Test
    void overAnyWindowNoMoreThanBurstPlusRateTimesWindowStart() {
        FakeClock clock = new FakeClock();
        int rate = 1_000;
        int burst = 50;
        ConnectRateLimiter l = new ConnectRateLimiter(new UpstreamConnectRate(rate, burst), clock::get);
        long origin = clock.now;
        java.util.List<Long> starts = new java.util.ArrayList<>();
        java.util.Random r = new java.util.Random(19);
        for (int i = 0; i < 20_000; i++) {
            clock.now += r.nextInt(2) == 0 ? 0 : r.nextInt(3 * (int) MS); // storms and lulls
            long wait = l.reserve(500 * MS);
            if (wait >= 0) {
                starts.add(clock.now + wait);
            }
        }
        java.util.Collections.sort(starts);
        for (int i = 0; i < starts.size(); i++) {
            long from = starts.get(i);
            int j = i;
            while (j < starts.size() && starts.get(j) - from < SECOND) {
                j++;
            }
            assertThat(j - i)
                    .as("connects starting within 1 s of %d ns", from - origin)
                    .isLessThanOrEqualTo(burst + rate);
        }
        assertThat(l.delayed()).isPositive();
        assertThat(l.refused()).isPositive();
    }

    @Test
    void theDialerRefusesAtOnceWithTheDefinedErrorAndPassesAllowedConnectsThrough() {
        EmbeddedChannel ch = new EmbeddedChannel();
        EventLoop loop = ch.eventLoop();
        AtomicInteger dialled = new AtomicInteger();
        UpstreamEndpoint endpoint = new UpstreamEndpoint("127.0.0.1", 6379, null, "127.0.0.1", Duration.ofMillis(50));
        UpstreamDialer inner = new UpstreamDialer() {
            @Override
            public Future<Channel> connect(EventLoop l, ReplySink sink) {
                dialled.incrementAndGet();
                return l.newSucceededFuture(ch);
            }

            @Override
            public UpstreamEndpoint endpoint() {
                return endpoint;
            }
        };
        FakeClock clock = new FakeClock();
        ConnectRateLimiter limiter = new ConnectRateLimiter(new UpstreamConnectRate(1, 1), clock::get);
        UpstreamDialer d = RateLimitedDialer.wrap(inner, limiter);
        assertThat(RateLimitedDialer.wrap(d, limiter))
                .as("one slot per connect")
                .isSameAs(d);
        assertThat(d.connect(loop, null).isSuccess()).isTrue();
        Future<Channel> refused = d.connect(loop, null); // next slot in 1 s, the connect timeout is 50 ms
        assertThat(refused.isDone()).isTrue();
        assertThat(refused.cause()).isInstanceOf(RateLimitedDialer.RateLimitExceeded.class);
        assertThat(UpstreamLink.reason(refused.cause())).isEqualTo("upstream connection rate limit reached; retry");
        assertThat(dialled.get()).isEqualTo(1);
        assertThat(limiter.renderMetrics("redis_entra_"))
                .contains("redis_entra_upstream_connect_rate_total{result=\"refused\"} 1")
                .contains("redis_entra_upstream_connect_rate_total{result=\"immediate\"} 1");
        assertThat(RateLimitedDialer.wrap(inner, new ConnectRateLimiter(UpstreamConnectRate.UNLIMITED, clock::get)))
                .isSameAs(inner);
        ch.finishAndReleaseAll();
    }
}
