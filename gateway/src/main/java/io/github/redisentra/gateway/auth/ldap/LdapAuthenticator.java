package io.github.redisentra.gateway.auth.ldap;

import io.github.redisentra.gateway.auth.AuditEvent;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.AuthRequest;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.auth.GroupPolicy;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.DirectoryGroups;
import io.github.redisentra.gateway.config.LdapConfig;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs clients in against an LDAP directory or Active Directory: {@code AUTH <user> <password>} is checked by a
 * simple bind as the user's DN (from a template, or found by a service-account search), the user's groups are read
 * ({@code memberOf} or a group search, optionally AD nested groups) and the same {@link GroupPolicy} as for Entra
 * users decides.
 *
 * <p>The admitted {@link Principal}: {@code objectId} is the user name as sent (so {@code AUTH <user> …} matches it),
 * {@code displayName} the user's DN, {@code tenantId} {@code null}, {@code groups} <em>all</em> the user's directory
 * groups, each twice — as its normalized DN ({@code cn=redis users,ou=groups,dc=example,dc=com}), which only a DN
 * value matches, and as {@code name:} + its name ({@code name:redis users}, the value of its first RDN), which only an
 * explicit {@code name:} value matches ({@link DirectoryGroups#of}). {@code expiresAt} is the sign-in time
 * plus {@code LDAP_SESSION_MAX_AGE}, so the session's one expiry handling ends it as it ends a token's session; without
 * that setting it is far in the future and the session lasts until the client disconnects.
 *
 * <p>Blocking directory work runs on this authenticator's own threads; the returned stage never completes
 * exceptionally and every decision is written to the {@link AuditLog} ({@code oid} = user name, {@code name} = DN).
 */
public final class LdapAuthenticator implements Authenticator, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LdapAuthenticator.class);
    /** Longest user name accepted; longer ones never reach the directory. */
    static final int MAX_USERNAME = 256;
    /** Longest password accepted (AD's limit is 256 characters). */
    static final int MAX_PASSWORD = 1024;

    /** A sign-in without LDAP_SESSION_MAX_AGE lasts until the client disconnects. */
    private static final Duration UNLIMITED_SESSION = Duration.ofDays(3650);

    /** The reason codes this authenticator reports in {@link AuthDecision.Denied#reason()}. */
    public static final Set<String> REASONS = Set.of(
            "missing_username",
            "invalid_username",
            "empty_password",
            "unknown_user",
            "ambiguous_user",
            "invalid_credentials",
            "account_disabled",
            "account_locked",
            "account_expired",
            "account_restricted",
            "password_expired",
            "password_must_change",
            "missing_group",
            "directory_error",
            "directory_unavailable",
            "internal_error");
    /** Refusals after which a cached sign-in of the same user is dropped: the account itself changed. */
    private static final Set<String> ACCOUNT_REFUSALS = Set.of(
            "unknown_user",
            "account_disabled",
            "account_locked",
            "account_expired",
            "password_expired",
            "password_must_change");

    private record State(LdapConfig config, LdapDirectory directory, GroupPolicy policy) {}

    private final AuditLog audit;
    private final Clock clock;
    private final LdapMetrics metrics = new LdapMetrics();
    private final ExecutorService executor;
    private final ScheduledExecutorService scheduler;
    private volatile State state;
    private volatile CredentialCache cache;

    private LdapAuthenticator(LdapConfig config, AuditLog audit, Clock clock)
            throws GeneralSecurityException, IOException {
        this.audit = audit;
        this.clock = clock;
        this.executor = Executors.newFixedThreadPool(Math.max(4, config.poolSize() * 2), daemon("ldap-auth"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("ldap-health"));
        this.state = build(config);
        this.cache = new CredentialCache(config.cacheTtl(), config.cacheMaxEntries(), clock, metrics);
        scheduler.scheduleWithFixedDelay(() -> cache.purgeExpired(), 30, 30, TimeUnit.SECONDS);
    }

    /** Starts the authenticator (pools connect lazily; health checks start at once). */
    public static LdapAuthenticator create(LdapConfig config, AuditLog audit, Clock clock)
            throws GeneralSecurityException, IOException {
        return new LdapAuthenticator(config, audit, clock);
    }

    private State build(LdapConfig config) throws GeneralSecurityException, IOException {
        GroupPolicy policy = new GroupPolicy(config.requiredGroups(), config.allowedGroups(), Set.of());
        return new State(config, new LdapDirectory(config, metrics, clock, scheduler), policy);
    }

    static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public LdapMetrics metrics() {
        return metrics;
    }

    public LdapConfig config() {
        return state.config();
    }

    @Override
    public CompletionStage<AuthDecision> authenticate(AuthRequest request) {
        CompletableFuture<AuthDecision> f;
        try {
            f = CompletableFuture.supplyAsync(() -> decide(request), executor);
        } catch (RejectedExecutionException e) {
            f = CompletableFuture.completedFuture(new AuthDecision.Denied("internal_error", "shutting down"));
            record(request, null, f.join(), Set.of());
        }
        return f.exceptionally(e -> {
            AuthDecision d =
                    new AuthDecision.Denied("internal_error", e.getClass().getSimpleName());
            record(request, null, d, Set.of());
            return d;
        });
    }

    private AuthDecision decide(AuthRequest request) {
        String user = request.username();
        String password = request.password();
        State s = state;
        CredentialCache c = cache;
        String dn = null;
        AuthDecision d;
        Set<String> matched = Set.of();
        try {
            checkInput(user, password);
            LdapDirectory.Identity id = c.lookup(user, password);
            if (id == null) {
                try {
                    id = s.directory().authenticate(user, password);
                } catch (LdapDirectory.Refusal r) {
                    if (ACCOUNT_REFUSALS.contains(r.reason)) {
                        c.flush(user);
                    }
                    throw r;
                }
                c.put(user, password, id);
            }
            dn = id.dn();
            Set<String> groups = DirectoryGroups.of(id.groupDns());
            GroupPolicy.Outcome o = s.policy().evaluate(groups, Set.of());
            if (!o.admitted()) {
                throw new LdapDirectory.Refusal(o.reason(), o.detail());
            }
            matched = o.matchedGroups();
            // The session's expiry handling (NOAUTH, subscribers closed) applies at expiresAt, as for a token.
            Duration age = s.config().sessionMaxAge() != null ? s.config().sessionMaxAge() : UNLIMITED_SESSION;
            d = new AuthDecision.Allowed(
                    new Principal(user, null, dn, clock.instant().plus(age), groups, Set.of()));
        } catch (LdapDirectory.Refusal r) {
            d = new AuthDecision.Denied(r.reason, r.getMessage());
        } catch (RuntimeException e) {
            log.warn("LDAP sign-in failed unexpectedly: {}", e.toString());
            d = new AuthDecision.Denied("internal_error", e.getClass().getSimpleName());
        }
        record(request, dn, d, matched);
        return d;
    }

    private static void checkInput(String user, String password) throws LdapDirectory.Refusal {
        if (user == null || user.isEmpty()) {
            throw new LdapDirectory.Refusal(
                    "missing_username", "a directory sign-in needs AUTH <user> <password> (no user name sent)");
        }
        if (password == null || password.isEmpty()) {
            // An empty simple bind is an anonymous bind, which "succeeds" for any DN.
            throw new LdapDirectory.Refusal("empty_password", "empty password refused (it would be an anonymous bind)");
        }
        if (user.length() > MAX_USERNAME) {
            throw new LdapDirectory.Refusal("invalid_username", "user name longer than " + MAX_USERNAME);
        }
        if (password.length() > MAX_PASSWORD) {
            throw new LdapDirectory.Refusal("invalid_credentials", "password longer than " + MAX_PASSWORD);
        }
        for (int i = 0; i < user.length(); i++) {
            char ch = user.charAt(i);
            if (ch < 0x20 || ch == 0x7f || Character.isISOControl(ch)) {
                throw new LdapDirectory.Refusal("invalid_username", "user name contains a control character");
            }
        }
    }

    private void record(AuthRequest request, String dn, AuthDecision d, Set<String> matchedGroups) {
        String result = d instanceof AuthDecision.Allowed ? "allowed" : "denied";
        String reason = d instanceof AuthDecision.Denied den ? den.reason() : null;
        metrics.attempt(result, reason);
        audit.record(new AuditEvent(
                clock.instant(),
                request.clientAddress(),
                result,
                reason,
                d instanceof AuthDecision.Denied den ? "ldap: " + den.detail() : "ldap",
                request.username() == null ? null : printable(request.username()),
                dn == null ? null : printable(dn),
                null,
                matchedGroups,
                Set.of(),
                null,
                null));
    }

    /** Renders an untrusted value for the audit log: bounded length, printable characters only. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 120; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c != 0x7f && !Character.isISOControl(c) ? c : '?');
        }
        return s.length() > 120 ? sb + "…" : sb.toString();
    }

    // ---------------------------------------------------------------- administration

    /** Drops every cached sign-in; returns how many there were. */
    public int flushCache() {
        int n = cache.flush();
        log.info("LDAP credential cache flushed ({} entries)", n);
        return n;
    }

    /** Drops {@code user}'s cached sign-in; returns whether there was one. */
    public boolean flushCache(String user) {
        boolean had = cache.flush(user);
        log.info("LDAP credential cache entry {} for {}", had ? "flushed" : "absent", printable(user));
        return had;
    }

    /**
     * Replaces the directory settings (servers, TLS material, bind settings, policy, cache size) with
     * {@code config}: new pools are built first, then swapped in; the cache is emptied; the old pools close after
     * the operation timeout so in-flight sign-ins finish.
     */
    public synchronized void reload(LdapConfig config) throws GeneralSecurityException, IOException {
        State old = state;
        state = build(config);
        cache = new CredentialCache(config.cacheTtl(), config.cacheMaxEntries(), clock, metrics);
        scheduler.schedule(
                old.directory()::close, old.config().operationTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        log.info("LDAP configuration reloaded: servers {}", config.servers());
    }

    /** The outcome of one server's health check. */
    public record ServerCheck(String url, boolean up, double latencySeconds, String error) {}

    /** Runs the WhoAmI health check (with the service bind, when configured) on every server now and reports. */
    public List<ServerCheck> probe() {
        State s = state;
        s.directory().checkAll();
        return s.directory().status().stream()
                .map(st -> new ServerCheck(st.url(), st.up(), st.lastLatencySeconds(), st.lastError()))
                .toList();
    }

    /** Runs the health checks now (normally every LDAP_HEALTH_CHECK_INTERVAL). */
    public void checkServers() {
        state.directory().checkAll();
    }

    /** Status for the admin API: servers, cache and counts (no secrets, no client input but cached user count). */
    public Map<String, Object> status() {
        State s = state;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", s.config().mode() == LdapConfig.Mode.BIND ? "bind" : "search+bind");
        List<Map<String, Object>> servers = s.directory().status().stream()
                .map(st -> {
                    Map<String, Object> x = new LinkedHashMap<>();
                    x.put("url", st.url());
                    x.put("up", st.up());
                    x.put(
                            "last_check",
                            st.lastCheck() == null ? null : st.lastCheck().toString());
                    x.put("latency_seconds", st.lastLatencySeconds());
                    x.put("last_error", st.lastError());
                    x.put("failures", st.failures());
                    return x;
                })
                .toList();
        m.put("servers", servers);
        long hits = metrics.cacheHits();
        long misses = metrics.cacheMisses();
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("enabled", cache.enabled());
        cm.put("entries", cache.size());
        cm.put("hits", hits);
        cm.put("misses", misses);
        cm.put("hit_ratio", hits + misses == 0 ? 0.0 : (double) hits / (hits + misses));
        cm.put("evictions", metrics.cacheEvictions());
        cm.put("ttl_seconds", s.config().cacheTtl().toSeconds());
        m.put("cache", cm);
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("allowed", metrics.attempts("allowed", null));
        long denied = 0;
        for (String r : REASONS) {
            denied += metrics.attempts("denied", r);
        }
        counts.put("denied", denied);
        m.put("auth", counts);
        m.put("time", Instant.now(clock).toString());
        return m;
    }

    @Override
    public void close() {
        state.directory().close();
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
