package io.github.redisentra.gateway.auth;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.config.EntraSettings;
import io.github.redisentra.gateway.tls.TrustMaterial;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Validates Entra ID access tokens presented as Redis passwords and applies the group/app-role policy.
 *
 * <p>Checks, in order, each failure a stable reason code in the audit log: size and shape (three base64url
 * segments — JWE and unsigned tokens are refused), header ({@code alg} must be {@code RS256}; {@code crit} is
 * refused; {@code jku}, {@code x5u}, {@code jwk}, {@code x5c} are ignored — keys come only from the tenant's
 * {@code jwks_uri}), signature with the key named by {@code kid}, {@code iss} equal to the tenant's v2 or v1 issuer,
 * {@code aud} among the expected audiences, {@code tid}, {@code exp}/{@code nbf}/{@code iat} with the clock skew,
 * claim types, the user name (empty, {@code default} or the token's {@code oid}), then the policy — with group
 * overage resolved through Microsoft Graph. The signature half is {@link TokenSignature}'s; a token whose signature
 * already verified is taken from {@link ValidatedTokens} (by its SHA-256) while its key is still published and it has
 * not expired, and only its claims and the policy are checked again.
 *
 * <p>A signature check (and a Microsoft Graph lookup) runs on this authenticator's own threads; a token found in the
 * cache with no Graph lookup to make is decided on the caller's thread, without blocking (#19). The returned stage
 * never completes exceptionally.
 */
public final class EntraAuthenticator implements Authenticator, AutoCloseable {
    /** The reason codes this authenticator reports in {@link AuthDecision.Denied#reason()}. */
    public static final Set<String> REASONS = Set.of(
            "malformed",
            "alg_not_allowed",
            "unsupported_header",
            "unknown_kid",
            "keys_unavailable",
            "bad_signature",
            "wrong_issuer",
            "wrong_audience",
            "wrong_tenant",
            "expired",
            "not_yet_valid",
            "username_mismatch",
            "missing_group",
            "missing_role",
            "overage_unresolved",
            "app_not_allowed",
            "internal_error");

    private static final Pattern GUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Duration MAX_IAT_AGE = Duration.ofDays(1);
    /** Tokens up to this length are hashed on the caller's thread to look for a cache hit (Entra's are ~1-3 KB). */
    private static final int INLINE_MAX_CHARS = 16 * 1024;

    private final String tenantId;
    private final List<String> audiences;
    private final boolean[] guidAudience; // per audience: compared ignoring case (a GUID) or exactly
    private final Duration skew;
    private volatile GroupPolicy policy;
    private final TenantKeys keys;
    private final GraphGroups graph;
    private final boolean admitAnyApp;
    private final AuditLog audit;
    private final Clock clock;
    private final ExecutorService executor;
    private final ScheduledExecutorService scheduler;
    private final TokenSignature signatures;
    private final ValidatedTokens validated;

    /**
     * @param graph resolves group overage, or {@code null} when the gateway has no Entra identity (overage users are
     *     then refused with {@code overage_unresolved})
     * @param admitAnyApp whether an app-only token (a service principal's or managed identity's own token) may be
     *     admitted without a rule naming one of its groups or app roles ({@code ALLOW_ANY_TENANT_APP})
     */
    public EntraAuthenticator(
            String tenantId,
            List<String> audiences,
            Duration skew,
            GroupPolicy policy,
            TenantKeys keys,
            GraphGroups graph,
            boolean admitAnyApp,
            AuditLog audit,
            Clock clock,
            ExecutorService executor,
            ScheduledExecutorService scheduler,
            int tokenCacheSize) {
        this.tenantId = tenantId.toLowerCase(Locale.ROOT);
        this.audiences = List.copyOf(audiences);
        this.guidAudience = new boolean[this.audiences.size()];
        for (int i = 0; i < guidAudience.length; i++) {
            guidAudience[i] = TokenClaims.isGuid(this.audiences.get(i));
        }
        this.skew = skew;
        this.policy = policy;
        this.keys = keys;
        this.graph = graph;
        this.admitAnyApp = admitAnyApp;
        this.audit = audit;
        this.clock = clock;
        this.executor = executor;
        this.scheduler = scheduler;
        this.signatures = new TokenSignature(keys, executor);
        this.validated = new ValidatedTokens(tokenCacheSize, skew, clock, keys::known);
    }

    /**
     * Builds the authenticator the settings describe, with its own threads and HTTP client. Call {@link #start()} to
     * load the keys.
     *
     * @param admission who is admitted (the group and app-role rules, or those a roles file implies)
     * @param graphToken the gateway's token for Microsoft Graph, or {@code null} when it has none
     */
    public static EntraAuthenticator create(
            EntraSettings settings,
            GroupPolicy admission,
            GraphGroups.BearerToken graphToken,
            AuditLog audit,
            Clock clock)
            throws GeneralSecurityException, IOException {
        ExecutorService executor = Executors.newFixedThreadPool(
                Math.max(2, Runtime.getRuntime().availableProcessors()), daemon("entra-auth"));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(daemon("entra-keys"));
        HttpJson http = HttpJson.create(
                TrustMaterial.load(settings.http().caFile()), settings.http().timeout(), executor);
        TenantKeys keys = new TenantKeys(
                http,
                List.of(settings.metadataUrlV2(), settings.metadataUrlV1()),
                settings.metadataRefreshInterval(),
                settings.jwksRefreshInterval(),
                settings.jwksUnknownKidInterval(),
                clock,
                scheduler);
        GraphGroups graph = graphToken == null
                ? null
                : new GraphGroups(http, settings.graphBaseUrl(), graphToken, settings.groupCacheTtl(), clock, executor);
        return new EntraAuthenticator(
                settings.tenantId(),
                settings.expectedAudiences(),
                settings.clockSkew(),
                admission,
                keys,
                graph,
                settings.allowAnyTenantApp(),
                audit,
                clock,
                executor,
                scheduler,
                settings.tokenCacheSize());
    }

    static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Replaces the admission policy (the roles file was reloaded); decisions made after this use it. */
    public void policy(GroupPolicy next) {
        this.policy = java.util.Objects.requireNonNull(next, "policy");
    }

    /**
     * The admission policy a roles file implies: member of a role's group or holder of a role's app role
     * ({@code roleGroups} and {@code roleAppRoles}: all the groups and app roles the roles match).
     */
    public static GroupPolicy admission(
            Set<String> requiredGroupIds, Set<String> roleGroups, Set<String> roleAppRoles) {
        // Only group object ids can be in a token or asked of Graph; directory groups (DNs, names) are for LDAP.
        Set<String> ids = new LinkedHashSet<>();
        for (String g : roleGroups) {
            if (GUID.matcher(g).matches()) {
                ids.add(g);
            }
        }
        return new GroupPolicy(requiredGroupIds, ids, roleAppRoles);
    }

    /** Loads metadata and keys (completing when loaded or failed) and keeps refreshing them in the background. */
    public CompletableFuture<Void> start() {
        return keys.start();
    }

    /** Readiness facts: keys loaded, their age, the last refresh error. */
    public TenantKeys.Status keyStatus() {
        return keys.status();
    }

    /** The tenant's issuers, as read from the metadata documents (empty until loaded). */
    public Set<String> issuers() {
        return keys.issuers();
    }

    TenantKeys keys() {
        return keys;
    }

    /** How many RS256 signature checks ran since start (a cached token needs none). */
    public long signatureChecks() {
        return signatures.signatureChecks();
    }

    /** Prometheus lines for the metrics page: the validated-token cache and the signature checks. */
    public String renderMetrics(String prefix) {
        return "# HELP " + prefix + "token_cache_lookups_total Client token sign-ins by whether the already verified"
                + " token was found in the validated-token cache (hit: no signature check)\n"
                + "# TYPE " + prefix + "token_cache_lookups_total counter\n"
                + prefix + "token_cache_lookups_total{result=\"hit\"} " + validated.hits() + "\n"
                + prefix + "token_cache_lookups_total{result=\"miss\"} " + validated.misses() + "\n"
                + "# HELP " + prefix + "token_cache_entries Tokens in the validated-token cache\n"
                + "# TYPE " + prefix + "token_cache_entries gauge\n"
                + prefix + "token_cache_entries " + validated.size() + "\n"
                + "# HELP " + prefix + "token_signature_checks_total RS256 signature checks of client tokens\n"
                + "# TYPE " + prefix + "token_signature_checks_total counter\n"
                + prefix + "token_signature_checks_total " + signatures.signatureChecks() + "\n";
    }

    @Override
    public CompletionStage<AuthDecision> authenticate(AuthRequest request) {
        Check check = new Check(request);
        CompletableFuture<AuthDecision> decision;
        try {
            // A cache hit is decided here, on the caller's thread (an event loop): claims and policy are checked in
            // memory, nothing blocks, no hand-off to the pool and back (#19). Oversized tokens are hashed there.
            TokenSignature.Verified hit =
                    check.token.length() <= INLINE_MAX_CHARS ? validated.cached(check.hashed()) : null;
            if (hit != null && !check.needsGraph(hit.claims())) {
                decision = check.decide(CompletableFuture.completedFuture(hit)); // runs now, on this thread
            } else if (hit != null) { // group overage: Microsoft Graph is asked from the pool, never from here
                decision = CompletableFuture.supplyAsync(
                                () -> check.decide(CompletableFuture.completedFuture(hit)), executor)
                        .thenCompose(d -> d);
            } else { // the signature check, then the claims and the policy, on the pool (or the JWKS fetch's thread)
                decision = CompletableFuture.supplyAsync(
                                () -> check.decide(validated.get(check.hashed(), check.token, signatures::verify)),
                                executor)
                        .thenCompose(d -> d);
            }
        } catch (RuntimeException e) { // executor rejected (shutting down)
            decision = CompletableFuture.failedFuture(e);
        }
        return decision.handle((d, e) -> {
            AuthDecision result = d;
            if (e != null) {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause()
                        : e;
                result = cause instanceof Refusal r
                        ? new AuthDecision.Denied(r.reason, r.getMessage())
                        : new AuthDecision.Denied(
                                "internal_error", cause.getClass().getSimpleName());
            }
            check.audit(result);
            return result;
        });
    }

    /** The state of one check as it moves between threads. */
    private final class Check {
        final GroupPolicy policy = EntraAuthenticator.this.policy; // one policy per decision, even across a reload
        final AuthRequest request;
        final String token;
        /** The token's SHA-256, computed once per sign-in (cache key and audit fingerprint). */
        ValidatedTokens.Key key;

        Map<String, Object> claims;
        String oid;
        String tid;
        String displayName;
        Instant exp;
        Instant iat;

        Check(AuthRequest request) {
            this.request = request;
            this.token = request.password() == null ? "" : request.password();
        }

        ValidatedTokens.Key hashed() {
            if (key == null) {
                key = ValidatedTokens.keyOf(token);
            }
            return key;
        }

        /** The claims of the verified token checked, then the policy applied (on the thread that completes it). */
        CompletableFuture<AuthDecision> decide(CompletableFuture<TokenSignature.Verified> verified) {
            return verified.thenApply(this::claims).thenCompose(this::authorize);
        }

        /** Whether authorizing the token needs Microsoft Graph (group overage and a policy that needs groups). */
        boolean needsGraph(Map<String, Object> tokenClaims) {
            return !tokenClaims.containsKey("groups")
                    && TokenClaims.isGroupOverage(tokenClaims)
                    && policy.needsGroups();
        }

        /** The claims of a token whose signature verified (now or earlier: the cache), checked for this request. */
        Check claims(TokenSignature.Verified verified) {
            claims = verified.claims();
            checkClaims();
            return this;
        }

        void checkClaims() {
            // Facts for the audit log first (the signature verified, so they are the issuer's).
            Object oidClaim = claims.get("oid");
            oid = oidClaim instanceof String s ? s : null;
            Object tidClaim = claims.get("tid");
            tid = tidClaim instanceof String s ? s : null;
            displayName =
                    TokenClaims.firstString(claims, "upn", "preferred_username", "unique_name", "name", "appid", "azp");
            Object expClaim = claims.get("exp");
            if (expClaim instanceof Number n) {
                exp = Instant.ofEpochSecond(n.longValue());
            }

            Object iss = claims.get("iss");
            if (!(iss instanceof String issuer)) {
                throw new Refusal("malformed", "iss is missing or not a string");
            }
            if (!keys.issuers().contains(issuer)) {
                throw new Refusal(
                        "wrong_issuer", "iss " + Refusal.printable(issuer) + " is not the tenant's v1 or v2 issuer");
            }
            checkAudience(claims.get("aud"));
            if (tidClaim == null) {
                throw new Refusal("malformed", "tid is missing");
            }
            if (tid == null) {
                throw new Refusal("malformed", "tid is not a string");
            }
            if (!tid.equalsIgnoreCase(tenantId)) {
                throw new Refusal("wrong_tenant", "tid " + Refusal.printable(tid) + " is not the configured tenant");
            }
            Instant now = clock.instant();
            if (expClaim == null) {
                throw new Refusal("malformed", "exp is missing");
            }
            if (exp == null) {
                throw new Refusal("malformed", "exp is not a number");
            }
            Instant nbf = TokenClaims.epoch(claims, "nbf");
            iat = TokenClaims.epoch(claims, "iat");
            if (now.isAfter(exp.plus(skew))) {
                throw new Refusal("expired", "expired at " + exp);
            }
            if (nbf != null && now.plus(skew).isBefore(nbf)) {
                throw new Refusal("not_yet_valid", "not valid before " + nbf);
            }
            if (iat != null && now.plus(skew).isBefore(iat)) {
                throw new Refusal("not_yet_valid", "issued in the future (iat " + iat + ")");
            }
            if (iat != null && iat.isBefore(exp.minus(MAX_IAT_AGE))) {
                throw new Refusal("malformed", "lifetime longer than " + MAX_IAT_AGE.toHours() + " hours");
            }
            if (oidClaim == null) {
                throw new Refusal("malformed", "oid is missing");
            }
            if (oid == null || !TokenClaims.isGuid(oid)) {
                throw new Refusal("malformed", "oid is not a GUID string");
            }
            String user = request.username();
            if (user != null && !user.isEmpty() && !user.equals("default") && !user.equalsIgnoreCase(oid)) {
                throw new Refusal(
                        "username_mismatch",
                        "user name " + Refusal.printable(user) + " is neither empty, default nor the token's oid");
            }
        }

        void checkAudience(Object aud) {
            List<String> values = new ArrayList<>();
            if (aud instanceof String s) {
                values.add(s);
            } else if (aud instanceof List<?> list && !list.isEmpty()) {
                for (Object o : list) {
                    if (!(o instanceof String s)) {
                        throw new Refusal("malformed", "aud contains a value that is not a string");
                    }
                    values.add(s);
                }
            } else {
                throw new Refusal("malformed", "aud is missing or not a string");
            }
            for (String v : values) {
                for (int i = 0; i < guidAudience.length; i++) {
                    String expected = audiences.get(i);
                    if (guidAudience[i] ? expected.equalsIgnoreCase(v) : expected.equals(v)) {
                        return;
                    }
                }
            }
            throw new Refusal(
                    "wrong_audience", "aud " + Refusal.printable(String.join(",", values)) + " is not expected");
        }

        CompletableFuture<AuthDecision> authorize(Check self) {
            Set<String> roles = TokenClaims.stringArray(claims, "roles");
            Set<String> groups = TokenClaims.stringArray(claims, "groups");
            if (needsGraph(claims)) {
                if (graph == null) {
                    throw new Refusal(
                            "overage_unresolved",
                            "token has group overage and the gateway has no Entra identity to ask Microsoft Graph");
                }
                return graph.memberOf(oid, policy.groupsOfInterest()).handle((memberOf, e) -> {
                    if (e != null) {
                        throw new Refusal(
                                "overage_unresolved",
                                "Microsoft Graph checkMemberGroups failed: " + TenantKeys.rootMessage(e));
                    }
                    return decide(memberOf, roles);
                });
            }
            return CompletableFuture.completedFuture(decide(groups, roles));
        }

        AuthDecision decide(Set<String> groups, Set<String> roles) {
            GroupPolicy.Outcome o = policy.evaluate(groups, roles);
            if (!o.admitted()) {
                throw new Refusal(o.reason(), o.detail());
            }
            if (o.matchedGroups().isEmpty()
                    && o.matchedRoles().isEmpty()
                    && !admitAnyApp
                    && TokenClaims.appOnly(claims)) {
                // Admitted by no rule at all (ALLOW_ANY_TENANT_USER): that admits the tenant's users, not every
                // service principal and managed identity of the tenant.
                throw new Refusal(
                        "app_not_allowed",
                        "app-only token (no signed-in user) admitted by no group or app role rule; set"
                                + " ALLOW_ANY_TENANT_APP=true to admit every application of the tenant");
            }
            return new AuthDecision.Allowed(new Principal(
                    oid.toLowerCase(Locale.ROOT),
                    tid.toLowerCase(Locale.ROOT),
                    displayName,
                    exp,
                    o.matchedGroups(),
                    o.matchedRoles(),
                    iat));
        }

        void audit(AuthDecision d) {
            boolean verified = claims != null;
            Set<String> groups = Set.of();
            Set<String> roles = Set.of();
            String result = "allowed";
            String reason = null;
            String detail = null;
            if (d instanceof AuthDecision.Allowed a) {
                groups = a.principal().groups();
                roles = a.principal().roles();
            } else if (d instanceof AuthDecision.Denied den) {
                result = "denied";
                reason = den.reason();
                detail = den.detail();
            }
            audit.record(new AuditEvent(
                    clock.instant(),
                    request.clientAddress(),
                    result,
                    reason,
                    detail,
                    verified ? oid : null,
                    verified ? displayName : null,
                    verified ? tid : null,
                    groups,
                    roles,
                    verified ? exp : null,
                    token.isEmpty() ? null : key != null ? key.fingerprint() : AccessToken.fingerprintOf(token)));
        }
    }

    @Override
    public void close() {
        keys.close();
        scheduler.shutdownNow();
        executor.shutdown();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }
}
