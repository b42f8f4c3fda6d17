package io.github.redisentra.gateway.auth.ldap;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Successful directory sign-ins, so that a reconnecting client does not cost a bind each time: at most
 * {@code maxEntries} users (least recently used evicted), each for {@code ttl}.
 *
 * <p>Keyed by the user name; each entry holds a random salt and the PBKDF2-HMAC-SHA256 hash of the password that
 * succeeded — never the password. A lookup hashes the presented password with the entry's salt and compares in
 * constant time; a different password is a miss (and goes to the directory). Only successes are stored.
 */
final class CredentialCache {
    static final int ITERATIONS = 10_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;

    private record Entry(byte[] salt, byte[] hash, LdapDirectory.Identity identity, long expiresAtMillis) {}

    private final Duration ttl;
    private final int maxEntries;
    private final Clock clock;
    private final LdapMetrics metrics;
    private final SecureRandom random = new SecureRandom();
    private final LinkedHashMap<String, Entry> map;

    CredentialCache(Duration ttl, int maxEntries, Clock clock, LdapMetrics metrics) {
        this.ttl = ttl;
        this.maxEntries = maxEntries;
        this.clock = clock;
        this.metrics = metrics;
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                if (size() > CredentialCache.this.maxEntries) {
                    metrics.cacheEvictions.increment();
                    return true;
                }
                return false;
            }
        };
        metrics.cacheSize(this::size);
    }

    boolean enabled() {
        return !ttl.isZero() && maxEntries > 0;
    }

    /** The cached identity when {@code user} signed in with this very {@code password} within the TTL. */
    LdapDirectory.Identity lookup(String user, String password) {
        if (!enabled()) {
            return null;
        }
        Entry e;
        synchronized (map) {
            e = map.get(user);
            if (e != null && clock.millis() >= e.expiresAtMillis) {
                map.remove(user);
                metrics.cacheExpirations.increment();
                e = null;
            }
        }
        if (e != null && MessageDigest.isEqual(e.hash, hash(password, e.salt))) {
            metrics.cacheHits.increment();
            return e.identity;
        }
        metrics.cacheMisses.increment();
        return null;
    }

    /** Remembers a successful sign-in (call only after the directory accepted the bind). */
    void put(String user, String password, LdapDirectory.Identity identity) {
        if (!enabled()) {
            return;
        }
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        Entry e = new Entry(salt, hash(password, salt), identity, clock.millis() + ttl.toMillis());
        synchronized (map) {
            map.put(user, e);
        }
    }

    /** Drops every entry; returns how many there were. */
    int flush() {
        synchronized (map) {
            int n = map.size();
            map.clear();
            return n;
        }
    }

    /** Drops {@code user}'s entry; returns whether there was one. */
    boolean flush(String user) {
        synchronized (map) {
            return map.remove(user) != null;
        }
    }

    /** Drops expired entries (called now and then so the size gauge is honest). */
    void purgeExpired() {
        long now = clock.millis();
        synchronized (map) {
            for (Iterator<Entry> it = map.values().iterator(); it.hasNext(); ) {
                if (now >= it.next().expiresAtMillis) {
                    it.remove();
                    metrics.cacheExpirations.increment();
                }
            }
        }
    }

    long size() {
        synchronized (map) {
            return map.size();
        }
    }

    static byte[] hash(String password, byte[] salt) {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, ITERATIONS, HASH_BITS);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(spec)
                    .getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
        } finally {
            spec.clearPassword();
        }
    }
}
