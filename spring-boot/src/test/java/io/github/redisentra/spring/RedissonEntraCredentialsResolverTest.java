package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.config.Config;
import org.redisson.config.Credentials;
import org.redisson.config.Protocol;

/** The resolver's hand-over logic against a real {@link TokenRefresher} on a source the test releases token by token. */
class RedissonEntraCredentialsResolverTest {
    static final InetSocketAddress CACHE = InetSocketAddress.createUnresolved("cache.example", 6380);

    final Semaphore permits = new Semaphore(0);
    final AtomicInteger issued = new AtomicInteger();
    volatile Duration lifetime = Duration.ofHours(1);
    final Map<String, Instant> expiries = new ConcurrentHashMap<>();
    final TokenSource source = new TokenSource() {
        @Override
        public AccessToken getToken(boolean forceRefresh) throws Exception {
            permits.acquire();
            Instant now = Instant.now();
            String secret = "secret-" + issued.incrementAndGet();
            expiries.put(secret, now.plus(lifetime));
            return AccessToken.opaque(secret, now, now.plus(lifetime));
        }

        @Override
        public String describe() {
            return "test source";
        }
    };
    final TokenRefresher refresher = TokenRefresher.builder(source)
            .policy(RefreshPolicy.builder().minimumDelay(Duration.ofMillis(50)).build())
            .build();

    @AfterEach
    void close() {
        refresher.close();
    }

    @Test
    void resolveWaitsForTheFirstTokenWithoutBlockingAndEachRenewalCompletesNextRenewal() throws Exception {
        RedissonEntraCredentialsResolver resolver = RedissonEntraCredentialsResolver.builder(refresher)
                .username("app")
                .build();

        CompletableFuture<Credentials> first = resolver.resolve(CACHE).toCompletableFuture();
        assertThat(first).as("returned at once, before any token exists").isNotDone();
        CompletableFuture<Void> renewal = resolver.nextRenewal().toCompletableFuture();

        permits.release();
        Credentials credentials = first.get(10, TimeUnit.SECONDS);
        assertThat(credentials.getUsername()).isEqualTo("app");
        assertThat(credentials.getPassword()).isEqualTo("secret-1");
        assertThat(renewal).as("the first token is not a renewal").isNotDone();
        assertThat(resolver.resolve(CACHE).toCompletableFuture().getNow(null).getPassword())
                .as("answered from memory")
                .isEqualTo("secret-1");

        permits.release();
        // refreshNow() is coalesced with the attempt that is still finishing; ask until the renewal has started.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            refresher.refreshNow();
            return renewal.isDone();
        });
        assertThat(resolver.resolve(CACHE).toCompletableFuture().getNow(null).getPassword())
                .isEqualTo("secret-2");
        CompletableFuture<Void> next = resolver.nextRenewal().toCompletableFuture();
        assertThat(next).isNotSameAs(renewal).isNotDone();
        assertThat(resolver.toString()).doesNotContain("secret-");
        resolver.close();
    }

    @Test
    void connectionSetUpAcrossARenewalIsReauthenticatedBeforeItsTokenExpires() throws Exception {
        lifetime = Duration.ofSeconds(4);
        RedissonEntraCredentialsResolver resolver = RedissonEntraCredentialsResolver.builder(refresher)
                .username("app")
                .build();
        permits.release();
        // A connection starts its setup with the first token (Redisson: AUTH, HELLO, then nextRenewal()) ...
        String old = resolver.resolve(CACHE)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .getPassword();
        CompletableFuture<Void> renewal = resolver.nextRenewal().toCompletableFuture();
        permits.release();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            refresher.refreshNow();
            return renewal.isDone();
        });
        // ... and asks for the next renewal only after this one: it must still AUTH before its token expires.
        CompletableFuture<Void> straggler = resolver.nextRenewal().toCompletableFuture();
        Instant oldExpiry = expiries.get(old);
        await().atMost(Duration.between(Instant.now(), oldExpiry)).until(straggler::isDone);
        assertThat(Instant.now())
                .as("late AUTH round before the old token's expiry")
                .isBefore(oldExpiry);
        assertThat(resolver.resolve(CACHE).toCompletableFuture().getNow(null).getPassword())
                .isNotEqualTo(old);
        assertThat(resolver.nextRenewal().toCompletableFuture())
                .as("after the late round, the next stage waits for the next renewal")
                .isNotDone();
        resolver.close();
    }

    @Test
    void noTokenWithinTokenWaitFailsTheConnectionWithAMessageNamingTheCause() {
        RedissonEntraCredentialsResolver resolver = RedissonEntraCredentialsResolver.builder(refresher)
                .username("app")
                .tokenWait(Duration.ofMillis(200))
                .build();
        assertThatThrownBy(() -> resolver.resolve(CACHE).toCompletableFuture().get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .hasMessageContaining("No valid Entra ID token")
                .hasMessageContaining("cache.example");
    }

    @Test
    void applyToSetsTheResolverAndResp3() {
        RedissonEntraCredentialsResolver resolver = RedissonEntraCredentialsResolver.builder(refresher)
                .usernameFrom(source)
                .build();
        Config config = resolver.applyTo(new Config());
        assertThat(config.getCredentialsResolver()).isSameAs(resolver);
        assertThat(config.getProtocol()).isEqualTo(Protocol.RESP3);
        assertThat(resolver.applyTo(new Config(), Protocol.RESP2).getProtocol()).isEqualTo(Protocol.RESP2);
    }
}
