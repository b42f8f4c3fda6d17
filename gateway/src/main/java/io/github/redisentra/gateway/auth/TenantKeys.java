package io.github.redisentra.gateway.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tenant's issuers and signing keys, read from its v2 and v1 OpenID metadata documents and their JWKS.
 *
 * <p>Follows Microsoft's guidance: keys are cached by {@code kid} and refreshed in the background; an unknown
 * {@code kid} triggers a refresh at most once per {@code unknownKidInterval}; when a fetch fails the last-known-good
 * metadata and keys stay in use. Keys come only from the configured authority's {@code jwks_uri} — never from a URL
 * or key inside a token. All fetches run on the {@link HttpJson} client's threads.
 */
public final class TenantKeys implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TenantKeys.class);

    /** What was last loaded successfully; replaced atomically. */
    record Snapshot(
            Set<String> issuers,
            List<URI> jwksUris,
            Instant metadataLoadedAt,
            Map<String, RSAKey> keys,
            Instant keysLoadedAt) {
        static final Snapshot EMPTY = new Snapshot(Set.of(), List.of(), null, Map.of(), null);
    }

    /** Readiness facts: whether keys are loaded, and how old they are. */
    public record Status(boolean keysLoaded, int keyCount, Optional<Duration> keysAge, Optional<String> lastError) {}

    private final HttpJson http;
    private final List<URI> metadataUrls;
    private final Duration metadataRefreshInterval;
    private final Duration keysRefreshInterval;
    private final Duration unknownKidInterval;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;

    private volatile Snapshot snapshot = Snapshot.EMPTY;
    private volatile String lastError;
    private CompletableFuture<Snapshot> inFlight; // guarded by this
    private Instant lastUnknownKidRefresh; // guarded by this
    private ScheduledFuture<?> periodic;
    private ScheduledFuture<?> retry; // guarded by this
    private int failuresWithoutKeys; // guarded by this

    /**
     * @param metadataUrls the v2 and v1 {@code .well-known/openid-configuration} URLs
     * @param scheduler runs the periodic refresh (the fetch itself runs on the HTTP client's executor)
     */
    public TenantKeys(
            HttpJson http,
            List<URI> metadataUrls,
            Duration metadataRefreshInterval,
            Duration keysRefreshInterval,
            Duration unknownKidInterval,
            Clock clock,
            ScheduledExecutorService scheduler) {
        this.http = http;
        this.metadataUrls = List.copyOf(metadataUrls);
        this.metadataRefreshInterval = metadataRefreshInterval;
        this.keysRefreshInterval = keysRefreshInterval;
        this.unknownKidInterval = unknownKidInterval;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    /** Loads metadata and keys now and refreshes them every {@code keysRefreshInterval}; completes with the load. */
    public CompletableFuture<Void> start() {
        long period = keysRefreshInterval.toMillis();
        synchronized (this) {
            if (periodic == null) {
                periodic = scheduler.scheduleWithFixedDelay(
                        () -> refresh().exceptionally(e -> null), period, period, TimeUnit.MILLISECONDS);
            }
        }
        return refresh().thenApply(s -> null);
    }

    /** The accepted issuers (v2 and v1 of the tenant), exactly as the metadata documents state them. */
    public Set<String> issuers() {
        return snapshot.issuers();
    }

    public Status status() {
        Snapshot s = snapshot;
        Optional<Duration> age = Optional.ofNullable(s.keysLoadedAt()).map(t -> Duration.between(t, clock.instant()));
        return new Status(!s.keys().isEmpty(), s.keys().size(), age, Optional.ofNullable(lastError));
    }

    /** The key for {@code kid} if currently known, without any fetch. */
    public Optional<RSAKey> known(String kid) {
        return Optional.ofNullable(snapshot.keys().get(kid));
    }

    /**
     * The key for {@code kid}: from the cache, or — when unknown and no unknown-kid refresh happened within the
     * interval — after one refresh. Never fails: a failed refresh leaves the last-known-good keys.
     */
    public CompletableFuture<Optional<RSAKey>> find(String kid) {
        Optional<RSAKey> k = known(kid);
        if (k.isPresent()) {
            return CompletableFuture.completedFuture(k);
        }
        boolean mayRefresh;
        synchronized (this) {
            Instant now = clock.instant();
            mayRefresh = inFlight != null
                    || lastUnknownKidRefresh == null
                    || !now.isBefore(lastUnknownKidRefresh.plus(unknownKidInterval));
            if (mayRefresh && inFlight == null) {
                lastUnknownKidRefresh = now;
            }
        }
        if (!mayRefresh) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return refresh().handle((s, e) -> known(kid));
    }

    /**
     * Refreshes metadata (when older than its interval or never loaded) and then every JWKS. Concurrent callers
     * share one fetch.
     */
    public synchronized CompletableFuture<Snapshot> refresh() {
        if (inFlight != null) {
            return inFlight;
        }
        CompletableFuture<Snapshot> f = doRefresh();
        inFlight = f;
        f.whenComplete((s, e) -> {
            synchronized (this) {
                inFlight = null;
            }
            if (e != null) {
                String msg = rootMessage(e);
                lastError = msg;
                log.warn(
                        "signing key refresh failed, keeping {} last-known-good keys: {}",
                        snapshot.keys().size(),
                        msg);
                retrySoonWhileNoKeys();
            } else {
                lastError = null;
                synchronized (this) {
                    failuresWithoutKeys = 0;
                }
            }
        });
        return f;
    }

    /**
     * Without any key no one can be admitted, so a failed load (an authority briefly unreachable at start) must not
     * wait for the periodic refresh (an hour by default): retry with capped exponential backoff and jitter
     * (about 1 s, 2 s, 4 s … 64 s), one pending retry at a time, until keys load. With last-known-good keys the
     * periodic refresh is enough.
     */
    private void retrySoonWhileNoKeys() {
        if (!snapshot.keys().isEmpty()) {
            return;
        }
        synchronized (this) {
            if (retry != null && !retry.isDone()) {
                return;
            }
            int n = Math.min(++failuresWithoutKeys, 7);
            long ceiling = Math.min(keysRefreshInterval.toMillis(), 1000L << (n - 1));
            long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
            try {
                retry = scheduler.schedule(() -> refresh().exceptionally(e -> null), delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // Shutting down.
            }
        }
    }

    private CompletableFuture<Snapshot> doRefresh() {
        Snapshot current = snapshot;
        Instant now = clock.instant();
        boolean metadataFresh = current.metadataLoadedAt() != null
                && now.isBefore(current.metadataLoadedAt().plus(metadataRefreshInterval));
        CompletableFuture<Snapshot> withMetadata =
                metadataFresh ? CompletableFuture.completedFuture(current) : loadMetadata(current);
        return withMetadata.thenCompose(this::loadKeys).thenApply(s -> {
            snapshot = s;
            return s;
        });
    }

    private CompletableFuture<Snapshot> loadMetadata(Snapshot current) {
        List<CompletableFuture<Map<String, Object>>> docs = new ArrayList<>();
        for (URI u : metadataUrls) {
            docs.add(http.get(u));
        }
        return CompletableFuture.allOf(docs.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Set<String> issuers = new LinkedHashSet<>();
            Set<URI> jwks = new LinkedHashSet<>();
            for (int i = 0; i < docs.size(); i++) {
                Map<String, Object> doc = docs.get(i).join();
                Object iss = doc.get("issuer");
                Object uri = doc.get("jwks_uri");
                if (!(iss instanceof String issuer) || issuer.isEmpty() || !(uri instanceof String jwksUri)) {
                    throw new IllegalStateException(
                            "metadata " + metadataUrls.get(i) + " has no string issuer and jwks_uri");
                }
                URI parsed = URI.create(jwksUri);
                if (!"https".equalsIgnoreCase(parsed.getScheme())) {
                    throw new IllegalStateException(
                            "metadata " + metadataUrls.get(i) + " names a jwks_uri that is not" + " https: " + jwksUri);
                }
                issuers.add(issuer);
                jwks.add(parsed);
            }
            return new Snapshot(
                    Set.copyOf(issuers), List.copyOf(jwks), clock.instant(), current.keys(), current.keysLoadedAt());
        });
    }

    private CompletableFuture<Snapshot> loadKeys(Snapshot s) {
        List<CompletableFuture<Map<String, Object>>> sets = new ArrayList<>();
        for (URI u : s.jwksUris()) {
            sets.add(http.get(u));
        }
        return CompletableFuture.allOf(sets.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Map<String, RSAKey> keys = new LinkedHashMap<>();
            for (int i = 0; i < sets.size(); i++) {
                JWKSet set;
                try {
                    set = JWKSet.parse(sets.get(i).join());
                } catch (java.text.ParseException e) {
                    throw new IllegalStateException("JWKS " + s.jwksUris().get(i) + " is not a valid key set");
                }
                for (JWK k : set.getKeys()) {
                    if (k instanceof RSAKey rsa
                            && k.getKeyID() != null
                            && (k.getKeyUse() == null || KeyUse.SIGNATURE.equals(k.getKeyUse()))
                            && (k.getAlgorithm() == null || JWSAlgorithm.RS256.equals(k.getAlgorithm()))) {
                        keys.putIfAbsent(k.getKeyID(), rsa.toPublicJWK());
                    }
                }
            }
            if (keys.isEmpty()) {
                throw new IllegalStateException("the JWKS " + s.jwksUris() + " contain no RSA signing key");
            }
            Map<String, RSAKey> previous = new HashMap<>(s.keys());
            previous.keySet().removeAll(keys.keySet());
            if (!previous.isEmpty()) {
                log.info("signing keys no longer published, dropped: {}", previous.keySet());
            }
            return new Snapshot(s.issuers(), s.jwksUris(), s.metadataLoadedAt(), Map.copyOf(keys), clock.instant());
        });
    }

    /** The message of the innermost meaningful cause (futures wrap failures in CompletionException). */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null
                && (t instanceof CompletionException
                        || t instanceof java.util.concurrent.ExecutionException
                        || t.getMessage() == null)) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    @Override
    public synchronized void close() {
        if (periodic != null) {
            periodic.cancel(false);
        }
    }
}
