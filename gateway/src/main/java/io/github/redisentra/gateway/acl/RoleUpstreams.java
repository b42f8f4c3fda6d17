package io.github.redisentra.gateway.acl;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshStatus;
import io.github.redisentra.gateway.acl.RolePolicy.UpstreamSpec;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream credentials the roles name ({@code upstream:} blocks of the roles file): one {@link UpstreamIdentity}
 * — one core {@code TokenRefresher} — per distinct identity, created when a policy naming it is put in force and
 * shared by every session of every role naming it; closed when no role names it any more, and at shutdown. Each is
 * built by the {@link Factory} the assembly gives (the gateway's: {@code UpstreamIdentity.fromSettings} of its
 * configuration with the identity settings replaced by the block's, {@code GatewayConfig.withUpstreamIdentity}), so
 * every kind of identity the gateway supports works.
 * Renewals go to the {@link #addRenewalSink sinks} tagged with the identity's credentials (the session registry
 * re-AUTHs the sessions using exactly those). {@link AccessControl} {@link #prepare prepares} a policy's identities
 * before putting it in force and asks for a role's {@link #credentials}.
 */
public final class RoleUpstreams implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RoleUpstreams.class);

    /** Builds an identity from a block's settings (setting name → value). */
    @FunctionalInterface
    public interface Factory {
        UpstreamIdentity create(Map<String, String> settings) throws Exception;
    }

    private record Entry(UpstreamIdentity identity, UpstreamCredentials credentials, AutoCloseable renewals) {}

    private final Factory factory;
    private final Map<UpstreamSpec, Entry> entries = new HashMap<>();
    private final List<BiConsumer<UpstreamCredentials, AccessToken>> sinks = new CopyOnWriteArrayList<>();
    private boolean closed;

    public RoleUpstreams(Factory factory) {
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    /** {@code sink} is told of every renewed token of every role identity, with that identity's credentials. */
    public AutoCloseable addRenewalSink(BiConsumer<UpstreamCredentials, AccessToken> sink) {
        sinks.add(Objects.requireNonNull(sink, "sink"));
        return () -> sinks.remove(sink);
    }

    /**
     * Makes every identity {@code next} names available (creating those not yet known), before {@code next} is put
     * in force; a problem (a block the identity builders refuse) rejects the policy with the block's position.
     */
    public synchronized void prepare(RolePolicy next) throws RolePolicy.InvalidPolicyException {
        if (closed) {
            throw new IllegalStateException("role identities closed");
        }
        List<String> problems = new ArrayList<>();
        Map<UpstreamSpec, Entry> created = new HashMap<>();
        for (UpstreamSpec spec : next.upstreams()) {
            if (entries.containsKey(spec) || created.containsKey(spec)) {
                continue;
            }
            try {
                UpstreamIdentity id = factory.create(spec.settings());
                UpstreamCredentials creds = id;
                AutoCloseable renewals = id.expires()
                        ? id.subscribe(token -> {
                            for (BiConsumer<UpstreamCredentials, AccessToken> s : sinks) {
                                s.accept(creds, token);
                            }
                        })
                        : () -> {};
                created.put(spec, new Entry(id, creds, renewals));
                log.info("{}: {} ({})", spec.where(), spec, id.describe());
            } catch (Exception e) {
                problems.add(spec.where() + ": cannot build the identity: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            created.values().forEach(RoleUpstreams::closeQuietly);
            throw new RolePolicy.InvalidPolicyException(problems);
        }
        entries.putAll(created);
    }

    /** Closes the identities {@code current} no longer names (after it was put in force). */
    public synchronized void retainOnly(RolePolicy current) {
        var used = current.upstreams();
        entries.entrySet().removeIf(e -> {
            if (used.contains(e.getKey())) {
                return false;
            }
            log.info("{} is no longer named by any role: closed", e.getKey());
            closeQuietly(e.getValue());
            return true;
        });
    }

    /** The credentials of an identity {@link #prepare prepared} earlier, or {@code null} when unknown. */
    public synchronized UpstreamCredentials credentials(UpstreamSpec spec) {
        Entry e = entries.get(spec);
        return e == null ? null : e.credentials();
    }

    /** Completes when every identity prepared so far has its first token (or fails with the first failure). */
    public synchronized CompletableFuture<Void> firstTokens() {
        return CompletableFuture.allOf(
                entries.values().stream().map(e -> e.identity().first()).toArray(CompletableFuture[]::new));
    }

    /**
     * Why some role identity has no token valid until {@code until} (for readiness), or empty when all have one.
     * Names the identity's role block and the token's expiry or last failure, never a token.
     */
    public synchronized Optional<String> tokenProblem(Instant until) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<UpstreamSpec, Entry> e : entries.entrySet()) {
            Optional<RefreshStatus> st = e.getValue().identity().status();
            if (st.isEmpty() || st.get().hasValidToken(until)) {
                continue;
            }
            RefreshStatus s = st.get();
            problems.add(e.getKey().where().replaceFirst("^.*: ", "") + ": "
                    + (s.tokenExpiry() == null ? "no token yet" : "token expires at " + s.tokenExpiry())
                    + (s.lastFailureMessage() == null ? "" : " (last failure: " + s.lastFailureMessage() + ")"));
        }
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    /** How many distinct role identities (token refreshers) are open. */
    public synchronized int size() {
        return entries.size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        entries.values().forEach(RoleUpstreams::closeQuietly);
        entries.clear();
    }

    private static void closeQuietly(Entry e) {
        try {
            e.renewals().close();
        } catch (Exception ignored) {
            // best effort
        }
        e.identity().close();
    }
}
