package io.github.redisentra.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
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
 */
final class TokenSignature {
    static final int MAX_TOKEN_CHARS = 64 * 1024;
    private static final int MAX_CACHED_VERIFIERS = 64;

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
    private record Parsed(String[] parts, Map<String, Object> header, String kid) {}

    private final TenantKeys keys;
    private final Executor executor;
    private final Map<RSAKey, RSASSAVerifier> verifiers = new ConcurrentHashMap<>();
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
        return CompletableFuture.supplyAsync(() -> parse(token), executor)
                .thenCompose(p -> keys.find(p.kid()).thenApplyAsync(k -> verify(p, k), executor));
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
        String[] parts = {token.substring(0, d1), token.substring(d1 + 1, d2), token.substring(d2 + 1)};
        Map<String, Object> header = json(parts[0], "header");
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
        if (parts[2].isEmpty()) {
            throw new Refusal("bad_signature", "signature missing");
        }
        Object kid = header.get("kid");
        if (!(kid instanceof String k) || k.isEmpty()) {
            throw new Refusal("unknown_kid", "token header has no kid");
        }
        return new Parsed(parts, header, k);
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
        String[] parts = p.parts();
        try {
            JWSHeader jwsHeader = JWSHeader.parse(p.header(), new Base64URL(parts[0]));
            byte[] signingInput = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
            signatureChecks.increment();
            if (!verifier(key.get()).verify(jwsHeader, signingInput, new Base64URL(parts[2]))) {
                throw new Refusal("bad_signature", "signature does not verify with key " + kid);
            }
        } catch (ParseException e) {
            throw new Refusal("malformed", "header is not a valid JWS header");
        } catch (JOSEException e) {
            throw new Refusal("bad_signature", "signature could not be verified with key " + kid);
        }
        return new Verified(kid, key.get(), Collections.unmodifiableMap(json(parts[1], "payload")));
    }

    /** The verifier for a signing key; built once per key (building one converts the JWK to a public key). */
    private RSASSAVerifier verifier(RSAKey key) throws JOSEException {
        RSASSAVerifier v = verifiers.get(key);
        if (v == null) {
            if (verifiers.size() >= MAX_CACHED_VERIFIERS) {
                verifiers.clear(); // keys rolled many times: start over rather than grow
            }
            v = new RSASSAVerifier(key);
            verifiers.put(key, v);
        }
        return v;
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
            } else if ((c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || (c >= '0' && c <= '9')
                    || c == '_'
                    || c == '-') {
                segmentLength++;
            } else {
                return false;
            }
        }
        return segment == 2;
    }

    private static Map<String, Object> json(String segment, String what) {
        try {
            // java.util.Base64 (intrinsic-friendly) instead of Nimbus's constant-time codec: the header and payload
            // are not secret, and this runs on every AUTH. The caller checked the base64url alphabet.
            String text = new String(Base64.getUrlDecoder().decode(segment), StandardCharsets.UTF_8);
            return JSONObjectUtils.parse(text);
        } catch (ParseException | RuntimeException e) {
            throw new Refusal("malformed", "token " + what + " is not a JSON object");
        }
    }
}
