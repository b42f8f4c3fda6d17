package io.github.redisentra.gateway.admin;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshStatus;
import io.github.redisentra.core.TokenListener;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.session.GatewayEvents;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The gateway's counters and gauges, rendered in the Prometheus text format. Event methods are called on event
 * loops: they only bump counters. Holds no secret; labels are reason codes chosen by the gateway, never client
 * input.
 */
public final class GatewayMetrics implements GatewayEvents {
    /** The prefix of every metric name. */
    public static final String PREFIX = "redis_entra_gateway_";

    private static final String P = PREFIX;

    private final Clock clock;
    private final LongAdder connections = new LongAdder();
    private final AtomicLong activeConnections = new AtomicLong();
    private final Map<String, LongAdder> authResults = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> refusedCommands = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> refusedConnections = new ConcurrentHashMap<>();
    private volatile java.util.function.IntSupplier unauthenticatedConnections = () -> 0;
    private final LongAdder upstreamConnects = new LongAdder();
    private final Map<String, LongAdder> upstreamFailures = new ConcurrentHashMap<>();
    private final LongAdder reauthOk = new LongAdder();
    private final LongAdder reauthFailed = new LongAdder();
    private final LongAdder bytesFromClients = new LongAdder();
    private final LongAdder bytesToClients = new LongAdder();
    private final LongAdder tokenRefreshes = new LongAdder();
    private final LongAdder tokenRefreshFailures = new LongAdder();
    private volatile Instant upstreamTokenIssued;
    private volatile Instant upstreamTokenExpires;
    private volatile Supplier<RefreshStatus> refreshStatus = () -> null;
    private volatile Supplier<KeyFacts> keyFacts = () -> null;
    private final java.util.List<Supplier<String>> sections = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Signing-key facts for the metrics page. */
    public record KeyFacts(boolean loaded, int count, double ageSeconds) {}

    public GatewayMetrics(Clock clock) {
        this.clock = clock;
    }

    /** A listener for the upstream {@code TokenRefresher}: counts renewals and remembers the token's times. */
    public TokenListener upstreamTokenListener() {
        return new TokenListener() {
            @Override
            public void onToken(AccessToken token) {
                tokenRefreshes.increment();
                upstreamTokenIssued = token.issuedAt().orElse(clock.instant());
                upstreamTokenExpires = token.expiresAt();
            }

            @Override
            public void onRefreshFailure(Throwable error, int consecutiveFailures, Instant nextAttempt) {
                tokenRefreshFailures.increment();
            }
        };
    }

    public void refreshStatus(Supplier<RefreshStatus> status) {
        this.refreshStatus = status;
    }

    public void keyFacts(Supplier<KeyFacts> facts) {
        this.keyFacts = facts;
    }

    /** Adds a block of Prometheus text (e.g. the LDAP authenticator's metrics) to every rendering. */
    public void addSection(Supplier<String> section) {
        sections.add(section);
    }

    @Override
    public void clientConnected() {
        connections.increment();
        activeConnections.incrementAndGet();
    }

    @Override
    public void clientDisconnected() {
        activeConnections.decrementAndGet();
    }

