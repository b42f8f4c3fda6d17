package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The validated-token cache alone: hits, one check per token, expiry, key rollover, bound, misses on one byte. */
class ValidatedTokensTest {
    static RSAKey key1;
    static RSAKey key2;
    static final Instant NOW = Instant.parse("2026-01-01T10:00:00Z");
    static final Duration SKEW = Duration.ofSeconds(30);

    final MutableClock clock = new MutableClock(NOW);
    final Map<String, RSAKey> published = new HashMap<>();
    final AtomicInteger checks = new AtomicInteger();

    @BeforeAll
    static void keys() throws Exception {
        key1 = new RSAKeyGenerator(2048).keyID("k1").generate().toPublicJWK();
        key2 = new RSAKeyGenerator(2048).keyID("k1").generate().toPublicJWK(); // same kid, other key
    }

    ValidatedTokens cache(int size) {
        published.put("k1", key1);
        return new ValidatedTokens(size, SKEW, clock, kid -> Optional.ofNullable(published.get(kid)));
    }

    /** A verifier that accepts every token as signed with k1, expiring at {@code exp}. */
    java.util.function.Function<String, CompletableFuture<TokenSignature.Verified>> verifier(Instant exp) {
        return token -> {
            checks.incrementAndGet();
            return CompletableFuture.completedFuture(
                    new TokenSignature.Verified("k1", key1, Map.of("exp", exp.getEpochSecond(), "sub", token)));
        };
    }

    TokenSignature.Verified get(ValidatedTokens c, String token, Instant exp) {
        return c.get(token, verifier(exp)).join();
    }

    @Test
    void aTokenIsCheckedOnceWhileValidAndOneByteMoreOrLessMisses() {
        ValidatedTokens c = cache(100);
        Instant exp = NOW.plus(Duration.ofHours(1));
        for (int i = 0; i < 5; i++) {
            assertThat(get(c, "aaa.bbb.ccc", exp).claims()).containsEntry("sub", "aaa.bbb.ccc");
        }
        assertThat(checks).hasValue(1);
        assertThat(c.hits()).isEqualTo(4);
        assertThat(c.misses()).isEqualTo(1);
        for (String forged : List.of("aaa.bbb.ccd", "aaa.bbb.cc", "aaa.bbb.ccc ", "baa.bbb.ccc", "aaa.cbb.ccc")) {
            assertThat(get(c, forged, exp).claims()).containsEntry("sub", forged);
        }
        assertThat(checks).hasValue(6);
    }

    @Test
    void concurrentSignInsWithOneNewTokenShareOneCheck() throws Exception {
        ValidatedTokens c = cache(100);
        CompletableFuture<TokenSignature.Verified> slow = new CompletableFuture<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<CompletableFuture<TokenSignature.Verified>>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                calls.add(pool.submit(() -> {
                    go.await();
                    return c.get("one.token.text", t -> {
                        checks.incrementAndGet();
                        return slow;
                    });
                }));
            }
            go.countDown();
            List<CompletableFuture<TokenSignature.Verified>> results = new ArrayList<>();
            for (var f : calls) {
                results.add(f.get(10, TimeUnit.SECONDS));
            }
            slow.complete(new TokenSignature.Verified("k1", key1, Map.of("exp", NOW.getEpochSecond() + 3600)));
            for (var r : results) {
                assertThat(r.get(10, TimeUnit.SECONDS).kid()).isEqualTo("k1");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(checks).hasValue(1);
        assertThat(c.hits() + c.misses()).isEqualTo(200);
        assertThat(c.misses()).isEqualTo(1);
    }

    @Test
    void anEntryLastsUntilExpPlusSkewAndNoLonger() {
        ValidatedTokens c = cache(100);
        Instant exp = NOW.plus(Duration.ofMinutes(10));
        get(c, "a.b.c", exp);
        clock.set(exp.plus(SKEW)); // still valid at exactly exp + skew
        get(c, "a.b.c", exp);
        assertThat(checks).hasValue(1);
        clock.set(exp.plus(SKEW).plusSeconds(1));
        get(c, "a.b.c", exp);
        assertThat(checks).hasValue(2);
    }

    @Test
    void aKeyThatLeavesTheJwksOrChangesTakesItsTokensWithIt() {
        ValidatedTokens c = cache(100);
        Instant exp = NOW.plus(Duration.ofHours(1));
        get(c, "a.b.c", exp);
        published.remove("k1"); // rolled over: kid no longer published
        get(c, "a.b.c", exp);
        assertThat(checks).hasValue(2);
        published.put("k1", key2); // same kid, another key
        get(c, "a.b.c", exp);
        assertThat(checks).hasValue(3);
        published.put("k1", key1);
        get(c, "a.b.c", exp);
        assertThat(checks).hasValue(3); // the third check's entry is good again with k1 back
    }

    @Test
    void failedChecksAndTokensWithoutExpAreNotKept() {
        ValidatedTokens c = cache(100);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> c.get("bad.sig.x", t -> {
                                checks.incrementAndGet();
                                return CompletableFuture.failedFuture(new Refusal("bad_signature", "no"));
                            })
                            .join())
                    .hasCauseInstanceOf(Refusal.class);
            c.get("no.exp.x", t -> {
                        checks.incrementAndGet();
                        return CompletableFuture.completedFuture(new TokenSignature.Verified("k1", key1, Map.of()));
                    })
                    .join();
        }
        assertThat(checks).hasValue(4);
        assertThat(c.size()).isZero();
    }

    @Test
    void theCacheIsBoundedAndSizeZeroTurnsItOff() {
        ValidatedTokens c = cache(10);
        Instant exp = NOW.plus(Duration.ofHours(1));
        for (int i = 0; i < 100; i++) {
            get(c, "t." + i + ".x", exp);
            assertThat(c.size()).isLessThanOrEqualTo(10);
        }
        ValidatedTokens off = cache(0);
        get(off, "a.b.c", exp);
        get(off, "a.b.c", exp);
        assertThat(off.size()).isZero();
        assertThat(off.hits()).isZero();
        assertThat(checks).hasValue(102);
    }

    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /** The cache key's fingerprint is the audit's token fingerprint: one SHA-256 per sign-in serves both. */
    @Test
    void keyFingerprintIsTheTokensFingerprint() {
        for (String token : List.of("", "a", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "x".repeat(5000))) {
            assertThat(ValidatedTokens.keyOf(token).fingerprint())
                    .isEqualTo(io.github.redisentra.core.AccessToken.fingerprintOf(token));
        }
    }
}
