package io.github.redisentra.testkit;

import io.github.redisentra.testkit.internal.FreePorts;
import io.github.redisentra.testkit.internal.ProcessWatchdog;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real {@code redis-server} process on free loopback ports, configured for one test: plaintext and/or TLS,
 * ACL users, no persistence. Close it (try-with-resources, {@code @AfterAll}) to stop it and delete its
 * scratch directory.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.builder()
 *         .tls()                                   // plaintext + TLS ports
 *         .user("app", "app-password")             // user app on >app-password ~* &* +@all
 *         .start()) {
 *     RedisCli.connect(redis.host(), redis.port()).call("AUTH", "app", "app-password");
 *     redis.cli().call("ACL", "SETUSER", "reader", "on", ">pw", "~*", "+@read");   // as the kit's admin
 *     Jedis jedis = new Jedis(redis.host(), redis.tlsPort(), DefaultJedisClientConfig.builder()
 *             .ssl(true).sslSocketFactory(redis.clientSslContext().getSocketFactory()).build());
 * }
 * }</pre>
 *
 * <h2>Which redis-server</h2>
 * {@link Builder#executable(Path)}, else the system property {@code redis.server}, else the environment
 * variable {@code REDIS_SERVER}, else {@code redis-server} on {@code PATH} (then {@code /usr/local/bin},
 * {@code /usr/bin}, {@code /usr/sbin}, {@code /opt/homebrew/bin}). Missing → {@link IllegalStateException}
 * naming the package to install ({@code apt-get install redis-server}).
 *
 * <h2>Users</h2>
 * The {@code default} user is Redis's own default (on, no password, all commands) unless
 * {@link Builder#requirePass(String)} or {@link Builder#disableDefaultUser()} says otherwise. The kit always
 * adds its own admin user ({@link #adminUsername()}, random password) for {@link #cli()} and shutdown, so
 * tests may change or disable every other user.
 *
 * <h2>Stopping</h2>
 * {@link #close()} sends {@code SHUTDOWN NOSAVE}, kills the process if it has not exited within 10 s and
 * deletes the directory. A JVM shutdown hook does the same for servers a test forgot. If the JVM dies without
 * running hooks (SIGKILL, fork timeout), a {@link ProcessWatchdog} shell kills the server and deletes the
 * directory.
 *
 * <p>Thread-safe: accessors are immutable; {@link #cli()} serialises its calls.
 */
public final class RedisServer implements AutoCloseable {

    /** Whether and how redis-server asks TLS clients for a certificate ({@code tls-auth-clients}). */
    public enum TlsAuthClients {
        /** No client certificate requested (Azure Cache for Redis behaves like this). The kit's default. */
        NO,
        /** A client certificate is verified if presented. */
        OPTIONAL,
        /** A client certificate signed by the CA is required (Redis's own default). */
        YES
    }

    public static final String HOST = "127.0.0.1";
    static final String INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install"
            + " redis) or point the REDIS_SERVER environment variable (or -Dredis.server) at the binary";

    private static final Logger log = LoggerFactory.getLogger(RedisServer.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<RedisServer> LIVE = ConcurrentHashMap.newKeySet();
    private static final int MAX_START_ATTEMPTS = 5;
    private static final List<String> COMMON_DIRS =
            List.of("/usr/local/bin", "/usr/bin", "/usr/sbin", "/opt/homebrew/bin");
    private static final Pattern BIND_RACE =
            Pattern.compile("Address already in use|Could not create server TCP listening socket|Failed listening");
    private static final Pattern SECRET_IN_LOG = Pattern.compile("(?<=[\\s'\"])[>#<][^\\s'\"]+");

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            for (RedisServer server : LIVE) {
                                server.kill();
                            }
                        },
                        "redis-entra-testkit-shutdown"));
    }

    private final String name;
    private final Path directory;
    private final Path logFile;
    private final Path executable;
    private final SSLContext adminTls;
    private final Duration startupTimeout;
    private volatile Process process;
    private volatile ProcessWatchdog watchdog;
    private final int port;
    private final int tlsPort;
    private final TestCertificateAuthority ca;
    private final TestCertificate clientCertificate;
    private final String adminUsername;
    private final String adminPassword;
    private volatile RedisCli cli;
    private volatile boolean closed;

    private RedisServer(
            Started started,
            Builder builder,
            Path executable,
            Path directory,
            TestCertificate clientCertificate,
            SSLContext adminTls) {
        this.name = builder.name;
        this.executable = executable;
        this.adminTls = adminTls;
        this.startupTimeout = builder.startupTimeout;
        this.directory = directory;
        this.logFile = started.logFile;
        this.process = started.process;
        this.watchdog = started.watchdog;
        this.port = started.port;
        this.tlsPort = started.tlsPort;
        this.ca = builder.ca;
        this.clientCertificate = clientCertificate;
        this.adminUsername = builder.adminUsername;
        this.adminPassword = builder.adminPassword;
        this.cli = started.cli;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A plaintext server with Redis's default user (open): {@code builder().start()}. */
    public static RedisServer start() {
        return builder().start();
    }

    /** Always {@code 127.0.0.1} (the server also listens on {@code ::1} where the host has IPv6). */
    public String host() {
        return HOST;
    }

    /** The plaintext port. */
    public int port() {
        if (port == 0) {
            throw new IllegalStateException(name + " has no plaintext port (built with tlsOnly()); use tlsPort()");
        }
        return port;
    }

    /** The TLS port. */
    public int tlsPort() {
        if (tlsPort == 0) {
            throw new IllegalStateException(name + " has no TLS port; build it with tls() or tlsOnly()");
        }
        return tlsPort;
    }

    public boolean hasPlaintext() {
        return port != 0;
    }

    public boolean hasTls() {
        return tlsPort != 0;
    }

    /** {@code redis://127.0.0.1:PORT}. */
    public String uri() {
        return "redis://" + HOST + ":" + port();
    }

    /** {@code rediss://127.0.0.1:TLSPORT} (the certificate names 127.0.0.1, ::1 and localhost). */
    public String tlsUri() {
        return "rediss://" + HOST + ":" + tlsPort();
    }

    /** The certificate authority that signed the server's (and the kit's client) certificate. */
    public TestCertificateAuthority certificateAuthority() {
        requireTls();
        return ca;
    }

    /** The CA certificate as PEM, for clients that want a trust file. */
    public String caCertificatePem() {
        return certificateAuthority().certificatePem();
    }

    /** The CA certificate PEM file inside the server's directory (deleted on close). */
    public Path caFile() {
        requireTls();
        return directory.resolve("ca.pem");
    }

    /**
     * A TLS client context that trusts the server and presents the kit's client certificate (accepted with
     * every {@link TlsAuthClients} setting; ignored by the server with {@code NO}).
     */
    public SSLContext clientSslContext() {
        return certificateAuthority().sslContext(clientCertificate);
    }

    /** A TLS client context that trusts the server but presents no client certificate. */
    public SSLContext trustingSslContext() {
        return certificateAuthority().trustingSslContext();
    }

    /** The client certificate the kit made for itself (issue more with {@link #certificateAuthority()}). */
    public TestCertificate clientCertificate() {
        requireTls();
        return clientCertificate;
    }

    /** The admin connection (the kit's own ACL user, all permissions). See {@link RedisCli}. */
    public RedisCli cli() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        return cli;
    }

    /** A new unauthenticated connection: plaintext if the server has a plaintext port, else TLS. */
    public RedisCli connect() {
        return hasPlaintext() ? RedisCli.connect(HOST, port) : connectTls();
    }

    /** A new unauthenticated TLS connection presenting the kit's client certificate. */
    public RedisCli connectTls() {
        return RedisCli.connectTls(HOST, tlsPort(), clientSslContext());
    }

    public String adminUsername() {
        return adminUsername;
    }

    /** The admin user's random password (a test credential; do not print it anyway). */
    public String adminPassword() {
        return adminPassword;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** The server's scratch directory (config, certificates, log); deleted on close. */
    public Path directory() {
        return directory;
    }

    public Path logFile() {
        return logFile;
    }

    /** The last {@code lines} lines of the server log, with anything that looks like a password masked. */
    public String logTail(int lines) {
        return tail(logFile, lines);
    }

    /**
     * Kills the process with SIGKILL, as a crash or outage would: every connection drops. The server object
     * stays usable for {@link #restart()}; {@link #close()} still cleans up.
     */
    public synchronized void crash() {
        requireOpen();
        Process p = process;
        p.destroyForcibly();
        awaitExit(p);
        watchdog.disarm();
        cli.close();
    }

    /**
     * Starts the server again on the same ports with the same configuration (stopping it first if it runs)
     * and waits until it answers. Data and runtime changes (ACL users added with {@code ACL SETUSER}, CONFIG
     * SET) are gone, as after a real restart without persistence; {@link AzureCacheStandIn#reapply()} puts
     * its user and tokens back.
     *
     * @throws IllegalStateException if a port was taken meanwhile or the server does not come up
     */
    public synchronized void restart() {
        requireOpen();
        if (process.isAlive()) {
            stopProcess();
        }
        watchdog.disarm();
        Started started = launch(
                name,
                executable,
                directory,
                port,
                tlsPort,
                adminTls,
                adminUsername,
                adminPassword,
                startupTimeout,
                false);
        this.process = started.process;
        this.watchdog = started.watchdog;
        this.cli = started.cli;
        log.info("restarted {}", this);
    }

    /** Stops the server ({@code SHUTDOWN NOSAVE}, then a kill after 10 s) and deletes its directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LIVE.remove(this);
        if (process.isAlive()) {
            stopProcess();
        }
        kill();
    }

    @Override
    public String toString() {
        return "RedisServer[" + name + ", pid " + process.pid() + (port != 0 ? ", port " + port : "")
                + (tlsPort != 0 ? ", tls " + tlsPort : "") + "]";
    }

    private void stopProcess() {
        try {
            cli.call("SHUTDOWN", "NOSAVE");
        } catch (RuntimeException expected) {
            // SHUTDOWN answers by closing the connection; an error here means we kill below
        }
        cli.close();
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            log.warn("{} did not exit 10 s after SHUTDOWN NOSAVE; killing pid {}", name, process.pid());
            process.destroyForcibly();
            awaitExit(process);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private void awaitExit(Process p) {
        try {
            p.onExit().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("{} (pid {}) still running after SIGKILL", name, p.pid());
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
    }

    /** The last resort, also used by the shutdown hook: no protocol, just kill and delete. */
    private void kill() {
        Process p = process;
        p.destroyForcibly(); // first: it also unblocks any thread stuck reading from the admin connection
        cli.close();
        awaitExit(p);
        watchdog.disarm();
        deleteRecursively(directory);
    }

    private void requireTls() {
        if (tlsPort == 0) {
            throw new IllegalStateException(name + " has no TLS; build it with tls() or tlsOnly()");
        }
    }

    /**
     * Finds the redis-server binary: {@code redis.server} system property, {@code REDIS_SERVER} environment
     * variable, then {@code PATH} and common install directories.
     *
     * @throws IllegalStateException naming the package to install when there is none
     */
    public static Path locateExecutable() {
        return locateExecutable(System.getenv(), System.getProperties(), COMMON_DIRS);
    }

    static Path locateExecutable(Map<String, String> env, Properties props, List<String> commonDirs) {
        String configured = props.getProperty("redis.server");
        String source = "-Dredis.server";
        if (configured == null || configured.isBlank()) {
            configured = env.get("REDIS_SERVER");
            source = "REDIS_SERVER";
        }
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            if (Files.isRegularFile(path) && Files.isExecutable(path)) {
                return path;
            }
            throw new IllegalStateException(source + " is set to \"" + configured
                    + "\", which is not an executable file; fix it or " + INSTALL_HINT);
        }
        List<String> dirs = new ArrayList<>();
        String pathVar = env.getOrDefault("PATH", "");
        for (String dir : pathVar.split(File.pathSeparator)) {
            if (!dir.isBlank()) {
                dirs.add(dir);
            }
        }
        dirs.addAll(commonDirs);
        for (String dir : dirs) {
            Path candidate = Path.of(dir, "redis-server");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("redis-server was not found on PATH (" + pathVar + ") or in "
                + String.join(", ", commonDirs) + ": " + INSTALL_HINT);
    }

    /** Configures and starts a {@link RedisServer}. Every setting has a working default. */
    public static final class Builder {
        private Path executable;
        private boolean plaintext = true;
        private boolean tls;
        private TlsAuthClients tlsAuthClients = TlsAuthClients.NO;
        private TestCertificateAuthority ca;
        private final List<String> serverNames = new ArrayList<>();
        private final List<String> userLines = new ArrayList<>();
        private String defaultUserLine;
        private final List<String> extraConfig = new ArrayList<>();
        private Duration startupTimeout = Duration.ofSeconds(60);
        private String name = "redis";
        private final String adminUsername = "testkit-admin";
        private final String adminPassword = randomHex(24);

        private Builder() {}

        /** The redis-server binary to run (default: see {@link RedisServer#locateExecutable()}). */
        public Builder executable(Path executable) {
            this.executable = Objects.requireNonNull(executable, "executable");
            return this;
        }

        /** Adds a TLS port next to the plaintext one. */
        public Builder tls() {
            this.tls = true;
            return this;
        }

        /** TLS only: the plaintext listener is off ({@code port 0}), like an Azure cache. */
        public Builder tlsOnly() {
            this.tls = true;
            this.plaintext = false;
            return this;
        }

        /** {@code tls-auth-clients} (default {@link TlsAuthClients#NO}). */
        public Builder tlsAuthClients(TlsAuthClients mode) {
            this.tlsAuthClients = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Use this CA (e.g. shared with a gateway under test) instead of a fresh one. */
        public Builder certificateAuthority(TestCertificateAuthority ca) {
            this.ca = Objects.requireNonNull(ca, "ca");
            return this;
        }

        /** Extra DNS names / IP literals for the server certificate (besides localhost, 127.0.0.1, ::1). */
        public Builder serverNames(String... names) {
            serverNames.addAll(List.of(names));
            return this;
        }

        /** An ACL user with full access: {@code user <name> on >password ~* &* +@all}. */
        public Builder user(String username, String password) {
            requireToken(username, "username");
            Objects.requireNonNull(password, "password");
            userLines.add("user " + quote(username) + " on " + quote(">" + password) + " ~* &* +@all");
            return this;
        }

        /**
         * An ACL user with explicit rules in Redis ACL syntax, e.g. {@code "on >pw ~app:* +@read"} (the
         * rules are written to the config as given; see {@code ACL SETUSER}).
         */
        public Builder userWithRules(String username, String rules) {
            requireToken(username, "username");
            Objects.requireNonNull(rules, "rules");
            userLines.add("user " + quote(username) + " " + rules);
            return this;
        }

        /** Gives the {@code default} user a password (what {@code requirepass} does). */
        public Builder requirePass(String password) {
            Objects.requireNonNull(password, "password");
            defaultUserLine = "user default on " + quote(">" + password) + " ~* &* +@all";
            return this;
        }

        /** Turns the {@code default} user off: every connection must AUTH with a named user. */
        public Builder disableDefaultUser() {
            defaultUserLine = "user default off resetpass -@all";
            return this;
        }

        /** An extra redis.conf line, e.g. {@code "maxclients 50"} or {@code "notify-keyspace-events KEA"}. */
        public Builder config(String line) {
            Objects.requireNonNull(line, "line");
            if (line.contains("\n") || line.contains("\r")) {
                throw new IllegalArgumentException("one config line per call; got a line break");
            }
            extraConfig.add(line);
            return this;
        }

        /** How long to wait for the server to answer PING (default 60 s: CI machines can be slow). */
        public Builder startupTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, got " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /** A label for logs, errors and the scratch directory name (default {@code redis}). */
        public Builder name(String name) {
            requireToken(name, "name");
            this.name = name;
            return this;
        }

        /** Starts the server and waits until it answers PING as the admin user. */
        public RedisServer start() {
            Path exe = executable != null ? executable : locateExecutable();
            if (!Files.isExecutable(exe)) {
                throw new IllegalStateException("redis-server executable " + exe + " does not exist or is not"
                        + " executable: " + INSTALL_HINT);
            }
            Path dir = createScratchDirectory(name);
            try {
                TestCertificate client = null;
                if (tls) {
                    if (ca == null) {
                        ca = TestCertificateAuthority.create("redis-entra testkit CA (" + name + ")");
                    }
                    TestCertificate serverCert = ca.issueServerCertificate(serverNames.toArray(String[]::new));
                    serverCert.writeCertificatePem(dir.resolve("server.pem"));
                    serverCert.writePrivateKeyPem(dir.resolve("server.key"));
                    ca.writeCertificatePem(dir.resolve("ca.pem"));
                    client = ca.issueClientCertificate(adminUsername);
                }
                SSLContext adminTls = tls ? ca.sslContext(client) : null;
                Started started = null;
                for (int attempt = 1; started == null; attempt++) {
                    int[] ports = FreePorts.pick(plaintext && tls ? 2 : 1);
                    int port = plaintext ? ports[0] : 0;
                    int tlsPort = tls ? ports[plaintext ? 1 : 0] : 0;
                    writeOwnerOnly(dir.resolve("redis.conf"), configText(dir, port, tlsPort));
                    deleteRecursively(dir.resolve("redis.log")); // a failed attempt's log must not mislead the next
                    started = launch(
                            name,
                            exe,
                            dir,
                            port,
                            tlsPort,
                            adminTls,
                            adminUsername,
                            adminPassword,
                            startupTimeout,
                            attempt < MAX_START_ATTEMPTS);
                }
                RedisServer server = new RedisServer(started, this, exe, dir, client, adminTls);
                LIVE.add(server);
                log.info("started {} ({})", server, exe);
                return server;
            } catch (RuntimeException | Error e) {
                deleteRecursively(dir);
                throw e;
            }
        }

        private String configText(Path dir, int port, int tlsPort) {
            List<String> lines = new ArrayList<>();
            lines.add("# generated by redis-entra testkit for one test run; deleted on close");
            lines.add("bind 127.0.0.1 -::1");
            lines.add("port " + port);
            lines.add("daemonize no");
            lines.add("logfile \"\"");
            lines.add("loglevel notice");
            lines.add("dir " + quote(dir.toString()));
            lines.add("save \"\"");
            lines.add("appendonly no");
            lines.add("enable-debug-command local");
            if (tlsPort != 0) {
                lines.add("tls-port " + tlsPort);
                lines.add("tls-cert-file " + quote(dir.resolve("server.pem").toString()));
                lines.add("tls-key-file " + quote(dir.resolve("server.key").toString()));
                lines.add("tls-ca-cert-file " + quote(dir.resolve("ca.pem").toString()));
                lines.add("tls-auth-clients " + tlsAuthClients.name().toLowerCase(Locale.ROOT));
            }
            lines.add("user " + adminUsername + " on " + quote(">" + adminPassword) + " ~* &* +@all");
            if (defaultUserLine != null) {
                lines.add(defaultUserLine);
            }
            lines.addAll(userLines);
            lines.addAll(extraConfig);
            return String.join("\n", lines) + "\n";
        }
    }

    /**
     * Runs redis-server on {@code dir/redis.conf} and waits until it answers PING as the admin user. Returns
     * null when a port was taken between pick and bind and {@code mayRetry} allows picking again.
     */
    private static Started launch(
            String name,
            Path exe,
            Path dir,
            int port,
            int tlsPort,
            SSLContext adminTls,
            String adminUsername,
            String adminPassword,
            Duration startupTimeout,
            boolean mayRetry) {
        Path config = dir.resolve("redis.conf");
        Path logFile = dir.resolve("redis.log");
        Process process;
        ProcessWatchdog watchdog;
        try {
            process = new ProcessBuilder(exe.toString(), config.toString())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + exe + ": " + e.getMessage() + "; " + INSTALL_HINT, e);
        }
        try {
            watchdog = ProcessWatchdog.arm(process, dir);
        } catch (IOException e) {
            process.destroyForcibly();
            throw new UncheckedIOException("could not start the watchdog shell (sh): " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        long pollMillis = 10;
        RuntimeException lastFailure = null;
        while (true) {
            if (!process.isAlive()) {
                watchdog.disarm();
                String tail = tail(logFile, 30);
                if (BIND_RACE.matcher(tail).find() && mayRetry) {
                    log.info("{}: port taken between pick and bind; picking again", name);
                    return null;
                }
                throw new IllegalStateException(name + ": redis-server exited with code " + process.exitValue()
                        + " during start (" + exe + "). Last lines of its log:\n" + tail);
            }
            try {
                RedisCli cli = RedisCli.admin(
                        HOST,
                        port != 0 ? port : tlsPort,
                        port != 0 ? null : adminTls,
                        RedisCli.DEFAULT_TIMEOUT,
                        adminUsername,
                        adminPassword);
                try {
                    if (!"PONG".equals(cli.call("PING"))) {
                        throw new IllegalStateException("unexpected PING reply");
                    }
                    if (port != 0 && tlsPort != 0) {
                        try (RedisCli probe = RedisCli.connectTls(HOST, tlsPort, adminTls)) {
                            probe.call("AUTH", adminUsername, adminPassword);
                        }
                    }
                    return new Started(process, watchdog, logFile, port, tlsPort, cli);
                } catch (RuntimeException e) {
                    cli.close();
                    throw e;
                }
            } catch (RuntimeException e) {
                lastFailure = e; // not listening yet (or still loading): poll again
            }
            if (System.nanoTime() > deadline) {
                process.destroyForcibly();
                watchdog.disarm();
                IllegalStateException failure = new IllegalStateException(name + ": redis-server did not answer"
                        + " PING within " + startupTimeout.toSeconds() + " s (raise it with startupTimeout(…))."
                        + " Last lines of its log:\n" + tail(logFile, 30));
                failure.addSuppressed(lastFailure);
                throw failure;
            }
            try {
                // Waiting on the process's exit doubles as the poll interval and notices a crash at once.
                process.onExit().get(pollMillis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException ignored) {
                // still running, not yet answering
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                watchdog.disarm();
                throw new IllegalStateException(name + ": interrupted while waiting for redis-server", e);
            }
            pollMillis = Math.min(pollMillis * 2, 200);
        }
    }

    private record Started(
            Process process, ProcessWatchdog watchdog, Path logFile, int port, int tlsPort, RedisCli cli) {}

    // ---- helpers shared by the builder and the server

    static String randomHex(int bytes) {
        byte[] buf = new byte[bytes];
        RANDOM.nextBytes(buf);
        return HexFormat.of().formatHex(buf);
    }

    /** Quotes a redis.conf argument when it needs it (redis.conf uses sdssplitargs: "…" with \ escapes). */
    static String quote(String arg) {
        if (!arg.isEmpty() && arg.chars().noneMatch(c -> c <= ' ' || c == '"' || c == '\'' || c == '\\')) {
            return arg;
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : arg.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static void requireToken(String value, String what) {
        if (value == null || value.isEmpty() || value.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException(what + " must be non-empty without spaces, got \"" + value + "\"");
        }
    }

    private static Path createScratchDirectory(String name) {
        try {
            Path dir = Files.createTempDirectory("redis-entra-testkit-" + name + "-");
            if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            return dir.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "could not create a scratch directory for redis-server: " + e.getMessage(), e);
        }
    }

    private static void writeOwnerOnly(Path file, String text) {
        try {
            Files.deleteIfExists(file);
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }

    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no log written)";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
            StringBuilder out = new StringBuilder();
            for (String line : last) {
                // A config error echoes the offending line, which may hold a >password: mask it.
                out.append("  | ")
                        .append(SECRET_IN_LOG.matcher(line).replaceAll("***"))
                        .append('\n');
            }
            return out.length() == 0 ? "(log is empty)" : out.toString();
        } catch (IOException | UncheckedIOException e) {
            return "(could not read " + file + ": " + e.getMessage() + ")";
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover temp file is harmless
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.debug("could not delete {}: {}", dir, e.getMessage());
        }
    }
}
