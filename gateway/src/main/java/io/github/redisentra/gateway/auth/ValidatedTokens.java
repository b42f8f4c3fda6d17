package io.github.redisentra.gateway.auth;

import com.nimbusds.jose.jwk.RSAKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Client tokens whose signature already verified, so that a pool of connections opened with one token costs one
 * signature check ({@code TOKEN_CACHE_SIZE}).
 *
 * <p>What is kept is the verified token's claims and the key that verified it, never a decision: every use still
 * checks the claims (issuer, audience, tenant, {@code exp}/{@code nbf} with the clock skew, user name) and applies
 * the policy in force, so a roles-file reload applies to the next sign-in. An entry is used only while
 * <ul>
 *   <li>the token's {@code exp} plus the clock skew has not passed (then it is dropped);
 *   <li>the tenant still publishes the very key that verified it under the same {@code kid} (a key that disappears
 *       from the JWKS or changes takes its tokens with it at their next use).
 * </ul>
 *
 * <p>Keyed by the SHA-256 of the token's text, which is never stored: a token differing in one byte has another key.
 * Bounded: past {@code maxEntries}, expired entries go first, then arbitrary ones. Concurrent sign-ins with the same
 * new token share one check. Failed checks are not kept.
 */
final class ValidatedTokens {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    /** SHA-256 of a token, as four longs (value equality, no array). */
    record Key(long a, long b, long c, long d) {
        /** The token's fingerprint for logs: its SHA-256's first six bytes in hex, as {@code AccessToken}'s. */
        String fingerprint() {
            return HexFormat.of().toHexDigits(a).substring(0, 12);
        }
    }

    /** One token's check: in flight, or done with a deadline. */
    private static final class Slot {
        final CompletableFuture<TokenSignature.Verified> verified = new CompletableFuture<>();
        volatile Instant deadline; // null while in flight or when not kept
    }

    private final int maxEntries;
    private final Duration skew;
    private final Clock clock;
    private final Function<String, Optional<RSAKey>> currentKey;
    private final Map<Key, Slot> slots = new ConcurrentHashMap<>();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    /**
     * @param maxEntries how many tokens are kept at most; {@code 0} keeps none (every sign-in is checked)
     * @param skew the clock skew added to {@code exp}, as for every other use of {@code exp}
     * @param currentKey the tenant's key published now under a {@code kid}, without any fetch
     */
    ValidatedTokens(int maxEntries, Duration skew, Clock clock, Function<String, Optional<RSAKey>> currentKey) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must be >= 0");
        }
        this.maxEntries = maxEntries;
        this.skew = skew;
        this.clock = clock;
        this.currentKey = currentKey;
    }

    /**
     * The verified token: from the cache when it holds a usable entry for exactly this text, else from
     * {@code verify} (whose result is kept when it succeeded and the token has a numeric {@code exp}).
     */
    CompletableFuture<TokenSignature.Verified> get(
            String token, Function<String, CompletableFuture<TokenSignature.Verified>> verify) {
        return get(keyOf(token), token, verify);
    }

    /** {@link #get(String, Function)} with the token's {@link #keyOf} already computed (hashed once per sign-in). */
    CompletableFuture<TokenSignature.Verified> get(
            Key key, String token, Function<String, CompletableFuture<TokenSignature.Verified>> verify) {
        if (maxEntries == 0 || token.length() > TokenSignature.MAX_TOKEN_CHARS) {
            misses.increment();
            return verify.apply(token);
        }
        while (true) {
            Slot slot = slots.get(key);
            if (slot != null) {
                if (usable(slot)) {
                    hits.increment();
                    return slot.verified;
                }
                slots.remove(key, slot);
                continue;
            }
            Slot mine = new Slot();
            if (slots.putIfAbsent(key, mine) != null) {
                continue; // another sign-in with the same token got there first: share its check
            }
            misses.increment();
            if (slots.size() > maxEntries) {
                evict();
            }
            CompletableFuture<TokenSignature.Verified> check;
            try {
                check = verify.apply(token);
            } catch (RuntimeException e) {
                check = CompletableFuture.failedFuture(e);
            }
            check.whenComplete((v, e) -> {
                Instant deadline = e == null ? deadlineOf(v) : null;
                if (deadline == null) {
                    slots.remove(key, mine);
                } else {
                    mine.deadline = deadline;
                }
                if (e != null) {
                    mine.verified.completeExceptionally(e);
                } else {
                    mine.verified.complete(v);
                }
            });
            return mine.verified;
        }
    }

    /**
     * The verified token when the cache holds a completed, usable entry for it (counted as a hit), else {@code null}
     * (nothing counted: the caller then goes through {@link #get}). Never blocks nor verifies anything.
     */
    TokenSignature.Verified cached(Key key) {
        if (maxEntries == 0) {
            return null;
        }
        Slot slot = slots.get(key);
        if (slot == null || !slot.verified.isDone() || !usable(slot)) {
            return null;
        }
        hits.increment();
        return slot.verified.join();
    }

    /** Lookups answered from the cache (no signature check). */
    long hits() {
        return hits.sum();
    }

    /** Lookups that had to check the signature (or found the cache off). */
    long misses() {
        return misses.sum();
    }

    /** Tokens currently kept (including checks in flight). */
    int size() {
        return slots.size();
    }

    private boolean usable(Slot slot) {
        CompletableFuture<TokenSignature.Verified> f = slot.verified;
        if (!f.isDone()) {
            return true; // a check in flight: share it
        }
        Instant deadline = slot.deadline;
        if (f.isCompletedExceptionally() || deadline == null || clock.instant().isAfter(deadline)) {
            return false;
        }
        TokenSignature.Verified v = f.join();
        return currentKey.apply(v.kid()).filter(v.key()::equals).isPresent();
    }

    private Instant deadlineOf(TokenSignature.Verified v) {
        return v.claims().get("exp") instanceof Number n
                ? Instant.ofEpochSecond(n.longValue()).plus(skew)
                : null;
    }

    /** Drops expired and failed entries; then, if still full, arbitrary ones down to 90% of the bound. */
    private void evict() {
        Instant now = clock.instant();
        slots.values()
                .removeIf(s -> s.verified.isDone()
                        && (s.deadline == null || now.isAfter(s.deadline) || s.verified.isCompletedExceptionally()));
        int target = maxEntries - Math.max(1, maxEntries / 10);
        Iterator<Slot> it = slots.values().iterator();
        while (slots.size() > target && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    /** The token's SHA-256 (one per sign-in: the cache key and, by {@link Key#fingerprint}, the audit's). */
    static Key keyOf(String token) {
        MessageDigest d = SHA256.get();
        ByteBuffer h = ByteBuffer.wrap(d.digest(token.getBytes(StandardCharsets.UTF_8)));
        return new Key(h.getLong(), h.getLong(), h.getLong(), h.getLong());
    }
}
