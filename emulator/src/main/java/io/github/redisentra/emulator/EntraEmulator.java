package io.github.redisentra.emulator;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.github.redisentra.emulator.internal.CertificateAuthority;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local Microsoft Entra ID: OIDC discovery, JWKS, the v2 token endpoint (authorization code + PKCE,
 * refresh token, device code, client credentials), a sign-in page, a device-code page, the App Service and
 * IMDS managed-identity endpoints and Microsoft Graph {@code checkMemberGroups}, over HTTPS on loopback
 * (certificate from an in-memory CA) and plain HTTP on loopback.
 *
 * <pre>{@code
 * try (EntraEmulator emu = EntraEmulator.builder().build().start()) {
 *     Tenant t = emu.createTenant("contoso");
 *     ...
 * }
 * }</pre>
 */
public final class EntraEmulator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EntraEmulator.class);

    private final Builder config;
    private final CertificateAuthority ca;
    private final SSLContext clientSsl;
    private final List<Tenant> tenants = new CopyOnWriteArrayList<>();
    private final List<TokenEventListener> listeners = new CopyOnWriteArrayList<>();
    private final Faults faults = new Faults();
    private final Map<Endpoint, AtomicLong> counters = new EnumMap<>(Endpoint.class);
    private final TokenFactory tokens = new TokenFactory(this);
    private final String identityHeader;
    final OAuthState oauth;
    private volatile Duration defaultTokenLifetime;

    private final List<HttpServer> servers = new ArrayList<>();
    private ExecutorService requestThreads;
    private ScheduledExecutorService scheduler;
    private volatile int httpsPort = -1;
    private volatile int httpPort = -1;
    private volatile boolean closed;

    private EntraEmulator(Builder config) {
        this.config = config;
        this.defaultTokenLifetime = config.defaultTokenLifetime;
        this.identityHeader = config.identityHeader != null
                ? config.identityHeader
                : UUID.randomUUID().toString();
        this.ca = CertificateAuthority.generate("redis-entra emulator");
        this.clientSsl = ca.clientContext();
        for (Endpoint e : Endpoint.values()) {
            counters.put(e, new AtomicLong());
        }
        this.oauth = new OAuthState(this);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds the HTTPS and HTTP listeners on loopback and starts serving. Returns this. */
    public synchronized EntraEmulator start() {
        if (!servers.isEmpty()) {
            throw new IllegalStateException("The emulator is already started");
        }
        if (closed) {
            throw new IllegalStateException("The emulator was closed; build a new one");
        }
        requestThreads = Executors.newFixedThreadPool(16, daemonThreads("entra-emulator-http"));
        scheduler = Executors.newSingleThreadScheduledExecutor(daemonThreads("entra-emulator-expiry"));
        Router router = new Router(this);
        try {
            InetAddress v4 = InetAddress.getByName("127.0.0.1");
            HttpsServer https = HttpsServer.create(new InetSocketAddress(v4, config.httpsPort), 64);
            SSLContext serverSsl = ca.serverContext();
            HttpsConfigurator tls = new HttpsConfigurator(serverSsl) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = serverSsl.getDefaultSSLParameters();
                    p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                    params.setSSLParameters(p);
                }
            };
            https.setHttpsConfigurator(tls);
            register(https, router.forScheme(true));
            httpsPort = https.getAddress().getPort();
            // "localhost" may resolve to ::1 first for some clients: serve the same port there when possible.
            try {
                HttpsServer https6 =
                        HttpsServer.create(new InetSocketAddress(InetAddress.getByName("::1"), httpsPort), 64);
                https6.setHttpsConfigurator(tls);
                register(https6, router.forScheme(true));
            } catch (IOException e) {
                log.debug("IPv6 loopback not available for HTTPS ({}); serving 127.0.0.1 only", e.toString());
            }
            HttpServer http = HttpServer.create(new InetSocketAddress(v4, config.httpPort), 64);
            register(http, router.forScheme(false));
            httpPort = http.getAddress().getPort();
        } catch (IOException e) {
            stopServers();
            throw new UncheckedIOException(
                    "Could not bind the emulator on 127.0.0.1 (https port " + config.httpsPort + ", http port "
                            + config.httpPort + "); choose free ports or 0",
                    e);
        }
        log.info("Entra ID emulator listening on {} and {}", httpsBaseUrl(), httpBaseUrl());
        return this;
    }

    private void register(HttpServer server, com.sun.net.httpserver.HttpHandler handler) {
        server.createContext("/", handler);
        server.setExecutor(requestThreads);
        server.start();
        servers.add(server);
    }

    @Override
    public synchronized void close() {
        closed = true;
        stopServers();
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (requestThreads != null) {
            requestThreads.shutdownNow();
        }
    }

    private void stopServers() {
        for (HttpServer s : servers) {
            s.stop(0);
        }
        servers.clear();
    }

    // ---- addresses and trust

    /** {@code https://localhost:PORT}: the authority host (AZURE_AUTHORITY_HOST). */
    public URI httpsBaseUrl() {
        requireStarted();
        return URI.create("https://localhost:" + httpsPort);
    }

    /** {@code http://127.0.0.1:PORT}: plain HTTP for clients that allow it (managed identity). */
    public URI httpBaseUrl() {
        requireStarted();
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    public int httpsPort() {
        requireStarted();
        return httpsPort;
    }

    public int httpPort() {
        requireStarted();
        return httpPort;
    }

    /** The CA certificate (PEM) that signed the HTTPS certificate. */
    public String caCertificatePem() {
        return ca.caCertificatePem();
    }

    /** Writes the CA certificate (PEM, no key) to {@code file}. */
    public Path writeCaCertificate(Path file) {
        try {
            Files.writeString(file, caCertificatePem(), StandardCharsets.US_ASCII);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the emulator CA certificate to " + file, e);
        }
    }

    public java.security.cert.X509Certificate caCertificate() {
        return ca.caCertificate();
    }

    /** An SSLContext that trusts the emulator's CA (only). */
    public SSLContext sslContext() {
        return clientSsl;
    }

    /** A PKCS12 in-memory trust store holding the emulator's CA. */
    public KeyStore trustStore() {
        return ca.trustStore();
    }

    /** {@code IDENTITY_ENDPOINT} for the App Service managed-identity protocol. */
    public URI appServiceIdentityEndpoint() {
        return URI.create(httpBaseUrl() + "/msi/token");
    }

    /** {@code IDENTITY_HEADER}: the secret the App Service protocol expects in {@code X-IDENTITY-HEADER}. */
    public String appServiceIdentityHeader() {
        return identityHeader;
    }

    /** Base URL standing in for {@code http://169.254.169.254} (path {@code /metadata/identity/oauth2/token}). */
    public URI imdsEndpoint() {
        return httpBaseUrl();
    }

    /** Base URL standing in for {@code https://graph.microsoft.com} (append {@code /v1.0/...}). */
    public URI graphBaseUrl() {
        return URI.create(httpsBaseUrl() + "/graph");
    }

    // ---- directory

    /** A new tenant with a random tenant id. */
    public Tenant createTenant(String name) {
        return createTenant(name, null);
    }

    /** A new tenant with a fixed tenant id (GUID), e.g. for a demo whose settings should not change. */
    public Tenant createTenant(String name, String tenantId) {
        Tenant t = new Tenant(this, name, tenantId);
        if (findTenant(t.id()).isPresent() || findTenant(t.name()).isPresent()) {
            throw new IllegalArgumentException("Tenant " + name + " (" + t.id() + ") already exists");
        }
        tenants.add(t);
        return t;
    }

    /** The tenant with id or name {@code idOrName}. */
    public Tenant tenant(String idOrName) {
        return findTenant(idOrName)
                .orElseThrow(() -> new NoSuchElementException("No tenant with id or name " + idOrName));
    }

    /** A tenant by id (GUID), name or domain ({@code name.test}). */
    public Optional<Tenant> findTenant(String idNameOrDomain) {
        if (idNameOrDomain == null) {
            return Optional.empty();
        }
        return tenants.stream()
                .filter(t -> t.id().equalsIgnoreCase(idNameOrDomain)
                        || t.name().equalsIgnoreCase(idNameOrDomain)
                        || t.domain().equalsIgnoreCase(idNameOrDomain))
                .findFirst();
    }

    public List<Tenant> tenants() {
        return List.copyOf(tenants);
    }

    // ---- tokens

    /** Mints an access token without an OAuth exchange (same claims and keys as the endpoints). */
    public String mintAccessToken(TokenRequest request) {
        return issueAccessToken(request).value();
    }

    /** Like {@link #mintAccessToken} but returns the full record (also delivered to listeners). */
    public IssuedToken issueAccessToken(TokenRequest request) {
        Resource resource;
        if (request.api != null) {
            resource = Resource.of(request.api);
        } else {
            resource = Resource.resolve(request.tenant, request.resource)
                    .orElseThrow(() -> new IllegalArgumentException("Unknown resource " + request.resource
                            + ": use a registered app's client id / App ID URI or https://redis.azure.com, "
                            + "https://graph.microsoft.com, https://management.azure.com"));
        }
        return issue(request, resource, null);
    }

    IssuedToken issue(TokenRequest request, Resource resource, TokenFactory.ClientAuth clientAuth) {
        IssuedToken token = tokens.accessToken(request, resource, clientAuth);
        log.debug("issued {}", token);
        for (TokenEventListener l : listeners) {
            try {
                l.onIssued(token);
            } catch (RuntimeException e) {
                log.warn("Token listener {} failed on issue of {}", l, token, e);
            }
        }
        scheduleExpiry(token);
        return token;
    }

    TokenFactory tokenFactory() {
        return tokens;
    }

    private void scheduleExpiry(IssuedToken token) {
        ScheduledExecutorService s = scheduler;
        if (s == null || s.isShutdown() || listeners.isEmpty()) {
            return;
        }
        long delayMs = Math.max(
                0, Duration.between(config.clock.instant(), token.expiresAt()).toMillis());
        try {
            s.schedule(
                    () -> {
                        for (TokenEventListener l : listeners) {
                            try {
                                l.onExpired(token);
                            } catch (RuntimeException e) {
                                log.warn("Token listener {} failed on expiry of {}", l, token, e);
                            }
                        }
                    },
                    delayMs,
                    TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** "Now" for tokens: the configured clock plus the injected clock skew. */
    Instant now() {
        return config.clock.instant().plus(faults.clockSkew());
    }

    Clock clock() {
        return config.clock;
    }

    public Duration defaultTokenLifetime() {
        return defaultTokenLifetime;
    }

    /** Changes the default access-token lifetime from now on. */
    public EntraEmulator defaultTokenLifetime(Duration lifetime) {
        this.defaultTokenLifetime = Builder.checkLifetime(lifetime);
        return this;
    }

    Duration deviceCodePollInterval() {
        return config.deviceCodePollInterval;
    }

    Duration deviceCodeLifetime() {
        return config.deviceCodeLifetime;
    }

    Duration refreshTokenLifetime() {
        return config.refreshTokenLifetime;
    }

    // ---- interactive helpers

    /**
     * Does what a person does on the device-code page: approves {@code userCode} as {@code user}.
     *
     * @throws NoSuchElementException if no pending device code has that user code
     */
    public void approveDeviceCode(String userCode, User user) {
        oauth.approveDeviceCode(userCode, user);
    }

    /** Denies a pending device code (the client then gets {@code authorization_declined}). */
    public void denyDeviceCode(String userCode) {
        oauth.denyDeviceCode(userCode);
    }

    /** A scriptable "browser" for the sign-in page (for MSAL's {@code SystemBrowserOptions.openBrowserAction}). */
    public SignInBrowser browser() {
        return new SignInBrowser(this);
    }

    // ---- hooks

    public EntraEmulator addTokenListener(TokenEventListener listener) {
        listeners.add(Objects.requireNonNull(listener));
        return this;
    }

    public EntraEmulator removeTokenListener(TokenEventListener listener) {
        listeners.remove(listener);
        return this;
    }

    public Faults faults() {
        return faults;
    }

    /** Requests received by {@code endpoint} since start (faulted ones included). */
    public long requestCount(Endpoint endpoint) {
        return counters.get(endpoint).get();
    }

    public void resetRequestCounts() {
        counters.values().forEach(c -> c.set(0));
    }

    void countRequest(Endpoint endpoint) {
        counters.get(endpoint).incrementAndGet();
    }

    private void requireStarted() {
        if (httpsPort < 0) {
            throw new IllegalStateException("The emulator is not started: call start() first");
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public String toString() {
        return httpsPort < 0 ? "EntraEmulator[not started]" : "EntraEmulator[" + httpsBaseUrl() + "]";
    }

    /** Emulator settings; every one has a default that suits tests. */
    public static final class Builder {
        private int httpsPort = 0;
        private int httpPort = 0;
        private Duration defaultTokenLifetime = Duration.ofMinutes(60);
        private Clock clock = Clock.systemUTC();
        private Duration deviceCodePollInterval = Duration.ofSeconds(5);
        private Duration deviceCodeLifetime = Duration.ofMinutes(15);
        private Duration refreshTokenLifetime = Duration.ofHours(24);
        private String identityHeader;

        private Builder() {}

        /** HTTPS port on 127.0.0.1 (and ::1 when available); 0 = a free port (default). */
        public Builder httpsPort(int port) {
            this.httpsPort = checkPort(port, "httpsPort");
            return this;
        }

        /** Plain HTTP port on 127.0.0.1; 0 = a free port (default). */
        public Builder httpPort(int port) {
            this.httpPort = checkPort(port, "httpPort");
            return this;
        }

        /** Access-token lifetime when neither the request, the API nor the identity sets one (default 60 min). */
        public Builder defaultTokenLifetime(Duration lifetime) {
            this.defaultTokenLifetime = checkLifetime(lifetime);
            return this;
        }

        /** The clock for iat/nbf/exp (default: system UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The {@code interval} a device-code client must wait between polls (default 5 s, as Entra). */
        public Builder deviceCodePollInterval(Duration interval) {
            if (interval == null || interval.toSeconds() < 1) {
                throw new IllegalArgumentException("deviceCodePollInterval must be at least 1 second");
            }
            this.deviceCodePollInterval = interval;
            return this;
        }

        /** How long a device code stays valid (default 15 min, as Entra). */
        public Builder deviceCodeLifetime(Duration lifetime) {
            this.deviceCodeLifetime = checkLifetime(lifetime);
            return this;
        }

        /** Lifetime of refresh tokens (default 24 h). */
        public Builder refreshTokenLifetime(Duration lifetime) {
            this.refreshTokenLifetime = checkLifetime(lifetime);
            return this;
        }

        /** A fixed {@code IDENTITY_HEADER} value (default: random per emulator). */
        public Builder identityHeader(String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("identityHeader must not be blank");
            }
            this.identityHeader = value;
            return this;
        }

        public EntraEmulator build() {
            return new EntraEmulator(this);
        }

        private static int checkPort(int port, String what) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(what + " must be 0..65535, got " + port);
            }
            return port;
        }

        static Duration checkLifetime(Duration lifetime) {
            if (lifetime == null || lifetime.isNegative() || lifetime.isZero()) {
                throw new IllegalArgumentException("A lifetime must be positive, got " + lifetime);
            }
            return lifetime;
        }
    }
}
