package io.github.redisentra.gateway.auth.ldap;

import com.unboundid.ldap.sdk.BindRequest;
import com.unboundid.ldap.sdk.BindResult;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.ExtendedResult;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.PostConnectProcessor;
import com.unboundid.ldap.sdk.RDN;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.SingleServerSet;
import com.unboundid.ldap.sdk.StartTLSPostConnectProcessor;
import com.unboundid.ldap.sdk.experimental.DraftBeheraLDAPPasswordPolicy10RequestControl;
import com.unboundid.ldap.sdk.extensions.WhoAmIExtendedRequest;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import io.github.redisentra.gateway.config.LdapConfig;
import io.github.redisentra.gateway.tls.KeyMaterial;
import io.github.redisentra.gateway.tls.TlsSockets;
import io.github.redisentra.gateway.tls.TrustMaterial;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory servers of one {@link LdapConfig}: a connection pool per server, tried in the configured order, with
 * WhoAmI health checks that take a failing server out of rotation and bring it back when it answers again.
 *
 * <p>All methods block (LDAP is a blocking protocol here); callers run them on the authenticator's own threads, never
 * on an event loop. User input only ever enters the directory as an escaped filter value (RFC 4515, UnboundID
 * {@link Filter#encodeValue(String)}) or as the value of one RDN built by UnboundID ({@link RDN}, RFC 4514).
 */
final class LdapDirectory implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LdapDirectory.class);

    /** A user the directory authenticated: the DN it bound and the DNs of its groups (as the directory wrote them). */
    record Identity(String dn, List<String> groupDns) {
        Identity {
            groupDns = List.copyOf(groupDns);
        }
    }

    /** A definitive refusal (no failover): the reason code and an audit detail without the credential. */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final String reason;

        Refusal(String reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    /** This server cannot answer now (down, timed out, TLS failure): try the next one. */
    private static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String detail) {
            super(detail, null, false, false);
        }
    }

    /** Health facts of one server, for the admin status and metrics. */
    record ServerStatus(
            String url, boolean up, Instant lastCheck, double lastLatencySeconds, String lastError, long failures) {}

    private final LdapConfig config;
    private final SSLSocketFactory tls;
    private final LdapMetrics metrics;
    private final Clock clock;
    private final List<Server> servers = new ArrayList<>();
    private final ScheduledFuture<?> healthTask;

    LdapDirectory(LdapConfig config, LdapMetrics metrics, Clock clock, ScheduledExecutorService scheduler)
            throws GeneralSecurityException, IOException {
        this.config = config;
        this.tls = socketFactory(config);
        this.metrics = metrics;
        this.clock = clock;
        for (LdapConfig.Server s : config.servers()) {
            servers.add(new Server(s));
        }
        long every = config.healthCheckInterval().toMillis();
        this.healthTask = scheduler.scheduleWithFixedDelay(this::checkAll, 0, every, TimeUnit.MILLISECONDS);
    }

    /** LDAPS and StartTLS sockets: the JVM's anchors plus LDAP_CA_FILE, the optional client certificate. */
    private static SSLSocketFactory socketFactory(LdapConfig c) throws GeneralSecurityException, IOException {
        if (!c.tls()) {
            return null;
        }
        KeyManager[] km = c.clientCertFile() != null && c.clientKeyFile() != null
                ? KeyMaterial.fromPem(
                        c.clientCertFile(), "LDAP_CLIENT_CERT_FILE", c.clientKeyFile(), "LDAP_CLIENT_KEY_FILE")
                : null;
        SSLContext ctx = TrustMaterial.load(Optional.ofNullable(c.caFile())).sslContext(km);
        return TlsSockets.factory(ctx, c.verifyHostname() ? "LDAPS" : null);
    }

    LdapConfig config() {
        return config;
    }

    /**
     * Authenticates {@code user} with {@code password} on the first server that can answer.
     *
     * @throws Refusal with reason {@code unknown_user}, {@code ambiguous_user}, {@code invalid_credentials},
     *     {@code account_disabled}, {@code account_locked}, {@code account_expired}, {@code password_expired},
     *     {@code password_must_change}, {@code directory_error} or {@code directory_unavailable}
     */
    Identity authenticate(String user, String password) throws Refusal {
        List<Server> order = new ArrayList<>();
        for (Server s : servers) {
            if (s.up) {
                order.add(s);
            }
        }
        if (order.isEmpty()) {
            order.addAll(servers); // every server failed its last check: try them all rather than refuse blindly
        }
        StringBuilder why = new StringBuilder();
        for (Server s : order) {
            try {
                return s.authenticate(user, password);
            } catch (Unavailable e) {
                s.markDown(e.getMessage());
                why.append(why.length() == 0 ? "" : "; ")
                        .append(s.url)
                        .append(": ")
                        .append(e.getMessage());
            }
        }
        throw new Refusal("directory_unavailable", "no directory server could answer (" + why + ")");
    }

    /** Runs a WhoAmI health check on every server now (also scheduled every LDAP_HEALTH_CHECK_INTERVAL). */
    void checkAll() {
        for (Server s : servers) {
            try {
                s.check();
            } catch (RuntimeException e) {
                s.markDown(e.toString());
            }
        }
    }

    List<ServerStatus> status() {
        List<ServerStatus> out = new ArrayList<>();
        for (Server s : servers) {
            out.add(new ServerStatus(s.url, s.up, s.lastCheck, s.lastLatencySeconds, s.lastError, s.failures));
        }
        return out;
    }

    /** The DN to bind in bind mode: the template with the user name as the (escaped) value of its {user} RDN. */
    static String bindName(String template, String user) throws Refusal {
        if (!template.contains("=")) {
            // UPN form {user}@domain: no DN to escape, so refuse anything that could name another realm or principal.
            for (int i = 0; i < user.length(); i++) {
                if ("@\\/,=+\"<>;*()[]:|?#".indexOf(user.charAt(i)) >= 0 || Character.isWhitespace(user.charAt(i))) {
                    throw new Refusal("invalid_username", "user name has a character not allowed in a UPN");
                }
            }
            return template.replace(LdapConfig.USER, user);
        }
        try {
            RDN[] rdns = new DN(template).getRDNs();
            for (int i = 0; i < rdns.length; i++) {
                String[] names = rdns[i].getAttributeNames();
                String[] values = rdns[i].getAttributeValues();
                for (int j = 0; j < values.length; j++) {
                    if (values[j].equals(LdapConfig.USER)) {
                        values[j] = user;
                        rdns[i] = new RDN(names, values);
                    }
                }
            }
            return new DN(rdns).toString();
        } catch (LDAPException e) {
            throw new Refusal("internal_error", "LDAP_BIND_DN_TEMPLATE is not a DN");
        }
    }

    /** {@code template} with {user} and {dn} replaced by their RFC 4515-escaped values. */
    static Filter filter(String template, String user, String dn) throws LDAPException {
        String f = template.replace(LdapConfig.USER, Filter.encodeValue(user));
        if (dn != null) {
            f = f.replace(LdapConfig.USER_DN, Filter.encodeValue(dn));
        }
        return Filter.create(f);
    }

    /** Whether an error means "this server cannot answer now" (fail over) rather than an answer about the user. */
    private static boolean serverProblem(ResultCode rc) {
        return !rc.isConnectionUsable()
                || rc == ResultCode.TIMEOUT
                || rc == ResultCode.UNAVAILABLE
                || rc == ResultCode.BUSY
                || rc == ResultCode.CONNECT_ERROR
                || rc == ResultCode.SERVER_DOWN
                || rc == ResultCode.OTHER;
    }

    private final class Server {
        final LdapConfig.Server server;
        final String url;
        volatile boolean up = true; // optimistic until the first check
        volatile Instant lastCheck;
        volatile double lastLatencySeconds;
        volatile String lastError;
        volatile long failures;
        private LDAPConnectionPool pool;

        Server(LdapConfig.Server server) {
            this.server = server;
            this.url = server.url();
        }

        synchronized LDAPConnectionPool pool() throws LDAPException {
            if (pool == null || pool.isClosed()) {
                LDAPConnectionOptions o = new LDAPConnectionOptions();
                o.setConnectTimeoutMillis((int)
                        Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
                o.setResponseTimeoutMillis(config.operationTimeout().toMillis());
                o.setAbandonOnTimeout(true);
                if (config.verifyHostname()) {
                    o.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true));
                }
                SingleServerSet set = server.ldaps()
                        ? new SingleServerSet(server.host(), server.port(), tls, o)
                        : new SingleServerSet(server.host(), server.port(), o);
                PostConnectProcessor startTls = config.startTls() ? new StartTLSPostConnectProcessor(tls) : null;
                pool = new LDAPConnectionPool(set, serviceBind(), 1, config.poolSize(), startTls, true);
                pool.setConnectionPoolName("ldap " + url);
                pool.setCreateIfNecessary(true);
                pool.setMaxWaitTimeMillis(config.operationTimeout().toMillis());
            }
            return pool;
        }

        synchronized void dropPool() {
            if (pool != null) {
                pool.close();
                pool = null;
            }
        }

        void markDown(String why) {
            if (up) {
                log.warn("LDAP server {} is down: {}", url, why);
            }
            up = false;
            lastError = why;
            failures++;
            dropPool(); // stale connections would fail one by one; reconnect fresh on the next check
            metrics.serverState(url, false);
        }

        void markUp(double latency) {
            if (!up) {
                log.info("LDAP server {} is back", url);
            }
            up = true;
            lastError = null;
            lastLatencySeconds = latency;
            metrics.serverState(url, true);
        }

        void check() {
            long t0 = System.nanoTime();
            lastCheck = clock.instant();
            LDAPConnection c = null;
            LDAPConnectionPool p = null;
            try {
                p = pool();
                c = p.getConnection();
                ExtendedResult r = c.processExtendedOperation(new WhoAmIExtendedRequest());
                double seconds = (System.nanoTime() - t0) / 1e9;
                metrics.latency("whoami", seconds);
                if (r.getResultCode() != ResultCode.SUCCESS) {
                    p.releaseConnection(c);
                    c = null;
                    markDown("WhoAmI answered " + r.getResultCode().getName());
                    return;
                }
                p.releaseConnection(c);
                c = null;
                markUp(seconds);
            } catch (LDAPException e) {
                if (c != null) {
                    p.releaseDefunctConnection(c);
                }
                markDown(describe(e));
            }
        }

        Identity authenticate(String user, String password) throws Refusal, Unavailable {
            LDAPConnectionPool p;
            LDAPConnection c;
            try {
                p = pool();
                c = p.getConnection();
            } catch (LDAPException e) {
                throw new Unavailable(describe(e));
            }
            boolean rebind = false;
            boolean defunct = false;
            try {
                SearchResultEntry entry = null;
                String dn;
                if (config.mode() == LdapConfig.Mode.SEARCH_BIND) {
                    entry = findUser(c, user);
                    dn = entry.getDN();
                } else {
                    dn = bindName(config.bindDnTemplate(), user);
                }
                rebind = true;
                long t0 = System.nanoTime();
                try {
                    BindResult ok = c.bind(
                            new SimpleBindRequest(dn, password, new DraftBeheraLDAPPasswordPolicy10RequestControl()));
                    Refusal policy = BindRefusals.passwordPolicy(ok);
                    if (policy != null) {
                        throw policy; // bound, but the directory says the password must be changed first
                    }
                } catch (LDAPException e) {
                    if (serverProblem(e.getResultCode())) {
                        throw e;
                    }
                    throw BindRefusals.of(e);
                } finally {
                    metrics.latency("bind", (System.nanoTime() - t0) / 1e9);
                }
                List<String> groups = groups(c, user, dn, entry);
                return new Identity(dn, groups);
            } catch (LDAPException e) {
                defunct = !e.getResultCode().isConnectionUsable();
                if (serverProblem(e.getResultCode())) {
                    throw new Unavailable(describe(e));
                }
                throw new Refusal(
                        "directory_error",
                        "directory error: " + e.getResultCode().getName());
            } finally {
                if (rebind && !defunct) {
                    try {
                        BindRequest back = serviceBind();
                        c.bind(back != null ? back : new SimpleBindRequest());
                    } catch (LDAPException e) {
                        defunct = true;
                    }
                }
                if (defunct) {
                    p.releaseDefunctConnection(c);
                } else {
                    p.releaseConnection(c);
                }
            }
        }

        private SearchResultEntry findUser(LDAPConnection c, String user) throws LDAPException, Refusal {
            SearchRequest req = new SearchRequest(
                    config.searchBase(),
                    config.searchScope(),
                    filter(config.searchFilter(), user, null),
                    config.groupSearch() ? "1.1" : config.groupAttribute());
            req.setSizeLimit(2);
            req.setResponseTimeoutMillis(config.operationTimeout().toMillis());
            SearchResult r;
            long t0 = System.nanoTime();
            try {
                r = c.search(req);
            } catch (LDAPSearchException e) {
                if (e.getResultCode() == ResultCode.SIZE_LIMIT_EXCEEDED) {
                    throw new Refusal("ambiguous_user", "more than one directory entry matches the user name");
                }
                if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
                    throw new Refusal("unknown_user", "LDAP_SEARCH_BASE does not exist in the directory");
                }
                throw e;
            } finally {
                metrics.latency("search", (System.nanoTime() - t0) / 1e9);
            }
            if (r.getEntryCount() == 0) {
                throw new Refusal("unknown_user", "no directory entry matches the user name");
            }
            if (r.getEntryCount() > 1) {
                throw new Refusal("ambiguous_user", "more than one directory entry matches the user name");
            }
            return r.getSearchEntries().get(0);
        }

        private List<String> groups(LDAPConnection c, String user, String dn, SearchResultEntry entry)
                throws LDAPException {
            Set<String> out = new LinkedHashSet<>();
            long t0 = System.nanoTime();
            try {
                if (config.groupSearch()) {
                    BindRequest svc = serviceBind();
                    if (svc != null) {
                        c.bind(svc); // group search as the service account, which may read the groups
                    }
                    SearchRequest req = new SearchRequest(
                            config.groupSearchBase(),
                            SearchScope.SUB,
                            filter(config.groupSearchFilter(), user, dn),
                            "1.1");
                    req.setResponseTimeoutMillis(config.operationTimeout().toMillis());
                    try {
                        for (SearchResultEntry g : c.search(req).getSearchEntries()) {
                            out.add(g.getDN());
                        }
                    } catch (LDAPSearchException e) {
                        if (e.getResultCode() != ResultCode.NO_SUCH_OBJECT) {
                            throw e;
                        }
                    }
                } else {
                    SearchResultEntry e = entry != null ? entry : c.getEntry(dn, config.groupAttribute());
                    if (e != null) {
                        String[] values = e.getAttributeValues(config.groupAttribute());
                        if (values != null) {
                            out.addAll(List.of(values));
                        }
                    }
                }
            } finally {
                metrics.latency("groups", (System.nanoTime() - t0) / 1e9);
            }
            return List.copyOf(out);
        }
    }

    private BindRequest serviceBind() {
        return config.serviceDn() == null ? null : new SimpleBindRequest(config.serviceDn(), config.servicePassword());
    }

    private static String describe(LDAPException e) {
        String m = e.getResultCode().getName();
        if (e.getDiagnosticMessage() != null) {
            m += ": " + e.getDiagnosticMessage();
        } else if (e.getMessage() != null) {
            m += ": " + e.getMessage();
        }
        return m.length() > 200 ? m.substring(0, 200) + "…" : m;
    }

    @Override
    public void close() {
        healthTask.cancel(false);
        for (Server s : servers) {
            s.dropPool();
        }
    }
}
