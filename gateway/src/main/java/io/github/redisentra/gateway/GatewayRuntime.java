package io.github.redisentra.gateway;

import io.github.redisentra.core.RefreshStatus;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.PolicyReloader;
import io.github.redisentra.gateway.acl.RoleUpstreams;
import io.github.redisentra.gateway.acl.UpstreamCommands;
import io.github.redisentra.gateway.admin.AdminServer;
import io.github.redisentra.gateway.admin.GatewayMetrics;
import io.github.redisentra.gateway.admin.ProcessMetrics;
import io.github.redisentra.gateway.admin.ReadinessCheck;
import io.github.redisentra.gateway.admin.UserLockApi;
import io.github.redisentra.gateway.audit.CommandAudit;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.auth.GraphBearer;
import io.github.redisentra.gateway.auth.LockingAuthenticator;
import io.github.redisentra.gateway.auth.TenantKeys;
import io.github.redisentra.gateway.auth.ldap.LdapAdminApi;
import io.github.redisentra.gateway.auth.ldap.LdapAuthenticator;
import io.github.redisentra.gateway.config.AuditSettings;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.config.UpstreamSettings;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.gateway.identity.UpstreamProbe;
import io.github.redisentra.gateway.logging.LineRateLimiter;
import io.github.redisentra.gateway.logging.LogLines;
import io.github.redisentra.gateway.resp.RespConnection;
import io.github.redisentra.gateway.session.GatewayEvents;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the RESP server needs besides its own Netty pipeline, assembled from the configuration: the
 * authenticator (with audit log and Graph overage), the upstream credentials, metrics, readiness checks and the
 * admin listener. The server is plugged in through {@link RespListener}; {@link #shutdown()} runs the SIGTERM
 * sequence: not ready → stop accepting → drain → close.
 */
public final class GatewayRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GatewayRuntime.class);
    /** Readiness requires the upstream token to stay valid at least this long, so it drops before expiry. */
    static final Duration TOKEN_READINESS_MARGIN = Duration.ofSeconds(60);
    /** Microsoft's guidance caches signing keys for 24 hours; older keys make the gateway report not-ready. */
    static final Duration KEYS_STALE_AFTER = Duration.ofHours(24);

    /** The client-facing RESP server, as the runtime drives it during shutdown. */
    public interface RespListener {
        /** Closes the listening socket; open connections continue. */
        void stopAccepting();

        /** Waits up to {@code timeout} for in-flight commands, then closes every connection. */
        void drainAndClose(Duration timeout);

        /** The bound address (the real port when configured with port 0). */
        java.net.InetSocketAddress localAddress();
    }

    /** Starts the RESP server with the runtime's parts. */
    @FunctionalInterface
    public interface RespListenerFactory {
        RespListener start(GatewayRuntime runtime) throws Exception;
    }

    /** A readiness check the server wiring provides for upstream reachability. */
    @FunctionalInterface
    public interface UpstreamReachability {
        Optional<String> problem();
    }

    private final GatewayConfig config;
    private final Clock clock;
    private final GatewayMetrics metrics;
    private final EntraAuthenticator authenticator;
    private final LdapAuthenticator ldap;
    private final Authenticator clientAuthenticator;
    private final LockingAuthenticator lockout;
    private final UpstreamIdentity upstream;
    private final GraphBearer graphToken;
    private final AccessControl accessControl;
    private final RoleUpstreams roleUpstreams;
    private final PolicyReloader rolesReloader;
    private final CommandAudit commandAudit;
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
    private volatile UpstreamReachability reachability;
    private AdminServer admin;
    private volatile RespListener listener;

    private GatewayRuntime(GatewaySetup setup, Clock clock, UpstreamIdentity upstream) throws Exception {
        GatewayConfig config = setup.config();
        this.config = config;
        this.clock = clock;
        this.metrics = new GatewayMetrics(clock);
        AuditSettings auditSettings = config.audit();
        this.commandAudit = CommandAudit.start(
                auditSettings.commands(), CommandTable.builtIn(), auditSettings.perSecond(), auditSettings.queueSize());
        metrics.addSection(() -> commandAudit.renderMetrics(GatewayMetrics.PREFIX));
        this.upstream = upstream;
        this.reachability = new TcpReachability(config.upstream());
        ClientAuth auth = ClientAuth.assemble(setup, clock);
        this.graphToken = auth.graphToken();
        this.authenticator = auth.entra();
        this.ldap = auth.ldap();
        this.lockout = auth.lockout();
        this.clientAuthenticator = auth.client();
        AuditLog audit = auth.audit();
        metrics.addSection(() -> lockout.renderMetrics(GatewayMetrics.PREFIX));
        if (authenticator != null) {
            EntraAuthenticator entra = authenticator;
            metrics.addSection(() -> entra.renderMetrics(GatewayMetrics.PREFIX));
        }
        if (ldap != null) {
            metrics.addSection(ldap.metrics()::render);
        }
        if (setup.roles().isPresent()) {
            // one refresher per distinct identity named by roles' upstream: blocks (none when no role names one)
            this.roleUpstreams = new RoleUpstreams(block -> UpstreamIdentity.fromSettings(
                    config.withUpstreamIdentity(block).upstreamIdentity()));
            try {
                this.accessControl = new AccessControl(setup.roles().get(), roleUpstreams);
            } catch (io.github.redisentra.gateway.acl.RolePolicy.InvalidPolicyException e) {
                roleUpstreams.close();
                throw new io.github.redisentra.gateway.config.ConfigException(e.problems());
            }
        } else {
            this.roleUpstreams = null;
            this.accessControl = null;
        }
        List<LineRateLimiter> lineLimits = new ArrayList<>(List.of(audit.deniedLines()));
        if (accessControl != null) {
            accessControl.deniedLines(
                    new LineRateLimiter("command_denied", config.limits().logDeniedPerSecond()));
            lineLimits.add(accessControl.deniedLines());
        }
        metrics.addSection(() -> LogLines.render(lineLimits));
        if (accessControl != null) {
            EntraAuthenticator entra = authenticator;
            rolesReloader = new PolicyReloader(
                    config.roles().file().orElseThrow(),
                    accessControl.current().table(),
                    accessControl,
                    p -> {
                        // Directory users need nothing here: the LDAP authenticator applies only
                        // LDAP_REQUIRED_GROUPS, and every session checks the policy in force (access.admit at
                        // AUTH, permissions at each command), so LDAP admission follows reloads by itself.
                        if (entra != null) {
                            entra.policy(GatewaySetup.entraAdmission(config.entra(), Optional.of(p)));
                        }
                    },
                    config.roles().reloadInterval());
            rolesReloader.reloadOnSighup();
            learnCommandTable();
        } else {
            rolesReloader = null;
        }
        metrics.addSection(new ProcessMetrics(buildInfo())::render);
        subscriptions.add(upstream.listen(metrics.upstreamTokenListener()));
        metrics.refreshStatus(() -> upstream.status().orElse(null));
        metrics.keyFacts(() -> {
            if (authenticator == null) {
                return null; // LDAP-only gateway
            }
            TenantKeys.Status s = authenticator.keyStatus();
            return new GatewayMetrics.KeyFacts(
                    s.keysLoaded(),
                    s.keyCount(),
                    s.keysAge().map(d -> d.toMillis() / 1000.0).orElse(0.0));
        });
    }

    /** The labels of {@code build_info}: gateway version, Java, Netty, transport and TLS engine in use. */
    static java.util.Map<String, String> buildInfo() {
        java.util.Properties build = new java.util.Properties();
        try (java.io.InputStream in = GatewayRuntime.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                build.load(in);
            }
        } catch (IOException e) {
            // unknown version below
        }
        io.netty.util.Version netty = io.netty.util.Version.identify().get("netty-common");
        NativeSupport natives = NativeSupport.detect();
        return java.util.Map.of(
                "version", build.getProperty("version", "unknown"),
                "java", Runtime.version().toString(),
                "netty", netty == null ? "unknown" : netty.artifactVersion(),
                "transport", natives.epoll() ? "epoll" : "nio",
                "tls_engine", natives.openSsl() ? "openssl" : "jdk");
    }

    /** Assembles the parts and starts loading keys and the upstream token (without waiting for either). */
    public static GatewayRuntime create(GatewayConfig config, Clock clock) throws Exception {
        return create(GatewaySetup.of(config), clock);
    }

    /** As {@link #create(GatewayConfig, Clock)} with the roles file read already. */
    public static GatewayRuntime create(GatewaySetup setup, Clock clock) throws Exception {
        return create(setup, clock, UpstreamIdentity.fromSettings(setup.config().upstreamIdentity()));
    }

    /** As {@link #create(GatewayConfig, Clock)} with given upstream credentials (tests, embedding). */
    public static GatewayRuntime create(GatewayConfig config, Clock clock, UpstreamIdentity upstream) throws Exception {
        return create(GatewaySetup.of(config), clock, upstream);
    }

    private static GatewayRuntime create(GatewaySetup setup, Clock clock, UpstreamIdentity upstream) throws Exception {
        GatewayRuntime rt = new GatewayRuntime(setup, clock, upstream);
        if (rt.authenticator != null) {
            rt.authenticator.start().exceptionally(e -> null); // failures are logged; readiness shows them
        }
        return rt;
    }

    /**
     * Once the first upstream credential is there, asks the upstream for its command table (categories, key specs)
     * and recompiles the roles against it; the built-in table (redis 7.0) stays when the upstream cannot tell
     * (Redis before 7, {@code COMMAND} disabled) or a rule names a command it lacks.
     */
    private void learnCommandTable() {
        upstream.first()
                .thenAccept(token -> rolesReloader.execute(() -> {
                    try {
                        CommandTable learned;
                        try (RespConnection c = UpstreamProbe.connect(config.upstream(), upstream, token)) {
                            learned = UpstreamCommands.fetch(c);
                        }
                        rolesReloader.adoptTable(learned);
                    } catch (Exception e) {
                        log.warn(
                                "could not learn the upstream's command table ({}); permissions use the built-in table of"
                                        + " redis {}",
                                e.getMessage(),
                                rolesReloader.table().version());
                    }
                }));
    }

    public GatewayConfig config() {
        return config;
    }

    /** The Entra authenticator; {@code null} for an LDAP-only gateway ({@link GatewayConfig#entra()} false). */
    public EntraAuthenticator authenticator() {
        return authenticator;
    }

    /**
     * What clients' AUTH goes to: the sign-in throttle, then Entra for JWT-shaped passwords, LDAP for the others when
     * configured.
     */
    public Authenticator clientAuthenticator() {
        return clientAuthenticator;
    }

    /** The user lock-out every client credential passes (incident response, {@code /admin/locks}). */
    public LockingAuthenticator lockout() {
        return lockout;
    }

    /** The LDAP authenticator, when LDAP sign-in is configured. */
    public Optional<LdapAuthenticator> ldap() {
        return Optional.ofNullable(ldap);
    }

    /** Per-role permissions from {@code ROLES_FILE}, or empty when every authenticated command is forwarded. */
    /** The upstream identities the roles name, when a roles file is configured. */
    public Optional<RoleUpstreams> roleUpstreams() {
        return Optional.ofNullable(roleUpstreams);
    }

    public Optional<AccessControl> accessControl() {
        return Optional.ofNullable(accessControl);
    }

    public UpstreamIdentity upstream() {
        return upstream;
    }

    /** The command audit ({@code AUDIT_COMMANDS}); {@link CommandAudit#off()} when off. */
    public CommandAudit commandAudit() {
        return commandAudit;
    }

    /** The metrics sink; pass it to the server as its {@link GatewayEvents}. */
    public GatewayMetrics metrics() {
        return metrics;
    }

    /** Replaces the default upstream reachability check (a cached TCP connect) with the server's own. */
    public void upstreamReachability(UpstreamReachability r) {
        this.reachability = r;
    }

    /** The readiness checks: signing keys loaded, upstream token valid, upstream reachable. */
    public List<ReadinessCheck> readinessChecks() {
        List<ReadinessCheck> checks = new ArrayList<>();
        checks.add(ReadinessCheck.of("signing keys", () -> {
            if (authenticator == null) {
                return Optional.empty(); // LDAP-only gateway: no Entra keys to load
            }
            TenantKeys.Status s = authenticator.keyStatus();
            if (s.keysLoaded()
                    && s.keysAge().map(a -> a.compareTo(KEYS_STALE_AFTER) <= 0).orElse(false)) {
                return Optional.empty();
            }
            if (s.keysLoaded()) {
                // Still validating with last-known-good keys, but Entra may have rolled them since.
                return Optional.of("signing keys not refreshed for "
                        + s.keysAge().orElseThrow().toMinutes() + " minutes"
                        + s.lastError().map(e -> " (" + e + ")").orElse(""));
            }
            return Optional.of("no signing keys loaded from the tenant's metadata"
                    + s.lastError().map(e -> " (" + e + ")").orElse(""));
        }));
        if (upstream.expires()) {
            checks.add(ReadinessCheck.of("upstream token", () -> {
                RefreshStatus s = upstream.status().orElseThrow();
                if (s.hasValidToken(clock.instant().plus(TOKEN_READINESS_MARGIN))) {
                    return Optional.empty();
                }
                return Optional.of((s.tokenExpiry() == null
                                ? "no upstream token yet"
                                : "upstream token expires at " + s.tokenExpiry())
                        + (s.lastFailureMessage() == null ? "" : " (last failure: " + s.lastFailureMessage() + ")"));
            }));
        }
        if (roleUpstreams != null) {
            checks.add(ReadinessCheck.of(
                    "role upstream tokens",
                    () -> roleUpstreams.tokenProblem(clock.instant().plus(TOKEN_READINESS_MARGIN))));
        }
        checks.add(ReadinessCheck.of("upstream", () -> reachability.problem()));
        // The admin listener starts first: never report ready before the RESP port accepts, or after it stopped.
        checks.add(ReadinessCheck.of(
                "listener",
                () -> listener == null
                        ? Optional.of("the RESP listener is not accepting connections")
                        : Optional.empty()));
        return checks;
    }

    /** Starts the admin listener (when configured) and the RESP server. */
    public void start(RespListenerFactory server) throws Exception {
        if (config.admin().address().isPresent()) {
            admin = AdminServer.start(config.admin().address().get().toSocketAddress(), metrics, readinessChecks());
            if (config.admin().apiToken().isPresent()) {
                admin.route(
                        UserLockApi.PATH,
                        new UserLockApi(lockout, config.admin().apiToken().get()));
                if (config.admin().userLocksFile().isEmpty()) {
                    log.info("user locks (/admin/locks) are kept in memory only; set USER_LOCKS_FILE to keep them"
                            + " across restarts");
                }
            }
            if (ldap != null && config.admin().apiToken().isPresent()) {
                admin.route(
                        LdapAdminApi.PREFIX,
                        new LdapAdminApi(
                                ldap, config.admin().apiToken().get(), GatewayRuntime::environmentWithEnvFile));
            }
        }
        listener = server.start(this);
    }

    /** What a reload reads: the environment over the {@code .env} file, as at start. */
    private static java.util.Map<String, String> environmentWithEnvFile() {
        try {
            return io.github.redisentra.gateway.config.EnvFile.apply(GatewayConfig.environment())
                    .environment();
        } catch (io.github.redisentra.gateway.config.ConfigException e) {
            throw new IllegalStateException(e.getMessage());
        }
    }

    /** The RESP listener, once started. */
    public Optional<RespListener> listener() {
        return Optional.ofNullable(listener);
    }

    /** The admin listener, when started. */
    public Optional<AdminServer> admin() {
        return Optional.ofNullable(admin);
    }

    /**
     * SIGTERM: report not-ready, keep accepting for {@code SHUTDOWN_DELAY}, stop accepting, let in-flight commands
     * finish within the drain timeout, close.
     */
    public synchronized void shutdown() {
        log.info(
                "shutting down: not ready, no new connections, draining for up to {}",
                config.lifecycle().drainTimeout());
        if (admin != null) {
            admin.markDraining();
        }
        Duration delay = config.lifecycle().shutdownDelay();
        if (listener != null && !delay.isZero()) {
            // Load balancers and Kubernetes endpoints need a moment to see the 503 and stop routing new connections
            // here; until then the listener keeps accepting, so no client meets a closed port.
            log.info("not ready; still accepting for {} (SHUTDOWN_DELAY) before the drain", delay);
            try {
                Thread.sleep(delay.toMillis()); // shutdown path, off the event loops
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (listener != null) {
            try {
                listener.stopAccepting();
                listener.drainAndClose(config.lifecycle().drainTimeout());
            } catch (RuntimeException e) {
                log.warn("error while draining: {}", e.toString());
            }
            listener = null;
        }
        close();
    }

    @Override
    public synchronized void close() {
        for (AutoCloseable s : subscriptions) {
            try {
                s.close();
            } catch (Exception e) {
                // best effort on the way out
            }
        }
        if (rolesReloader != null) {
            rolesReloader.close();
        }
        if (authenticator != null) {
            authenticator.close();
        }
        if (ldap != null) {
            ldap.close();
        }
        upstream.close();
        if (roleUpstreams != null) {
            roleUpstreams.close();
        }
        if (graphToken != null) {
            graphToken.close();
        }
        if (admin != null) {
            admin.close();
        }
        commandAudit.close();
    }

    /** Default reachability: a TCP connect to the upstream, cached for a few seconds, off the event loops. */
    static final class TcpReachability implements UpstreamReachability {
        private static final long CACHE_MILLIS = 5_000;
        private final UpstreamSettings upstream;
        private long checkedAt;
        private Optional<String> last = Optional.of("not checked yet");

        TcpReachability(UpstreamSettings upstream) {
            this.upstream = upstream;
        }

        @Override
        public synchronized Optional<String> problem() {
            long now = System.nanoTime() / 1_000_000;
            if (checkedAt != 0 && now - checkedAt < CACHE_MILLIS) {
                return last;
            }
            try (Socket s = new Socket()) {
                s.connect(
                        new InetSocketAddress(
                                upstream.address().host(), upstream.address().port()),
                        (int) Math.min(2_000, upstream.connectTimeout().toMillis()));
                last = Optional.empty();
            } catch (IOException e) {
                last = Optional.of("cannot connect to " + upstream.address() + ": " + e.getMessage());
            }
            checkedAt = now;
            return last;
        }
    }
}
