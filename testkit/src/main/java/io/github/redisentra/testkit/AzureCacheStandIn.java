package io.github.redisentra.testkit;

import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.IssuedToken;
import io.github.redisentra.emulator.TokenEventListener;
import io.github.redisentra.testkit.internal.ExpiryCuttingProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a {@link RedisServer} behave like an Azure cache (Azure Cache for Redis / Azure Managed Redis with
 * Entra ID) towards one identity: an ACL user named after the identity's object id whose passwords are
 * exactly that identity's <b>currently valid</b> tokens. Redis users may hold several passwords at once, so
 * each new token is added ({@code ACL SETUSER <oid> on >token <rules>}) and each expired one removed
 * ({@code ACL SETUSER <oid> <token}); an upstream that AUTHs with a stale token gets
 * {@code -WRONGPASS invalid username-password pair or user is disabled.}, as from Azure.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.builder().tlsOnly().start();
 *      AzureCacheStandIn cache = AzureCacheStandIn.builder(redis).objectId(mi.objectId()).build()) {
 *     cache.watch(emulator);                      // tokens the emulator issues for oid + audience are accepted
 *     cache.accept(oid, token, expiresAt);        // or feed tokens yourself
 * }
 * }</pre>
 *
 * <h2>Where tokens come from</h2>
 * {@link #watch(EntraEmulator)} subscribes to the emulator's token listener:
 * every token issued for the watched object id and one of the accepted audiences (default
 * {@value #REDIS_AUDIENCE}; an API audience for gateway-user tests) is accepted; the emulator's "expired"
 * event removes it. {@link #accept(String, String, Instant)} adds any token (from anywhere) for any object
 * id. Independently of the emulator, every token is removed at its {@code expiresAt} by the stand-in's own
 * timer, so the password set is right even without expiry events.
 *
 * <h2>Cut at expiry (optional)</h2>
 * Azure also <i>closes a connection</i> when the token it authenticated with expires, unless a fresh AUTH
 * arrived first. Redis cannot do that by itself: it does not record which password a connection used, and
 * {@code MONITOR} redacts AUTH arguments and shows failed and successful AUTHs alike — so guessing from
 * {@code MONITOR} could not tell "re-AUTHed with the same old token" from "re-AUTHed with a fresh one".
 * Instead, {@link Builder#cutAtExpiry()} opens a front door ({@link #port()} / {@link #tlsPort()}) that
 * forwards every byte to the server and reads the client's commands on the way: when a connection sends
 * {@code AUTH <oid> <token>} or {@code HELLO … AUTH <oid> <token>} with a token the stand-in currently
 * accepts, that token becomes the connection's token (a token not accepted leaves the previous one, as
 * Redis keeps the previous identity on a failed AUTH); when that token expires, the connection is closed.
 * Limits: an AUTH queued inside {@code MULTI} is attributed when sent, not at {@code EXEC}; connections
 * made straight to the server's own ports are never cut.
 *
 * <p>Token values are never logged: logs and errors carry the object id, expiry and a short SHA-256
 * fingerprint ({@link #fingerprintOf(String)}).
 */
public final class AzureCacheStandIn implements AutoCloseable {

    /** The audience (resource) of Azure cache tokens. */
    public static final String REDIS_AUDIENCE = "https://redis.azure.com";

    /** The ACL rules of the identity's user by default: the "Data Owner" access policy. */
    public static final String DATA_OWNER_RULES = "~* &* +@all";

    private static final Logger log = LoggerFactory.getLogger(AzureCacheStandIn.class);

    private final RedisServer server;
    private final String objectId;
    private final Set<String> audiences;
    private final List<String> rules;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private final ExpiryCuttingProxy proxy;
    private final Map<String, Map<String, Accepted>> tokensByOid = new HashMap<>();
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
    private boolean closed;

    private record Accepted(String oid, Instant expiresAt, String fingerprint, ScheduledFuture<?> removal) {}

    private AzureCacheStandIn(Builder b) {
        this.server = b.server;
        this.objectId = b.objectId;
        this.audiences = Set.copyOf(b.audiences);
        this.rules = List.of(b.rules.trim().split("\\s+"));
        this.clock = b.clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "azure-cache-stand-in-expiry");
            t.setDaemon(true);
            return t;
        });
        if (objectId != null) {
            ensureUser(objectId);
        }
        ExpiryCuttingProxy front = null;
        if (b.cutAtExpiry) {
            try {
                front = ExpiryCuttingProxy.start(server, this::isAccepted, b.frontCertificate);
            } catch (IOException e) {
                timer.shutdownNow();
                throw new UncheckedIOException("could not open the stand-in's front port: " + e.getMessage(), e);
            }
        }
        this.proxy = front;
    }

    public static Builder builder(RedisServer server) {
        return new Builder(server);
    }

    /** The watched identity's object id (the ACL user name), or null when only {@link #accept} feeds it. */
    public String objectId() {
        return objectId;
    }

    public RedisServer server() {
        return server;
    }

    /**
     * Accepts {@code token} as a password of user {@code oid} until {@code expiresAt}. Creates the user if
     * needed. A token already expired at call time is not added (returns false), so it is refused.
     */
    public synchronized boolean accept(String oid, String token, Instant expiresAt) {
        requireOid(oid);
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (closed) {
            throw new IllegalStateException("the stand-in is closed");
        }
        String fp = fingerprintOf(token);
        String key = oid.toLowerCase(Locale.ROOT);
        Instant now = clock.instant();
        if (!expiresAt.isAfter(now)) {
            log.info("not accepting token {} for {}: expired at {}", fp, oid, expiresAt);
            return false;
        }
        Map<String, Accepted> tokens = tokensByOid.computeIfAbsent(key, k -> new HashMap<>());
        if (tokens.containsKey(token)) {
            return true;
        }
        List<String> args = new ArrayList<>(List.of("ACL", "SETUSER", oid, "on", ">" + token));
        args.addAll(rules);
        acl(args, token, fp, oid);
        long delayMillis = Math.max(0, Duration.between(now, expiresAt).toMillis());
        ScheduledFuture<?> removal = timer.schedule(() -> expire(oid, token), delayMillis, TimeUnit.MILLISECONDS);
        tokens.put(token, new Accepted(oid, expiresAt, fp, removal));
        log.info("accepting token {} for {} until {}", fp, oid, expiresAt);
        return true;
    }

    /** Removes {@code token} from {@code oid}'s passwords now (as at expiry, including the cut). */
    public void expire(String oid, String token) {
        synchronized (this) {
            Map<String, Accepted> tokens = tokensByOid.get(oid.toLowerCase(Locale.ROOT));
            Accepted accepted = tokens == null ? null : tokens.remove(token);
            if (accepted == null) {
                return;
            }
            accepted.removal().cancel(false);
            if (!closed) {
                try {
                    acl(List.of("ACL", "SETUSER", accepted.oid(), "<" + token), token, accepted.fingerprint(), oid);
                } catch (RuntimeException e) {
                    log.warn(
                            "could not remove expired token {} of {}: {}", accepted.fingerprint(), oid, e.getMessage());
                }
            }
            log.info("token {} of {} expired (exp {})", accepted.fingerprint(), oid, accepted.expiresAt());
        }
        if (proxy != null) {
            int cut = proxy.cutConnectionsUsing(token);
            if (cut > 0) {
                log.info("closed {} connection(s) whose token {} expired", cut, fingerprintOf(token));
            }
        }
    }

    /**
     * Writes the identity's user and every still-valid token into Redis again, e.g. after
     * {@link RedisServer#restart()} (a restart loses runtime ACL changes).
     */
    public synchronized void reapply() {
        if (objectId != null) {
            ensureUser(objectId);
        }
        for (Map<String, Accepted> tokens : tokensByOid.values()) {
            for (Map.Entry<String, Accepted> entry : tokens.entrySet()) {
                Accepted accepted = entry.getValue();
                List<String> args =
                        new ArrayList<>(List.of("ACL", "SETUSER", accepted.oid(), "on", ">" + entry.getKey()));
                args.addAll(rules);
                acl(args, entry.getKey(), accepted.fingerprint(), accepted.oid());
            }
        }
    }

    /** How many tokens {@code oid} currently has as passwords. */
    public synchronized int validTokenCount(String oid) {
        Map<String, Accepted> tokens = tokensByOid.get(oid.toLowerCase(Locale.ROOT));
        return tokens == null ? 0 : tokens.size();
    }

    /** {@link #validTokenCount(String)} of the watched identity. */
    public int validTokenCount() {
        return validTokenCount(requireWatched());
    }

    /** Whether {@code token} is currently a password of {@code username}. */
    public synchronized boolean isAccepted(String username, String token) {
        Map<String, Accepted> tokens = tokensByOid.get(username.toLowerCase(Locale.ROOT));
        return tokens != null && tokens.containsKey(token);
    }

    /** The front port that cuts connections at token expiry (plaintext). Needs {@link Builder#cutAtExpiry()}. */
    public int port() {
        return requireProxy().port();
    }

    /** The front TLS port (same certificate and CA as the server). Needs {@link Builder#cutAtExpiry()}. */
    public int tlsPort() {
        return requireProxy().tlsPort();
    }

    /**
     * Opens one more front TLS port (same certificate, connections cut at expiry as on the first) and returns it: a
     * cluster node that should announce a new port gets it here. Needs {@link Builder#cutAtExpiry()}.
     */
    public int openTlsPort() {
        try {
            return requireProxy().openTlsPort();
        } catch (IOException e) {
            throw new UncheckedIOException("could not open another front port: " + e.getMessage(), e);
        }
    }

    /** Connections the front door has closed because their token expired (0 without cut-at-expiry). */
    public long connectionsCut() {
        return proxy == null ? 0 : proxy.connectionsCut();
    }

    /**
     * Stops listening, removes the tokens it added (so none outlives the stand-in as a password), cancels
     * timers and closes the front door. The server and the identity's user (then without passwords) remain.
     */
    @Override
    public void close() {
        List<AutoCloseable> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(subscriptions);
            if (server.isRunning()) {
                for (Map<String, Accepted> tokens : tokensByOid.values()) {
                    for (Map.Entry<String, Accepted> entry : tokens.entrySet()) {
                        Accepted accepted = entry.getValue();
                        try {
                            acl(
                                    List.of("ACL", "SETUSER", accepted.oid(), "<" + entry.getKey()),
                                    entry.getKey(),
                                    accepted.fingerprint(),
                                    accepted.oid());
                        } catch (RuntimeException e) {
                            log.debug("could not remove token {} on close: {}", accepted.fingerprint(), e.getMessage());
                        }
                    }
                }
            }
            tokensByOid.clear();
        }
        for (AutoCloseable subscription : toClose) {
            try {
                subscription.close();
            } catch (Exception e) {
                log.debug("unsubscribing failed: {}", e.getMessage());
            }
        }
        timer.shutdownNow();
        if (proxy != null) {
            proxy.close();
        }
    }

    /** The short hash logged instead of a token: the first 12 hex digits of its SHA-256. */
    public static String fingerprintOf(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /**
     * Subscribes to {@code emulator}'s token events: tokens issued for the watched object id and an accepted
     * audience become passwords; the emulator's expiry event (or the stand-in's own timer, whichever comes
     * first) removes them. Unsubscribes on {@link #close()}. Returns this stand-in.
     */
    public AzureCacheStandIn watch(EntraEmulator emulator) {
        requireWatched();
        TokenEventListener listener = new TokenEventListener() {
            @Override
            public void onIssued(IssuedToken token) {
                issued(token.subjectObjectId(), token.audience(), token.value(), token.expiresAt());
            }

            @Override
            public void onExpired(IssuedToken token) {
                if (wants(token.subjectObjectId(), token.audience())) {
                    expire(objectId, token.value());
                }
            }

            @Override
            public String toString() {
                return "AzureCacheStandIn[" + objectId + "]";
            }
        };
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the stand-in is closed");
            }
            subscriptions.add(() -> emulator.removeTokenListener(listener));
        }
        emulator.addTokenListener(listener);
        return this;
    }

    // ---- token events

    boolean wants(String oid, String audience) {
        return objectId != null
                && objectId.equalsIgnoreCase(oid)
                && audience != null
                && audiences.contains(stripSlash(audience));
    }

    synchronized void issued(String oid, String audience, String token, Instant expiresAt) {
        if (!closed && wants(oid, audience)) {
            accept(objectId, token, expiresAt);
        }
    }

    private void ensureUser(String oid) {
        // No password yet: nobody can AUTH as the identity until a token arrives (WRONGPASS, like Azure).
        List<String> args = new ArrayList<>(List.of("ACL", "SETUSER", oid, "reset", "on"));
        args.addAll(rules);
        server.cli().call(args.toArray(String[]::new));
    }

    private void acl(List<String> args, String token, String fp, String oid) {
        try {
            server.cli().call(args.toArray(String[]::new));
        } catch (RedisErrorReply e) {
            // Redis quotes the failing rule in its error, i.e. the token: never let it through.
            throw new IllegalStateException(
                    "ACL SETUSER " + oid + " failed for token " + fp + ": "
                            + e.getMessage().replace(token, "<token " + fp + ">"),
                    null);
        }
    }

    private String requireWatched() {
        if (objectId == null) {
            throw new IllegalStateException("no watched identity: set objectId(…) on the builder");
        }
        return objectId;
    }

    private ExpiryCuttingProxy requireProxy() {
        if (proxy == null) {
            throw new IllegalStateException("the stand-in has no front port; build it with cutAtExpiry()");
        }
        return proxy;
    }

    private static String requireOid(String oid) {
        if (oid == null || oid.isBlank() || oid.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("object id must be non-blank without spaces, got \"" + oid + "\"");
        }
        return oid;
    }

    private static String stripSlash(String audience) {
        return audience.endsWith("/") ? audience.substring(0, audience.length() - 1) : audience;
    }

    /** Configures an {@link AzureCacheStandIn}. */
    public static final class Builder {
        private final RedisServer server;
        private String objectId;
        private final Set<String> audiences = new LinkedHashSet<>(List.of(REDIS_AUDIENCE));
        private String rules = DATA_OWNER_RULES;
        private Clock clock = Clock.systemUTC();
        private boolean cutAtExpiry;
        private TestCertificate frontCertificate;

        private Builder(RedisServer server) {
            this.server = Objects.requireNonNull(server, "server");
        }

        /**
         * The identity whose tokens the cache accepts (its object id is the ACL user name). {@link #build()}
         * (re)creates that user with the rules and no password, so nobody can AUTH as it until a token arrives.
         */
        public Builder objectId(String objectId) {
            this.objectId = requireOid(objectId);
            return this;
        }

        /**
         * Audiences whose tokens are accepted from the emulator (default {@value #REDIS_AUDIENCE}); replaces
         * the default. A trailing slash is ignored.
         */
        public Builder audiences(String... audiences) {
            if (audiences.length == 0) {
                throw new IllegalArgumentException("at least one audience is needed");
            }
            this.audiences.clear();
            for (String audience : audiences) {
                this.audiences.add(stripSlash(Objects.requireNonNull(audience, "audience")));
            }
            return this;
        }

        /** ACL rules of the identity's user besides its passwords (default {@value #DATA_OWNER_RULES}). */
        public Builder rules(String rules) {
            if (rules == null || rules.isBlank()) {
                throw new IllegalArgumentException("rules must not be blank, e.g. \"~* &* +@all\"");
            }
            if (rules.matches("(^|.*\\s)[<>#!].*") || rules.contains("nopass")) {
                throw new IllegalArgumentException("rules must not set passwords; the stand-in manages them");
            }
            this.rules = rules;
            return this;
        }

        /** The clock deciding whether a token is already expired (default system UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Also close connections when their token expires; see the class comment ("Cut at expiry"). */
        public Builder cutAtExpiry() {
            this.cutAtExpiry = true;
            return this;
        }

        /**
         * The certificate the front TLS port presents (default: localhost and the loopback addresses), e.g. one that
         * names only the cache's host name ({@link TestCertificateAuthority#issueServerCertificateNamedOnly}). It must
         * come from the server's CA. Implies nothing without {@link #cutAtExpiry()}.
         */
        public Builder frontCertificate(TestCertificate certificate) {
            this.frontCertificate = Objects.requireNonNull(certificate, "certificate");
            return this;
        }

        public AzureCacheStandIn build() {
            return new AzureCacheStandIn(this);
        }
    }
}
