package io.github.redisentra.gateway.config;

import static io.github.redisentra.gateway.config.Setting.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The gateway's configuration: read once from environment variables, validated completely (every problem is
 * reported at once, each naming the setting and how to fix it), immutable afterwards. This constructor is the one
 * place settings are parsed; the result is a small settings record per area ({@link #listener()},
 * {@link #entra()}, {@link #upstream()}, {@link #upstreamIdentity()}, {@link #roles()}, {@link #limits()},
 * {@link #admin()}, {@link #lifecycle()}, {@link #log()}, {@link #ldap()}, {@link #cluster()}), and code takes the record of its area.
 *
 * <p>Secrets ({@link Setting#isSecret()}) are only reachable through their records' accessors; {@link #toString()}
 * and {@link #summary()} redact them.
 */
public final class GatewayConfig {
    /**
     * Reads a file a setting names whose contents another package understands (the roles file is read by the
     * gateway's assembly): its problems are reported with the other settings' problems, in place.
     */
    @FunctionalInterface
    public interface FileCheck {
        /** The problems with {@code file} (each reported prefixed with the setting's name); empty when it is valid. */
        List<String> problems(Path file);
    }

    private final Map<Setting, String> raw;
    private final ListenerSettings listener;
    private final EntraSettings entra;
    private final HttpSettings http;
    private final RolesSettings roles;
    private final UpstreamSettings upstream;
    private final UpstreamIdentitySettings upstreamIdentity;
    private final LimitsSettings limits;
    private final LifecycleSettings lifecycle;
    private final AdminSettings admin;
    private final LogSettings log;
    private final LdapConfig ldap;
    private final AuditSettings audit;
    private final ClusterSettings cluster;

    private GatewayConfig(SettingsReader r, FileCheck rolesFileCheck) {
        this.raw = r.values;
        HostPort listenAddress = r.hostPort(LISTEN_ADDR);
        Path listenTlsCertFile = r.readableFile(LISTEN_TLS_CERT_FILE);
        Path listenTlsKeyFile = r.readableFile(LISTEN_TLS_KEY_FILE);
        Duration listenTlsReloadInterval = r.duration(LISTEN_TLS_RELOAD_INTERVAL, true);
        boolean allowPlaintextListener = r.bool(ALLOW_PLAINTEXT_LISTENER);
        // Entra sign-in is on unless the gateway is LDAP-only (LDAP_SERVERS set, TENANT_ID/EXPECTED_AUDIENCE not).
        boolean entraOn = r.get(LDAP_SERVERS) == null || r.get(TENANT_ID) != null || r.get(EXPECTED_AUDIENCE) != null;
        String tenantId = r.guid(TENANT_ID, entraOn);
        List<String> expectedAudiences = entraOn ? r.audiences() : List.of();
        Set<String> requiredGroupIds = r.guidSet(REQUIRED_GROUP_IDS);
        Set<String> allowedGroupIds = r.guidSet(ALLOWED_GROUP_IDS);
        Set<String> allowedAppRoles = r.stringSet(ALLOWED_APP_ROLES);
        boolean allowAnyTenantUser = r.bool(ALLOW_ANY_TENANT_USER);
        boolean allowAnyTenantApp = r.bool(ALLOW_ANY_TENANT_APP);
        Duration clockSkew = r.duration(CLOCK_SKEW, true);
        int tokenCacheSize = r.positiveInt(TOKEN_CACHE_SIZE, 0, 10_000_000);
        var authorityHost = r.httpsUrl(AZURE_AUTHORITY_HOST);
        Duration metadataRefreshInterval = r.duration(METADATA_REFRESH_INTERVAL, false);
        Duration jwksRefreshInterval = r.duration(JWKS_REFRESH_INTERVAL, false);
        Duration jwksUnknownKidInterval = r.duration(JWKS_UNKNOWN_KID_INTERVAL, true);
        var graphBaseUrl = r.httpsUrl(GRAPH_BASE_URL);
        Duration groupCacheTtl = r.duration(GROUP_CACHE_TTL, true);
        Duration httpTimeout = r.duration(HTTP_TIMEOUT, false);
        Path httpsCaFile = r.readableFile(HTTPS_CA_FILE);
        this.http = new HttpSettings(httpTimeout, Optional.ofNullable(httpsCaFile));
        Path rolesFile = r.rolesFile(rolesFileCheck);
        this.roles = new RolesSettings(Optional.ofNullable(rolesFile), r.duration(ROLES_RELOAD_INTERVAL, true));
        HostPort redisAddress = r.hostPort(REDIS_HOSTPORT);
        String hostname = r.get(REDIS_HOSTNAME);
        String redisHostname = hostname != null ? hostname : (redisAddress == null ? null : redisAddress.host());
        boolean redisTls = r.bool(REDIS_TLS);
        Path redisCaFile = r.readableFile(REDIS_CA_FILE);
        Duration redisConnectTimeout = r.duration(REDIS_CONNECT_TIMEOUT, false);
        String redisObjectId = r.get(REDIS_AAD_OBJECT_ID);
        String redisTokenScope = r.getOrDefault(REDIS_TOKEN_SCOPE);
        Duration tokenCommandTimeout = r.duration(LOCAL_REDIS_TOKEN_COMMAND_TIMEOUT, false);
        Path azureClientCertificatePath = r.readableFile(AZURE_CLIENT_CERTIFICATE_PATH);
        Path azureFederatedTokenFile = r.readableFile(AZURE_FEDERATED_TOKEN_FILE);
        UpstreamCredentialSource source = r.credentialSource();
        AwsIamUpstream awsIam = source == UpstreamCredentialSource.AWS_IAM ? r.awsIam(redisTls) : null;
        int upstreamConnectRate = r.positiveInt(UPSTREAM_CONNECT_RATE, 0, 1_000_000);
        int upstreamConnectBurst = r.positiveInt(UPSTREAM_CONNECT_BURST, 1, 1_000_000);
        int upstreamPoolSize = r.positiveInt(UPSTREAM_POOL_SIZE, 0, 10_000);
        Duration upstreamPoolMaxIdle = r.duration(UPSTREAM_POOL_MAX_IDLE, true);
        this.upstream = new UpstreamSettings(
                redisAddress,
                redisHostname,
                redisTls,
                Optional.ofNullable(redisCaFile),
                redisConnectTimeout,
                upstreamConnectRate,
                upstreamConnectBurst,
                upstreamPoolSize,
                upstreamPoolMaxIdle);
        this.upstreamIdentity = new UpstreamIdentitySettings(
                source,
                Optional.ofNullable(awsIam),
                Optional.ofNullable(redisObjectId),
                redisTokenScope,
                Optional.ofNullable(raw.get(UAMI_CLIENT_ID)),
                Optional.ofNullable(raw.get(LOCAL_REDIS_TOKEN)),
                Optional.ofNullable(raw.get(LOCAL_REDIS_TOKEN_COMMAND)),
                tokenCommandTimeout,
                Optional.ofNullable(raw.get(AZURE_CLIENT_ID)),
                Optional.ofNullable(raw.get(AZURE_TENANT_ID)),
                Optional.ofNullable(raw.get(AZURE_CLIENT_SECRET)),
                Optional.ofNullable(azureClientCertificatePath),
                Optional.ofNullable(raw.get(AZURE_CLIENT_CERTIFICATE_PASSWORD)),
                Optional.ofNullable(azureFederatedTokenFile),
                raw.getOrDefault(REDIS_USERNAME, "default"),
                Optional.ofNullable(raw.get(REDIS_PASSWORD)),
                authorityHost,
                http);
        Duration authTimeout = r.duration(AUTH_TIMEOUT, false);
        int preAuthMaxBulkBytes = r.positiveInt(PREAUTH_MAX_BULK_BYTES, 1024, 16 * 1024 * 1024);
        int preAuthMaxArgs = r.positiveInt(PREAUTH_MAX_ARGS, 7, 1024);
        int preAuthMaxBytes = r.positiveInt(PREAUTH_MAX_BYTES, 2048, 256 * 1024 * 1024);
        int maxClients = r.positiveInt(MAX_CLIENTS, 1, 1_000_000);
        int maxUnauthenticatedPerAddress = r.positiveInt(MAX_UNAUTHENTICATED_PER_ADDRESS, 0, 1_000_000);
        int logDeniedPerSecond = r.positiveInt(LOG_DENIED_PER_SECOND, 0, 1_000_000);
        int authFailuresPerAddress = r.positiveInt(AUTH_FAILURES_PER_ADDRESS, 0, 1_000_000);
        int authFailuresPerUser = r.positiveInt(AUTH_FAILURES_PER_USER, 0, 1_000_000);
        Duration authFailureWindow = r.duration(AUTH_FAILURE_WINDOW, false);
        Duration authFailureDelay = r.duration(AUTH_FAILURE_DELAY, true);
        if (authFailureDelay != null && authFailureDelay.compareTo(Duration.ofMinutes(1)) > 0) {
            r.problem("AUTH_FAILURE_DELAY must be at most 1m (clients time out), got " + authFailureDelay);
        }
        if (preAuthMaxBytes < preAuthMaxBulkBytes + 1024) {
            r.problem("PREAUTH_MAX_BYTES (" + preAuthMaxBytes + ") must leave room for one PREAUTH_MAX_BULK_BYTES ("
                    + preAuthMaxBulkBytes + ") argument plus 1024 bytes for the rest of the command: set it to at"
                    + " least " + (preAuthMaxBulkBytes + 1024) + ", or lower PREAUTH_MAX_BULK_BYTES");
        }
        this.limits = new LimitsSettings(
                authTimeout,
                preAuthMaxBulkBytes,
                preAuthMaxArgs,
                preAuthMaxBytes,
                maxClients,
                maxUnauthenticatedPerAddress,
                logDeniedPerSecond,
                authFailuresPerAddress,
                authFailuresPerUser,
                authFailureWindow,
                authFailureDelay);
        this.lifecycle = new LifecycleSettings(r.duration(DRAIN_TIMEOUT, true), r.duration(SHUTDOWN_DELAY, true));
        String adminAddr = r.getOrDefault(ADMIN_ADDR);
        HostPort adminAddress = adminAddr == null || adminAddr.equalsIgnoreCase("off") ? null : r.hostPort(ADMIN_ADDR);
        LogSettings.Format logFormat = r.logFormat();
        this.log = new LogSettings(logFormat, r.logLevel());
        this.admin = new AdminSettings(
                Optional.ofNullable(adminAddress),
                Optional.ofNullable(raw.get(ADMIN_API_TOKEN)),
                Optional.ofNullable(r.writableFile(USER_LOCKS_FILE)));
        this.ldap = LdapConfig.parse(r.values, r::problem).orElse(null);
        this.audit = AuditSettings.parse(r.values, r::problem);
        this.cluster = ClusterSettings.parse(r.values, listenAddress, r::problem);
        this.listener = new ListenerSettings(
                listenAddress,
                Optional.ofNullable(listenTlsCertFile),
                Optional.ofNullable(listenTlsKeyFile),
                listenTlsReloadInterval,
                allowPlaintextListener);
        this.entra = new EntraSettings(
                entraOn,
                tenantId,
                expectedAudiences,
                requiredGroupIds,
                allowedGroupIds,
                allowedAppRoles,
                allowAnyTenantUser,
                allowAnyTenantApp,
                clockSkew,
                tokenCacheSize,
                authorityHost,
                metadataRefreshInterval,
                jwksRefreshInterval,
                jwksUnknownKidInterval,
                graphBaseUrl,
                r.getOrDefault(GRAPH_TOKEN_SCOPE),
                groupCacheTtl,
                http);

        // Cross-setting rules.
        if ((r.get(LISTEN_TLS_CERT_FILE) == null) != (r.get(LISTEN_TLS_KEY_FILE) == null)) {
            r.problem("LISTEN_TLS_CERT_FILE and LISTEN_TLS_KEY_FILE must be set together (PEM certificate chain and"
                    + " its private key)");
        }
        boolean tls = r.get(LISTEN_TLS_CERT_FILE) != null && r.get(LISTEN_TLS_KEY_FILE) != null;
        if (listenAddress != null && !tls && !listenAddress.isLoopback() && !allowPlaintextListener) {
            r.problem("LISTEN_ADDR " + listenAddress + " is not a loopback address and no listener TLS is configured:"
                    + " clients would send their tokens in clear. Set LISTEN_TLS_CERT_FILE and LISTEN_TLS_KEY_FILE,"
                    + " or bind a loopback address (LISTEN_ADDR=127.0.0.1:6388), or set ALLOW_PLAINTEXT_LISTENER=true"
                    + " if the network is otherwise protected");
        }
        boolean allowPlaintextUpstream = r.bool(ALLOW_PLAINTEXT_UPSTREAM);
        if (redisAddress != null
                && !redisTls
                && !redisAddress.isLoopback()
                && !allowPlaintextUpstream
                && source != UpstreamCredentialSource.AWS_IAM) { // aws-iam refuses REDIS_TLS=false anywhere
            r.problem("REDIS_TLS=false and REDIS_HOSTPORT " + redisAddress + " is not a loopback address: the"
                    + " gateway's credential and all data would cross the network in clear. Set REDIS_TLS=true (Azure"
                    + " and AWS caches require TLS), or set ALLOW_PLAINTEXT_UPSTREAM=true if the network is otherwise"
                    + " protected");
        }
        if (entraOn
                && requiredGroupIds.isEmpty()
                && allowedGroupIds.isEmpty()
                && allowedAppRoles.isEmpty()
                && r.get(ROLES_FILE) == null
                && !allowAnyTenantUser) {
            r.problem("no authorization rule: set ROLES_FILE, REQUIRED_GROUP_IDS, ALLOWED_GROUP_IDS or"
                    + " ALLOWED_APP_ROLES, or set ALLOW_ANY_TENANT_USER=true to admit every user of the tenant");
        }
        if (r.get(ROLES_FILE) != null && (r.get(ALLOWED_GROUP_IDS) != null || r.get(ALLOWED_APP_ROLES) != null)) {
            r.problem("ROLES_FILE decides who is admitted (a user must match a role): unset ALLOWED_GROUP_IDS and"
                    + " ALLOWED_APP_ROLES and name those groups and app roles in the roles' match instead");
        }
        if (allowAnyTenantApp && !allowAnyTenantUser) {
            r.problem("ALLOW_ANY_TENANT_APP=true widens ALLOW_ANY_TENANT_USER=true to applications: set both, or admit"
                    + " applications by app role (ALLOWED_APP_ROLES, a roles file's appRoles) or group instead");
        }
        if (r.get(ROLES_FILE) != null && allowAnyTenantUser) {
            r.problem("ROLES_FILE decides who is admitted (a user must match a role): unset ALLOW_ANY_TENANT_USER (a"
                    + " user matching no role is refused)");
        }
        if (redisObjectId != null && !SettingsReader.GUID.matcher(redisObjectId).matches()) {
            r.problem("REDIS_AAD_OBJECT_ID must be the object id (a GUID) of the gateway's identity, got \""
                    + redisObjectId + "\"");
        }
        r.guid(UAMI_CLIENT_ID, false);
        r.guid(AZURE_CLIENT_ID, false);
        r.guid(AZURE_TENANT_ID, false);
        r.throwIfProblems();
    }

    /** Reads the configuration from {@code values} (setting name → value; empty values count as unset). */
    public static GatewayConfig from(Map<String, String> values) throws ConfigException {
        return from(values, file -> List.of());
    }

    /**
     * Reads the configuration from {@code values}, with {@code rolesFileCheck} reading the roles file
     * ({@code ROLES_FILE}, when set and readable): its problems are reported with the rest.
     */
    public static GatewayConfig from(Map<String, String> values, FileCheck rolesFileCheck) throws ConfigException {
        try {
            return new GatewayConfig(new SettingsReader(values), rolesFileCheck);
        } catch (SettingsReader.Unchecked e) {
            throw e.cause;
        }
    }

    /** The settings that choose and name the upstream identity; a role's {@code upstream:} block replaces them all. */
    private static final List<Setting> IDENTITY_SETTINGS = List.of(
            Setting.UAMI_CLIENT_ID,
            Setting.AZURE_CLIENT_ID,
            Setting.AZURE_TENANT_ID,
            Setting.AZURE_CLIENT_SECRET,
            Setting.AZURE_CLIENT_CERTIFICATE_PATH,
            Setting.AZURE_CLIENT_CERTIFICATE_PASSWORD,
            Setting.AZURE_FEDERATED_TOKEN_FILE,
            Setting.LOCAL_REDIS_TOKEN,
            Setting.LOCAL_REDIS_TOKEN_COMMAND,
            Setting.REDIS_PASSWORD,
            Setting.REDIS_USERNAME,
            Setting.REDIS_AAD_OBJECT_ID,
            Setting.AWS_IAM_USER_ID);

    /**
     * This configuration with another upstream identity (a role's {@code upstream:} block): every identity setting
     * of this configuration is dropped and {@code identity} (setting name → value) takes their place; everything
     * else (authority host, CA file, scope, AWS cache) stays. Validated like any configuration.
     */
    public GatewayConfig withUpstreamIdentity(Map<String, String> identity) throws ConfigException {
        Map<String, String> m = new HashMap<>();
        raw.forEach((k, v) -> m.put(k.key(), v));
        for (Setting s : IDENTITY_SETTINGS) {
            m.remove(s.key());
        }
        m.putAll(identity);
        return from(m);
    }

    /** Reads the process environment, overridden by system properties named like the settings. */
    public static GatewayConfig fromEnvironment() throws ConfigException {
        return from(environment());
    }

    /** The process environment overlaid with system properties of the same names (for {@code -DNAME=value}). */
    public static Map<String, String> environment() {
        Map<String, String> m = new HashMap<>(System.getenv());
        for (Setting s : Setting.values()) {
            String p = System.getProperty(s.key());
            if (p != null) {
                m.put(s.key(), p);
            }
        }
        return m;
    }

    /** The client-facing RESP listener. */
    public ListenerSettings listener() {
        return listener;
    }

    /** Entra (JWT) sign-in of clients. */
    public EntraSettings entra() {
        return entra;
    }

    /** The HTTPS client's timeout and trust. */
    public HttpSettings http() {
        return http;
    }

    /** The roles file and how often it is checked for changes. */
    public RolesSettings roles() {
        return roles;
    }

    /** The upstream cache as an endpoint. */
    public UpstreamSettings upstream() {
        return upstream;
    }

    /** Who the gateway is towards the upstream cache. */
    public UpstreamIdentitySettings upstreamIdentity() {
        return upstreamIdentity;
    }

    /** Pre-auth limits, connection caps, the sign-in throttle. */
    public LimitsSettings limits() {
        return limits;
    }

    /** Shutdown delay and drain. */
    public LifecycleSettings lifecycle() {
        return lifecycle;
    }

    /** The admin HTTP listener and API. */
    public AdminSettings admin() {
        return admin;
    }

    /** Log format and level. */
    public LogSettings log() {
        return log;
    }

    /** LDAP / Active Directory sign-in, when {@code LDAP_SERVERS} is set. */
    public Optional<LdapConfig> ldap() {
        return Optional.ofNullable(ldap);
    }

    /** The command audit and the upstream connection names. */
    public AuditSettings audit() {
        return audit;
    }

    /** OSS-clustered caches: whether and how the gateway serves one endpoint per cache node. */
    public ClusterSettings cluster() {
        return cluster;
    }

    /** Parses a duration as settings write it ({@code 30s}, {@code 5m}, {@code PT1M}); {@code null} when invalid. */
    public static Duration parseDuration(String v) {
        return SettingsReader.parseDuration(v);
    }

    /** The effective value of a setting as text (default applied), with secrets replaced by {@code <redacted>}. */
    public String display(Setting s) {
        String v = raw.get(s);
        if (v == null) {
            return s.defaultValue().orElse("(unset)");
        }
        return s.isSecret() ? "<redacted>" : v;
    }

    /** One line per setting that is set or has a default; secrets redacted. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append("upstream credential: ")
                .append(upstreamIdentity.source().description())
                .append('\n');
        for (Setting s : Setting.values()) {
            if (raw.containsKey(s) || s.defaultValue().isPresent()) {
                sb.append("  ").append(s.key()).append('=').append(display(s)).append('\n');
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("GatewayConfig[");
        boolean first = true;
        for (Map.Entry<Setting, String> e : raw.entrySet()) {
            sb.append(first ? "" : ", ").append(e.getKey().key()).append('=').append(display(e.getKey()));
            first = false;
        }
        return sb.append(']').toString();
    }
}