    @Override
    public void connectionRefused(String reason) {
        refusedConnections.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** Where the gauge of open connections that have not signed in yet is read (the RESP listener's admission). */
    public void unauthenticatedConnections(java.util.function.IntSupplier count) {
        this.unauthenticatedConnections = count;
    }

    /** Connections refused at admission for {@code reason}. */
    public long connectionsRefused(String reason) {
        LongAdder a = refusedConnections.get(reason);
        return a == null ? 0 : a.sum();
    }

    @Override
    public void authDecided(AuthDecision decision) {
        String key = decision instanceof AuthDecision.Denied d ? "denied\u0000" + d.reason() : "allowed\u0000";
        authResults.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    @Override
    public void commandRefused(String reason) {
        refusedCommands.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    @Override
    public void upstreamConnected() {
        upstreamConnects.increment();
    }

    @Override
    public void upstreamFailed(String reason) {
        upstreamFailures.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    @Override
    public void upstreamReauthenticated(boolean success) {
        (success ? reauthOk : reauthFailed).increment();
    }

    @Override
    public void bytesFromClient(long n) {
        bytesFromClients.add(n);
    }

    @Override
    public void bytesToClient(long n) {
        bytesToClients.add(n);
    }

    /** Total auth decisions with this result ({@code allowed}/{@code denied}) and reason ({@code ""} for allowed). */
    public long authCount(String result, String reason) {
        LongAdder a = authResults.get(result + "\u0000" + (reason == null ? "" : reason));
        return a == null ? 0 : a.sum();
    }

    /** The Prometheus text exposition (version 0.0.4). */
    public String render() {
        StringBuilder sb = new StringBuilder(2048);
        Instant now = clock.instant();
        counter(sb, "client_connections_total", "Client connections accepted", connections.sum());
        gauge(sb, "client_connections", "Client connections open", activeConnections.get());
        gauge(
                sb,
                "client_connections_unauthenticated",
                "Client connections open that have not signed in yet",
                unauthenticatedConnections.getAsInt());
        labelled(
                sb,
                "client_connections_refused_total",
                "Connections refused before any input was read (MAX_CLIENTS, MAX_UNAUTHENTICATED_PER_ADDRESS), by"
                        + " reason",
                "reason",
                refusedConnections);
        header(sb, "auth_total", "counter", "Client authentication decisions by result and reason");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(authResults).entrySet()) {
            String[] rk = e.getKey().split("\u0000", -1);
            sb.append(P)
                    .append("auth_total{result=\"")
                    .append(rk[0])
                    .append("\",reason=\"")
                    .append(escape(rk[1]))
                    .append("\"} ")
                    .append(e.getValue().sum())
                    .append('\n');
        }
        labelled(
                sb,
                "commands_refused_total",
                "Commands answered by the gateway instead of forwarded, by reason",
                "reason",
                refusedCommands);
        counter(sb, "upstream_connections_total", "Upstream connections opened", upstreamConnects.sum());
        labelled(
                sb,
                "upstream_failures_total",
                "Upstream connections that failed or were lost, by reason",
                "reason",
                upstreamFailures);
        header(sb, "upstream_reauth_total", "counter", "Re-AUTHs of upstream connections with a renewed token");
        sb.append(P)
                .append("upstream_reauth_total{result=\"ok\"} ")
                .append(reauthOk.sum())
                .append('\n');
        sb.append(P)
                .append("upstream_reauth_total{result=\"failed\"} ")
                .append(reauthFailed.sum())
                .append('\n');
        counter(sb, "client_received_bytes_total", "Bytes received from clients", bytesFromClients.sum());
        counter(sb, "client_sent_bytes_total", "Bytes sent to clients", bytesToClients.sum());
        counter(sb, "upstream_token_refreshes_total", "Upstream tokens obtained", tokenRefreshes.sum());
        counter(
                sb,
                "upstream_token_refresh_failures_total",
                "Failed upstream token requests",
                tokenRefreshFailures.sum());
        Instant issued = upstreamTokenIssued;
        Instant expires = upstreamTokenExpires;
        if (issued != null) {
            gauge(
                    sb,
                    "upstream_token_age_seconds",
                    "Age of the current upstream token",
                    (now.toEpochMilli() - issued.toEpochMilli()) / 1000.0);
        }
        if (expires != null) {
            gauge(
                    sb,
                    "upstream_token_expiry_seconds",
                    "Seconds until the current upstream token expires",
                    (expires.toEpochMilli() - now.toEpochMilli()) / 1000.0);
        }
        RefreshStatus rs = refreshStatus.get();
        if (rs != null) {
            gauge(
                    sb,
                    "upstream_token_consecutive_failures",
                    "Failed upstream token requests since the last success",
                    rs.consecutiveFailures());
        }
        KeyFacts kf = keyFacts.get();
        if (kf != null) {
            gauge(sb, "signing_keys", "Signing keys loaded from the tenant's JWKS", kf.count());
            if (kf.loaded()) {
                gauge(
                        sb,
                        "signing_keys_age_seconds",
                        "Seconds since the signing keys were last refreshed",
                        kf.ageSeconds());
            }
        }
        for (Supplier<String> section : sections) {
            sb.append(section.get());
        }
        return sb.toString();
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(P).append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(P).append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long v) {
        header(sb, name, "counter", help);
        sb.append(P).append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help, double v) {
        header(sb, name, "gauge", help);
        sb.append(P).append(name).append(' ');
        if (v == Math.rint(v) && !Double.isInfinite(v)) {
            sb.append((long) v);
        } else {
            sb.append(v);
        }
        sb.append('\n');
    }

    private static void labelled(StringBuilder sb, String name, String help, String label, Map<String, LongAdder> m) {
        header(sb, name, "counter", help);
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(m).entrySet()) {
            sb.append(P)
                    .append(name)
                    .append('{')
                    .append(label)
                    .append("=\"")
                    .append(escape(e.getKey()))
                    .append("\"} ")
                    .append(e.getValue().sum())
                    .append('\n');
        }
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
