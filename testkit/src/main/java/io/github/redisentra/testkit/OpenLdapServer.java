package io.github.redisentra.testkit;

import io.github.redisentra.testkit.internal.FreePorts;
import io.github.redisentra.testkit.internal.ProcessWatchdog;
import io.github.redisentra.testkit.internal.SlapdInstallation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real OpenLDAP {@code slapd} for tests, started on free loopback ports with everything in one temporary
 * directory: a {@code cn=config} directory ({@code slapd.d}) and one {@code mdb} database, the {@code memberof} and
 * {@code ppolicy} overlays loaded, LDAPS and StartTLS with a server certificate from a {@link TestCertificateAuthority}.
 *
 * <pre>{@code
 * try (OpenLdapServer ldap = OpenLdapServer.builder(ca)
 *         .defaultPasswordPolicy("cn=default,ou=policies,dc=example,dc=com")
 *         .slapadd(usersLdif)       // loaded offline before start: operational attributes allowed, overlays not run
 *         .ldapadd(groupsLdif)      // added over LDAP after start: memberof writes memberOf on the members
 *         .start()) {
 *     String url = ldap.ldapsUrl();                                  // ldaps://localhost:PORT
 *     ldap.modify("dn: cn=g,ou=groups,dc=example,dc=com\nchangetype: modify\nadd: member\nmember: uid=bob,...\n");
 * }
 * }</pre>
 *
 * <h2>Listeners</h2>
 * {@link #ldapUrl()} (plain, StartTLS offered) and {@link #ldapsUrl()} on {@code 127.0.0.1}, named {@code localhost}
 * as the certificate does; {@link #otherNameLdapsUrl()} is LDAPS on {@code 127.0.0.2}, a name the certificate does
 * not carry (host-name checks); and an {@code ldapi://} socket in the directory for {@link #modify(String)}.
 *
 * <h2>Access</h2>
 * The database's root DN ({@link #rootDn()}, random password known only to this object) is used by {@link #modify}
 * and {@link #add}; password-policy rules do not apply to it. Users may read every entry once bound; anonymous
 * clients may only bind. Password-policy state (failure counts, lock times) is written by the overlay itself.
 *
 * <h2>Which slapd</h2>
 * {@code slapd}, {@code slapadd} ({@code /usr/sbin}) and {@code ldapmodify} from the directory of
 * {@code -Dopenldap.slapd=<path to slapd>}, {@code PATH} or the usual install directories; modules from {@code /usr/lib/ldap} (Debian) or the other usual places. {@link #unavailable()} says
 * what is missing so that a test can skip with a message; Debian: {@code apt-get install slapd ldap-utils}.
 *
 * <h2>Stopping</h2>
 * {@link #stop()} sends SIGTERM (slapd shuts down cleanly) and waits; {@link #start()} starts it again on the same
 * ports with the same data; {@link #close()} stops and deletes the directory. A JVM shutdown hook and a
 * {@link ProcessWatchdog} clean up servers a test forgot or a JVM that died.
 */
public final class OpenLdapServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OpenLdapServer.class);

    public static final String INSTALL_HINT = SlapdInstallation.INSTALL_HINT;
    /** The loopback address of the LDAPS listener whose name the server certificate does not carry. */
    public static final String OTHER_NAME_HOST = "127.0.0.2";

    private static final int MAX_START_ATTEMPTS = 5;
    private static final Set<OpenLdapServer> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            for (OpenLdapServer s : LIVE) {
                                s.close();
                            }
                        },
                        "openldap-testkit-cleanup"));
    }

    private final SlapdInstallation tools;
    private final Path dir;
    private final String suffix;
    private final String rootDn;
    private final int ldapPort;
    private final int ldapsPort;
    private final int otherNamePort;
    private final Duration startupTimeout;
    private Process process;
    private ProcessWatchdog watchdog;
    private boolean closed;

    private OpenLdapServer(Builder b, SlapdInstallation tools, Path dir, int[] ports) {
        this.tools = tools;
        this.dir = dir;
        this.suffix = b.suffix;
        this.rootDn = b.rootDn();
        this.ldapPort = ports[0];
        this.ldapsPort = ports[1];
        this.otherNamePort = ports[2];
        this.startupTimeout = b.startupTimeout;
    }

    /** A builder for a server whose TLS certificate {@code ca} issues (for {@code localhost} and the loopbacks). */
    public static Builder builder(TestCertificateAuthority ca) {
        return new Builder(ca);
    }

    /** Why no server can be started here (what to install), or empty when slapd and the tools are present. */
    public static Optional<String> unavailable() {
        try {
            SlapdInstallation.locate();
            return Optional.empty();
        } catch (IllegalStateException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** {@code ldap://localhost:PORT}: plain LDAP, StartTLS offered. */
    public String ldapUrl() {
        return "ldap://localhost:" + ldapPort;
    }

    /** {@code ldaps://localhost:PORT}. */
    public String ldapsUrl() {
        return "ldaps://localhost:" + ldapsPort;
    }

    /** LDAPS on {@value #OTHER_NAME_HOST}: same server and certificate, a host the certificate does not name. */
    public String otherNameLdapsUrl() {
        return "ldaps://" + OTHER_NAME_HOST + ":" + otherNamePort;
    }

    public String suffix() {
        return suffix;
    }

    /** The temporary directory holding the configuration, the database, the TLS files and the log. */
    public Path directory() {
        return dir;
    }

    /** The database's root DN (the testkit's administrator; its password stays inside this object). */
    public String rootDn() {
        return rootDn;
    }

    /**
     * Applies an LDIF change record set ({@code changetype: modify/add/delete…}) as the root DN, with the relax
     * control, so that an administrator's changes to password-policy state are allowed (e.g. unlocking an account by
     * deleting {@code pwdAccountLockedTime} and {@code pwdFailureTime}).
     */
    public void modify(String ldif) {
        ldapmodify(ldif, false);
    }

    /** Adds the entries of {@code ldif} (plain content records) as the root DN; overlays see the adds. */
    public void add(String ldif) {
        ldapmodify(ldif, true);
    }

    /** Whether slapd is running. */
    public synchronized boolean running() {
        return process != null && process.isAlive();
    }

    /** Stops slapd (SIGTERM, then SIGKILL after 10 s); the data stays for {@link #start()}. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        Process p = process;
        p.destroy();
        try {
            p.onExit().get(10, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            log.warn("slapd pid {} did not exit 10 s after SIGTERM; killing it", p.pid());
            p.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        watchdog.disarm();
        process = null;
    }

    /** Starts slapd again on the same ports with the same data and waits until it accepts connections. */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("this OpenLdapServer is closed");
        }
        if (running()) {
            return;
        }
        if (!launch(false)) {
            throw new IllegalStateException("slapd could not bind its ports again (taken meanwhile?)");
        }
    }

    /** The last lines slapd wrote to stderr. */
    public String logTail(int lines) {
        return RedisServer.tail(dir.resolve("slapd.log"), lines);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LIVE.remove(this);
        stop();
        RedisServer.deleteRecursively(dir);
    }

    @Override
    public String toString() {
        return "OpenLdapServer[" + suffix + ", ldap " + ldapPort + ", ldaps " + ldapsPort + "]";
    }

    /** Launches slapd and waits for its listeners; false when a port was taken and {@code mayRetry}. */
    private boolean launch(boolean mayRetry) {
        Path logFile = dir.resolve("slapd.log");
        String urls = "ldap://127.0.0.1:" + ldapPort + "/ ldaps://127.0.0.1:" + ldapsPort + "/ ldaps://"
                + OTHER_NAME_HOST + ":" + otherNamePort + "/ " + ldapiUrl();
        try {
            process = new ProcessBuilder(
                            tools.slapd().toString(),
                            "-d",
                            "32768",
                            "-F",
                            dir.resolve("slapd.d").toString(),
                            "-h",
                            urls)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            watchdog = ProcessWatchdog.arm(process, dir);
        } catch (IOException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            throw new UncheckedIOException("could not run " + tools.slapd() + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        long pollMillis = 10;
        while (true) {
            if (!process.isAlive()) {
                watchdog.disarm();
                int exit = process.exitValue();
                process = null;
                String tail = logTail(30);
                if (mayRetry && (tail.contains("errno=98") || tail.contains("Address already in use"))) {
                    return false;
                }
                throw new IllegalStateException(
                        "slapd exited with code " + exit + " during start. Last lines of its log:\n" + tail);
            }
            if (accepts(ldapPort) && accepts(ldapsPort)) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                process.destroyForcibly();
                watchdog.disarm();
                process = null;
                throw new IllegalStateException("slapd did not accept connections within " + startupTimeout.toSeconds()
                        + " s. Last lines of its log:\n" + logTail(30));
            }
            try {
                process.onExit().get(pollMillis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException ignored) {
                // still starting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for slapd", e);
            }
            pollMillis = Math.min(pollMillis * 2, 200);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String ldapiUrl() {
        return "ldapi://" + dir.resolve("ldapi").toString().replace("/", "%2F");
    }

    private void ldapmodify(String ldif, boolean addEntries) {
        List<String> cmd = new ArrayList<>(List.of(
                tools.ldapmodify().toString(),
                "-x",
                "-H",
                ldapiUrl(),
                "-D",
                rootDn,
                "-y",
                dir.resolve("root.pw").toString()));
        if (addEntries) {
            cmd.add("-a");
        } else {
            cmd.addAll(List.of("-e", "relax"));
        }
        SlapdInstallation.run(cmd, ldif, "ldapmodify");
    }

    /** Configures and starts an {@link OpenLdapServer}. */
    public static final class Builder {
        private final TestCertificateAuthority ca;
        private String suffix = "dc=example,dc=com";
        private String defaultPolicy;
        private boolean useLockout = true;
        private final List<String> offline = new ArrayList<>();
        private final List<String> online = new ArrayList<>();
        private Duration startupTimeout = Duration.ofSeconds(30);

        private Builder(TestCertificateAuthority ca) {
            this.ca = ca;
        }

        /** The database suffix (default {@code dc=example,dc=com}); the LDIF must create its entry. */
        public Builder suffix(String suffix) {
            this.suffix = suffix;
            return this;
        }

        /** The {@code pwdPolicy} entry applied to users without their own {@code pwdPolicySubentry}. */
        public Builder defaultPasswordPolicy(String dn) {
            this.defaultPolicy = dn;
            return this;
        }

        /**
         * {@code olcPPolicyUseLockout} (default true): binds to a locked account get the {@code accountLocked} error
         * in the password-policy response control. OpenLDAP's own default (false) answers them like a wrong password.
         */
        public Builder passwordPolicyUseLockout(boolean on) {
            this.useLockout = on;
            return this;
        }

        /**
         * LDIF entries loaded with {@code slapadd} before slapd starts: overlays do not run (no {@code memberOf}
         * maintenance), operational attributes such as {@code pwdChangedTime} or {@code pwdReset} may be set.
         */
        public Builder slapadd(String ldif) {
            offline.add(ldif);
            return this;
        }

        /** LDIF entries added with {@code ldapmodify -a} after slapd started, as the root DN: overlays run. */
        public Builder ldapadd(String ldif) {
            online.add(ldif);
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = timeout;
            return this;
        }

        String rootDn() {
            return "cn=admin," + suffix;
        }

        /**
         * Writes the configuration, loads the offline LDIF, starts slapd, adds the online LDIF.
         *
         * @throws IllegalStateException when slapd is not installed ({@link #unavailable()} says so beforehand), does
         *     not start, or an LDIF is refused (with slapd's or the tool's message)
         */
        public OpenLdapServer start() {
            SlapdInstallation tools = SlapdInstallation.locate();
            Path dir = scratch();
            try {
                String rootPassword = RedisServer.randomHex(16);
                writeOwnerOnly(dir.resolve("root.pw"), rootPassword);
                TestCertificate cert = ca.issueServerCertificate();
                cert.writeCertificatePem(dir.resolve("server.pem"));
                cert.writeEcPrivateKeyPem(dir.resolve("server.key"));
                ca.writeCertificatePem(dir.resolve("ca.pem"));
                Files.createDirectories(dir.resolve("slapd.d"));
                Files.createDirectories(dir.resolve("db"));
                writeOwnerOnly(
                        dir.resolve("config.ldif"),
                        tools.configLdif(dir, suffix, rootDn(), rootPassword, defaultPolicy, useLockout));
                SlapdInstallation.run(
                        List.of(
                                tools.slapadd().toString(),
                                "-F",
                                dir.resolve("slapd.d").toString(),
                                "-n",
                                "0",
                                "-l",
                                dir.resolve("config.ldif").toString()),
                        null,
                        "slapadd (cn=config)");
                if (!offline.isEmpty()) {
                    Path data = dir.resolve("data.ldif");
                    writeOwnerOnly(
                            data,
                            String.join(
                                            "\n",
                                            offline.stream().map(String::strip).toList()) + "\n");
                    SlapdInstallation.run(
                            List.of(
                                    tools.slapadd().toString(),
                                    "-F",
                                    dir.resolve("slapd.d").toString(),
                                    "-b",
                                    suffix,
                                    "-l",
                                    data.toString()),
                            null,
                            "slapadd (data)");
                }
                OpenLdapServer server = null;
                for (int attempt = 1; server == null; attempt++) {
                    RedisServer.deleteRecursively(dir.resolve("slapd.log")); // a failed attempt's log would mislead
                    OpenLdapServer s = new OpenLdapServer(this, tools, dir, FreePorts.pick(3));
                    synchronized (s) {
                        if (s.launch(attempt < MAX_START_ATTEMPTS)) {
                            server = s;
                        } else {
                            log.info("slapd: a port was taken between pick and bind; picking again");
                        }
                    }
                }
                LIVE.add(server);
                for (String ldif : online) {
                    server.add(ldif.strip() + "\n");
                }
                log.info("started {} ({})", server, tools.slapd());
                return server;
            } catch (IOException e) {
                RedisServer.deleteRecursively(dir);
                throw new UncheckedIOException("could not prepare slapd in " + dir + ": " + e.getMessage(), e);
            } catch (RuntimeException | Error e) {
                RedisServer.deleteRecursively(dir);
                throw e;
            }
        }

        private static Path scratch() {
            try {
                // Short: the ldapi socket path inside it must fit in sun_path (108 bytes).
                Path dir = Files.createTempDirectory("slapd-");
                if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                }
                return dir.toAbsolutePath();
            } catch (IOException e) {
                throw new UncheckedIOException("could not create a scratch directory for slapd: " + e.getMessage(), e);
            }
        }

        private static void writeOwnerOnly(Path file, String text) throws IOException {
            Files.deleteIfExists(file);
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        }
    }
}
