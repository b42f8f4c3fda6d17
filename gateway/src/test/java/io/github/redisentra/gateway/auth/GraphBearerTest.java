package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.TokenSource;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class GraphBearerTest {
    /** A source counting its calls; fails with {@code failure} when set. */
    static final class Counting implements TokenSource {
        final AtomicInteger calls = new AtomicInteger();
        final String failure;

        Counting(String failure) {
            this.failure = failure;
        }

        @Override
        public AccessToken getToken(boolean forceRefresh) throws Exception {
            calls.incrementAndGet();
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
            Instant now = Instant.now();
            return AccessToken.opaque("graph-token", now, now.plus(Duration.ofHours(1)));
        }

        @Override
        public String describe() {
            return "counting";
        }
    }

    @Test
    void nothingIsFetchedUntilTheFirstGetThenTheTokenIsReused() throws Exception {
        Counting source = new Counting(null);
        try (GraphBearer bearer = new GraphBearer(source, Duration.ofSeconds(10))) {
            assertThat(source.calls).hasValue(0);
            assertThat(bearer.get().toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .isEqualTo("graph-token");
            assertThat(bearer.get().toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .isEqualTo("graph-token");
            assertThat(source.calls).hasValue(1);
        }
    }

    @Test
    void aSourceThatKeepsFailingEndsTheWaitAtTheTimeoutWithTheReason() {
        Counting source = new Counting("managed identity endpoint answered 429");
        try (GraphBearer bearer = new GraphBearer(source, Duration.ofSeconds(2))) {
            assertThatThrownBy(() -> bearer.get().toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .hasMessageStartingWith("none within 2000 ms (HTTP_TIMEOUT)")
                    .hasMessageContaining("429");
        }
    }

    @Test
    void afterCloseNoTokenIsFetched() {
        Counting source = new Counting(null);
        GraphBearer bearer = new GraphBearer(source, Duration.ofSeconds(1));
        bearer.close();
        assertThatThrownBy(() -> bearer.get().toCompletableFuture().get(10, TimeUnit.SECONDS))
                .hasMessageContaining("shutting down");
        assertThat(source.calls).hasValue(0);
    }
}
