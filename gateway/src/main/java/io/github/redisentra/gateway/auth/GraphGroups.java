package io.github.redisentra.gateway.auth;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * Resolves group overage (a user in more than 200 groups, whose token carries {@code _claim_names} instead of
 * {@code groups}) through Microsoft Graph {@code POST /v1.0/users/{oid}/checkMemberGroups}, at most 20 group ids per
 * call, with the gateway's own app-only token. The {@code _claim_sources} URL in the token (the retired Azure AD
 * Graph, and attacker-controlled in a forged token) is never called. Answers are cached per {@code oid} for
 * {@code ttl}, which must stay below a user token's lifetime.
 */
public final class GraphGroups {
    private static final Pattern GUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final int MAX_IDS_PER_CALL = 20;
    private static final int MAX_CACHED_USERS = 100_000;

    /** The gateway's bearer token for {@code https://graph.microsoft.com/.default}; must not block. */
    @FunctionalInterface
    public interface BearerToken {
        CompletionStage<String> get();
    }

    private record Cached(Set<String> memberOf, Instant until) {}

    private final HttpJson http;
    private final URI graphBaseUrl;
    private final BearerToken token;
    private final Duration ttl;
    private final Clock clock;
    private final Executor executor;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public GraphGroups(
            HttpJson http, URI graphBaseUrl, BearerToken token, Duration ttl, Clock clock, Executor executor) {
        this.http = http;
        this.graphBaseUrl = graphBaseUrl;
        this.token = token;
        this.ttl = ttl;
        this.clock = clock;
        this.executor = executor;
    }

    /** Which of {@code candidates} (lower-case GUIDs) the user {@code oid} is a transitive member of. */
    public CompletableFuture<Set<String>> memberOf(String oid, Set<String> candidates) {
        if (!GUID.matcher(oid).matches()) {
            // Never let a token's claim shape a Graph URL.
            return CompletableFuture.failedFuture(new IllegalArgumentException("oid is not a GUID"));
        }
        String key = oid.toLowerCase(Locale.ROOT);
        Cached c = cache.get(key);
        Instant now = clock.instant();
        if (c != null && now.isBefore(c.until())) {
            return CompletableFuture.completedFuture(c.memberOf());
        }
        CompletableFuture<String> bearerToken;
        try {
            bearerToken = token.get().toCompletableFuture();
        } catch (RuntimeException e) {
            bearerToken = CompletableFuture.failedFuture(e);
        }
        return bearerToken
                .exceptionally(e -> {
                    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause()
                            : e;
                    throw new IllegalStateException(
                            "no Graph token for the gateway's identity: " + cause.getMessage(), cause);
                })
                .thenComposeAsync(
                        bearer -> {
                            List<String> ids = new ArrayList<>(candidates);
                            List<CompletableFuture<Map<String, Object>>> calls = new ArrayList<>();
                            URI uri = URI.create(graphBaseUrl + "/v1.0/users/" + key + "/checkMemberGroups");
                            for (int i = 0; i < ids.size(); i += MAX_IDS_PER_CALL) {
                                List<String> chunk = ids.subList(i, Math.min(ids.size(), i + MAX_IDS_PER_CALL));
                                calls.add(http.postJson(uri, bearer, Map.of("groupIds", List.copyOf(chunk))));
                            }
                            return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                                    .thenApply(v -> {
                                        Set<String> member = new HashSet<>();
                                        for (CompletableFuture<Map<String, Object>> call : calls) {
                                            Object value = call.join().get("value");
                                            if (!(value instanceof List<?> list)) {
                                                throw new IllegalStateException(
                                                        "Graph checkMemberGroups answer has no value array");
                                            }
                                            for (Object o : list) {
                                                if (o instanceof String s
                                                        && candidates.contains(s.toLowerCase(Locale.ROOT))) {
                                                    member.add(s.toLowerCase(Locale.ROOT));
                                                }
                                            }
                                        }
                                        Set<String> result = Set.copyOf(member);
                                        if (cache.size() >= MAX_CACHED_USERS) {
                                            cache.clear();
                                        }
                                        cache.put(
                                                key,
                                                new Cached(
                                                        result, clock.instant().plus(ttl)));
                                        return result;
                                    });
                        },
                        executor);
    }
}
