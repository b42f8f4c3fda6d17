package io.github.redisentra.emulator;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A tenant's token-signing keys (RS256). The newest key signs; every key that has not been retired is
 * published in the JWKS, so a rotation is seamless for validators and a retirement is not.
 */
public final class SigningKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<RSAKey> published = new ArrayList<>();
    private RSAKey current;

    SigningKeys() {
        rotate();
    }

    /** Adds a new key and makes it the one that signs; the previous keys stay published. Returns its kid. */
    public synchronized String rotate() {
        RSAKey key = generate();
        published.add(key);
        current = key;
        return key.getKeyID();
    }

    /**
     * Stops publishing {@code kid}. Retiring the current key is allowed (tests of "token signed by a key that
     * is gone"); the emulator then signs with the newest remaining key, or generates a new one if none is left.
     */
    public synchronized void retire(String kid) {
        boolean removed = published.removeIf(k -> k.getKeyID().equals(kid));
        if (!removed) {
            throw new NoSuchElementException("No published signing key with kid " + kid);
        }
        if (current.getKeyID().equals(kid)) {
            if (published.isEmpty()) {
                rotate();
            } else {
                current = published.get(published.size() - 1);
            }
        }
    }

    /** The key that signs now (private part included — for forging tests only). */
    public synchronized RSAKey currentPrivateKey() {
        return current;
    }

    public synchronized String currentKeyId() {
        return current.getKeyID();
    }

    /** Key ids currently published, oldest first. */
    public synchronized List<String> publishedKeyIds() {
        return published.stream().map(JWK::getKeyID).toList();
    }

    /** The public JWKS as served. */
    public synchronized JWKSet publicJwkSet() {
        return new JWKSet(published.stream().map(k -> (JWK) k.toPublicJWK()).toList());
    }

    private static RSAKey generate() {
        byte[] kid = new byte[20];
        RANDOM.nextBytes(kid);
        try {
            return new RSAKeyGenerator(2048)
                    .keyID(Base64.getUrlEncoder().withoutPadding().encodeToString(kid))
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.RS256)
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("Could not generate a signing key", e);
        }
    }
}
