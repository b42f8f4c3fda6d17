package io.github.redisentra.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * The signature half of client-token validation: size and shape (three base64url segments — JWE and unsigned tokens
 * are refused), header ({@code alg} must be {@code RS256}; {@code crit} is refused; {@code jku}, {@code x5u},
 * {@code jwk}, {@code x5c} are ignored — keys come only from the tenant's {@code jwks_uri}), the RS256 signature with
 * the tenant key named by {@code kid}, and the payload as JSON. What the claims say is checked by the caller.
 *
 * <p>Cost (#19): one validation is one task on the caller's executor when the key is known (parse, signature,
 * payload on the same thread; a hop only when an unknown {@code kid} needs a JWKS fetch); the header and payload are
 * decoded once; the signature is checked with the JCA's {@code SHA256withRSA} (what Nimbus's {@code RSASSAVerifier}
 * uses for RS256) on a per-thread {@link Signature} and a per-key {@link RSAPublicKey} converted once, the signature
 * bytes decoded with {@link Base64} (public bytes: no need for Nimbus's constant-time codec), and the signing input
 * taken from the token's bytes without building a string.
 */
final class TokenSignature {
    static final int MAX_TOKEN_CHARS = 64 * 1024;
    private static final int MAX_CACHED_KEYS = 64;

    /**
     * A token whose signature verified with the tenant's key {@code key} (named {@code kid}): its claims, as the
     * issuer signed them (unmodifiable).
     */
    record Verified(String kid, RSAKey key, Map<String, Object> claims) {
        @Override
        public String toString() {
            return "Verified[kid=" + kid + "]"; // never the claims: they identify a user
        }
    }

    /** A token split and its header read; the signature is not checked yet. */
    private record Parsed(String token, int dot1, int dot2, Map<String, Object> header, String kid) {}

    /** One {@code SHA256withRSA} verifier per thread (a {@link Signature} is not thread-safe; initialised per use). */
    private static final ThreadLocal<Signature> RS256 = ThreadLocal.withInitial(() -> {
        try {
            return Signature.getInstance("SHA256withRSA");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA256withRSA is not available", e);
        }
    });

    /** The base64url alphabet, by ASCII code (a table: the shape check reads every character of every token). */
    private static final boolean[] BASE64URL = new boolean[128];

    static {
        for (char c = 'A'; c <= 'Z'; c++) {
            BASE64URL[c] = true;
            BASE64URL[Character.toLowerCase(c)] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            BASE64URL[c] = true;
        }
        BASE64URL['-'] = true;
        BASE64URL['_'] = true;
    }

    private final TenantKeys keys;
    private final Executor executor;
    private final Map<RSAKey, RSAPublicKey> publicKeys = new ConcurrentHashMap<>();
    private final LongAdder signatureChecks = new LongAdder();

    /** @param executor runs the parsing and the signature check (CPU work) */
    TokenSignature(TenantKeys keys, Executor executor) {
        this.keys = keys;
        this.executor = executor;
    }

    /**
     * Parses {@code token}, finds its key (one JWKS refresh at most for an unknown {@code kid}, rate-limited by
     * {@link TenantKeys}) and verifies the signature; fails with a {@link Refusal} (wrapped).
     */
    CompletableFuture<Verified> verify(String token) {
        Parsed p;
        try {
            p = parse(token);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Optional<RSAKey>> key = keys.find(p.kid());
        if (key.isDone() && !key.isCompletedExceptionally()) {
            // the usual case: the key is known, so check here, on the calling thread (the executor's already)
            try {
                return CompletableFuture.completedFuture(verify(p, key.join()));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return key.thenApplyAsync(k -> verify(p, k), executor); // after a JWKS fetch: back on the executor
    }

    /** How many RS256 signature checks ran (whatever their result). */
    long signatureChecks() {
        return signatureChecks.sum();
    }

    private static Parsed parse(String token) {
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new Refusal("malformed", "token longer than " + MAX_TOKEN_CHARS + " characters");
        }
        int dots = countDots(token);
        if (dots == 4) {
            throw new Refusal("malformed", "encrypted token (JWE) is not accepted");
        }
        if (dots != 2 || !compactJws(token)) {
            throw new Refusal("malformed", "not a compact JWS (three base64url segments)");
        }
        int d1 = token.indexOf('.');
        int d2 = token.indexOf('.', d1 + 1);
        Map<String, Object> header = json(token, 0, d1, "header");
        Object alg = header.get("alg");
        if (!"RS256".equals(alg)) {
            throw new Refusal("alg_not_allowed", "alg " + Refusal.printable(alg) + " is not allowed (RS256 only)");
        }
        if (header.containsKey("enc")) {
            throw new Refusal("malformed", "encrypted token (JWE) is not accepted");
        }
        if (header.containsKey("crit")) {
            throw new Refusal("unsupported_header", "crit header is not supported");
        }
        if (d2 == token.length() - 1) {
            throw new Refusal("bad_signature", "signature missing");
        }
        Object kid = header.get("kid");
        if (!(kid instanceof String k) || k.isEmpty()) {
            throw new Refusal("unknown_kid", "token header has no kid");
        }
        return new Parsed(token, d1, d2, header, k);
    }

    private Verified verify(Parsed p, Optional<RSAKey> key) {
        String kid = p.kid();
        if (key.isEmpty()) {
            if (!keys.status().keysLoaded()) {
                throw new Refusal("keys_unavailable", "no signing keys loaded from the tenant's jwks_uri");
            }
            throw new Refusal(
                    "unknown_kid", "kid " + Refusal.printable(kid) + " is not among the tenant's signing keys");
        }
        String token = p.token();
        try {
            JWSHeader.parse(p.header(), null); // every header Nimbus would refuse is still refused
        } catch (ParseException e) {
            throw new Refusal("malformed", "header is not a valid JWS header");
        }
        boolean valid;
        try {
            byte[] signature = Base64.getUrlDecoder().decode(token.substring(p.dot2() + 1));
            // the token is base64url and dots only (checked), so its chars are its ASCII bytes
            byte[] ascii = token.getBytes(StandardCharsets.ISO_8859_1);
            Signature rs256 = RS256.get();
            rs256.initVerify(publicKey(key.get()));
            rs256.update(ascii, 0, p.dot2());
            signatureChecks.increment();
            valid = rs256.verify(signature);
        } catch (GeneralSecurityException | JOSEException | IllegalArgumentException e) {
            throw new Refusal("bad_signature", "signature could not be verified with key " + kid);
        }
        if (!valid) {
            throw new Refusal("bad_signature", "signature does not verify with key " + kid);
        }
        return new Verified(
                kid, key.get(), Collections.unmodifiableMap(json(token, p.dot1() + 1, p.dot2(), "payload")));
    }

    /** The public key of a signing key; converted once per key (the JWK's modulus and exponent to a JCA key). */
    private RSAPublicKey publicKey(RSAKey key) throws JOSEException {
        RSAPublicKey k = publicKeys.get(key);
        if (k == null) {
            if (publicKeys.size() >= MAX_CACHED_KEYS) {
                publicKeys.clear(); // keys rolled many times: start over rather than grow
            }
            k = key.toRSAPublicKey();
            publicKeys.put(key, k);
        }
        return k;
    }

    private static int countDots(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '.') {
                n++;
            }
        }
        return n;
    }

    /**
     * {@code [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*} (the caller checked there are exactly two dots),
     * without a regular expression: it runs on every AUTH.
     */
    static boolean compactJws(String s) {
        int segment = 0;
        int segmentLength = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (segmentLength == 0) {
                    return false;
                }
                segment++;
                segmentLength = 0;
            } else if (c < 128 && BASE64URL[c]) {
                segmentLength++;
            } else {
                return false;
            }
        }
        return segment == 2;
    }

    private static Map<String, Object> json(String token, int from, int to, String what) {
        try {
            // java.util.Base64 (intrinsic-friendly) instead of Nimbus's constant-time codec: the header and payload
            // are not secret, and this runs on every AUTH. The caller checked the base64url alphabet.
            byte[] segment = token.substring(from, to).getBytes(StandardCharsets.ISO_8859_1);
            String text = new String(Base64.getUrlDecoder().decode(segment), StandardCharsets.UTF_8);
            return JSONObjectUtils.parse(text);
        } catch (ParseException | RuntimeException e) {
            throw new Refusal("malformed", "token " + what + " is not a JSON object");
        }
    }
}
