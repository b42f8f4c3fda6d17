package io.github.redisentra.gateway.config;

import static io.github.redisentra.gateway.config.Setting.*;

import io.github.redisentra.aws.AwsIamTokenSource;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.RolePolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's configuration: read once from environment variables, validated completely (every problem is
 * reported at once, each naming the setting and how to fix it), immutable afterwards.
 *
 * <p>Secrets ({@link Setting#isSecret()}) are only reachable through their accessors; {@link #toString()} and
 * {@link #summary()} redact them.
 */
public final class GatewayConfig {
    private static final Pattern GUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /** Log output format. */
    public enum LogFormat {
        JSON,
        TEXT
    }

    private final Map<Setting, String> raw;

    private final HostPort listenAddress;
    private final Path listenTlsCertFile;
    private final Path listenTlsKeyFile;
    private final Duration listenTlsReloadInterval;
    private final boolean allowPlaintextListener;
    private final String tenantId;
    private final List<String> expectedAudiences;
    private final Set<String> requiredGroupIds;
    private final Set<String> allowedGroupIds;
    private final Set<String> allowedAppRoles;
    private final boolean allowAnyTenantUser;
    private final boolean allowAnyTenantApp;
    private final Duration clockSkew;
    private final URI authorityHost;
    private final Duration metadataRefreshInterval;
    private final Duration jwksRefreshInterval;
    private final Duration jwksUnknownKidInterval;
    private final URI graphBaseUrl;
    private final Duration groupCacheTtl;
    private final Duration httpTimeout;
    private final Path httpsCaFile;
    private final RolePolicy rolePolicy;
    private final Duration rolesReloadInterval;
    private final HostPort redisAddress;
    private final String redisHostname;
    private final boolean redisTls;
    private final Path redisCaFile;
    private final Duration redisConnectTimeout;
    private final String redisObjectId;
    private final String redisTokenScope;
    private final UpstreamCredential upstreamCredential;
    private final AwsIamUpstream awsIam;
    private final Duration tokenCommandTimeout;
    private final Path azureClientCertificatePath;
    private final Path azureFederatedTokenFile;
    private final Duration authTimeout;
    private final int preAuthMaxBulkBytes;
    private final int preAuthMaxArgs;
    private final int preAuthMaxBytes;
    private final int maxClients;
    private final int maxUnauthenticatedPerAddress;
    private final int authFailuresPerAddress;
    private final int authFailuresPerUser;
    private final Duration authFailureWindow;
    private final Duration authFailureDelay;
    private final int logDeniedPerSecond;
    private final Duration drainTimeout;
    private final Duration shutdownDelay;
    private final HostPort adminAddress;
    private final LogFormat logFormat;
    private final String logLevel;
    private final Path userLocksFile;
    private final LdapConfig ldap;
    private final boolean entra;
    private final AuditSettings audit;

    private GatewayConfig(Reader r) {
        this.raw = r.values;
        this.listenAddress = r.hostPort(LISTEN_ADDR);
        this.listenTlsCertFile = r.readableFile(LISTEN_TLS_CERT_FILE);
        this.listenTlsKeyFile = r.readableFile(LISTEN_TLS_KEY_FILE);
        this.listenTlsReloadInterval = r.duration(LISTEN_TLS_RELOAD_INTERVAL, true);
        this.allowPlaintextListener = r.bool(ALLOW_PLAINTEXT_LISTENER);
        // Entra sign-in is on unless the gateway is LDAP-only (LDAP_SERVERS set, TENANT_ID/EXPECTED_AUDIENCE not).
        this.entra = r.get(LDAP_SERVERS) == null || r.get(TENANT_ID) != null || r.get(EXPECTED_AUDIENCE) != null;
        this.tenantId = r.guid(TENANT_ID, entra);
        this.expectedAudiences = entra ? r.audiences() : List.of();
        this.requiredGroupIds = r.guidSet(REQUIRED_GROUP_IDS);
        this.allowedGroupIds = r.guidSet(ALLOWED_GROUP_IDS);
        this.allowedAppRoles = r.stringSet(ALLOWED_APP_ROLES);
        this.allowAnyTenantUser = r.bool(ALLOW_ANY_TENANT_USER);
        this.allowAnyTenantApp = r.bool(ALLOW_ANY_TENANT_APP);
        this.clockSkew = r.duration(CLOCK_SKEW, true);
        this.authorityHost = r.httpsUrl(AZURE_AUTHORITY_HOST);
        this.metadataRefreshInterval = r.duration(METADATA_REFRESH_INTERVAL, false);
        this.jwksRefreshInterval = r.duration(JWKS_REFRESH_INTERVAL, false);
        this.jwksUnknownKidInterval = r.duration(JWKS_UNKNOWN_KID_INTERVAL, true);
        this.graphBaseUrl = r.httpsUrl(GRAPH_BASE_URL);
        this.groupCacheTtl = r.duration(GROUP_CACHE_TTL, true);
        this.httpTimeout = r.duration(HTTP_TIMEOUT, false);
        this.httpsCaFile = r.readableFile(HTTPS_CA_FILE);
        this.rolePolicy = r.rolePolicy();
        this.rolesReloadInterval = r.duration(ROLES_RELOAD_INTERVAL, true);
        this.redisAddress = r.hostPort(REDIS_HOSTPORT);
        String hostname = r.get(REDIS_HOSTNAME);
        this.redisHostname = hostname != null ? hostname : (redisAddress == null ? null : redisAddress.host());
        this.redisTls = r.bool(REDIS_TLS);
        this.redisCaFile = r.readableFile(REDIS_CA_FILE);
        this.redisConnectTimeout = r.duration(REDIS_CONNECT_TIMEOUT, false);
        this.redisObjectId = r.get(REDIS_AAD_OBJECT_ID);
        this.redisTokenScope = r.getOrDefault(REDIS_TOKEN_SCOPE);
        this.tokenCommandTimeout = r.duration(LOCAL_REDIS_TOKEN_COMMAND_TIMEOUT, false);
        this.azureClientCertificatePath = r.readableFile(AZURE_CLIENT_CERTIFICATE_PATH);
        this.azureFederatedTokenFile = r.readableFile(AZURE_FEDERATED_TOKEN_FILE);
        this.upstreamCredential = r.upstreamCredential();
        this.awsIam = upstreamCredential == UpstreamCredential.AWS_IAM ? r.awsIam(redisTls) : null;
        this.authTimeout = r.duration(AUTH_TIMEOUT, false);
        this.preAuthMaxBulkBytes = r.positiveInt(PREAUTH_MAX_BULK_BYTES, 1024, 16 * 1024 * 1024);
        this.preAuthMaxArgs = r.positiveInt(PREAUTH_MAX_ARGS, 7, 1024);
        this.preAuthMaxBytes = r.positiveInt(PREAUTH_MAX_BYTES, 2048, 256 * 1024 * 1024);
        this.maxClients = r.positiveInt(MAX_CLIENTS, 1, 1_000_000);
        this.maxUnauthenticatedPerAddress = r.positiveInt(MAX_UNAUTHENTICATED_PER_ADDRESS, 0, 1_000_000);
        this.logDeniedPerSecond = r.positiveInt(LOG_DENIED_PER_SECOND, 0, 1_000_000);
        this.authFailuresPerAddress = r.positiveInt(AUTH_FAILURES_PER_ADDRESS, 0, 1_000_000);
        this.authFailuresPerUser = r.positiveInt(AUTH_FAILURES_PER_USER, 0, 1_000_000);
        this.authFailureWindow = r.duration(AUTH_FAILURE_WINDOW, false);
        this.authFailureDelay = r.duration(AUTH_FAILURE_DELAY, true);
        if (authFailureDelay != null && authFailureDelay.compareTo(Duration.ofMinutes(1)) > 0) {
            r.problem("AUTH_FAILURE_DELAY must be at most 1m (clients time out), got " + authFailureDelay);
        }
        if (preAuthMaxBytes < preAuthMaxBulkBytes + 1024) {
            r.problem("PREAUTH_MAX_BYTES (" + preAuthMaxBytes + ") must leave room for one PREAUTH_MAX_BULK_BYTES ("
                    + preAuthMaxBulkBytes + ") argument plus 1024 bytes for the rest of the command: set it to at"
                    + " least " + (preAuthMaxBulkBytes + 1024) + ", or lower PREAUTH_MAX_BULK_BYTES");
        }
        this.drainTimeout = r.duration(DRAIN_TIMEOUT, true);
        this.shutdownDelay = r.duration(SHUTDOWN_DELAY, true);
        String admin = r.getOrDefault(ADMIN_ADDR);
        this.adminAddress = admin == null || admin.equalsIgnoreCase("off") ? null : r.hostPort(ADMIN_ADDR);
        this.logFormat = r.logFormat();
        this.logLevel = r.logLevel();
        this.userLocksFile = r.writableFile(USER_LOCKS_FILE);
        this.ldap = LdapConfig.parse(r.values, r::problem).orElse(null);
        this.audit = AuditSettings.parse(r.values, r::problem);

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
                && upstreamCredential != UpstreamCredential.AWS_IAM) { // aws-iam refuses REDIS_TLS=false anywhere
            r.problem("REDIS_TLS=false and REDIS_HOSTPORT " + redisAddress + " is not a loopback address: the"
                    + " gateway's credential and all data would cross the network in clear. Set REDIS_TLS=true (Azure"
                    + " and AWS caches require TLS), or set ALLOW_PLAINTEXT_UPSTREAM=true if the network is otherwise"
                    + " protected");
        }
        if (entra
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
        if (redisObjectId != null && !GUID.matcher(redisObjectId).matches()) {
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
        try {
            return new GatewayConfig(new Reader(values));
        } catch (Unchecked e) {
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

    public HostPort listenAddress() {
        return listenAddress;
    }

    public Optional<Path> listenTlsCertFile() {
        return Optional.ofNullable(listenTlsCertFile);
    }

    public Optional<Path> listenTlsKeyFile() {
        return Optional.ofNullable(listenTlsKeyFile);
    }

    /** How often the listener's certificate files are checked for changes ({@link Duration#ZERO}: never). */
    public Duration listenTlsReloadInterval() {
        return listenTlsReloadInterval;
    }

    /** Whether the client-facing listener uses TLS. */
    public boolean listenTls() {
        return listenTlsCertFile != null && listenTlsKeyFile != null;
    }

    public boolean allowPlaintextListener() {
        return allowPlaintextListener;
    }

    public String tenantId() {
        return tenantId;
    }

    public List<String> expectedAudiences() {
        return expectedAudiences;
    }

    /** Lower-cased group ids the user must all be a member of. */
    public Set<String> requiredGroupIds() {
        return requiredGroupIds;
    }

    /** Lower-cased group ids of which the user must be a member of at least one (empty: no such rule). */
    public Set<String> allowedGroupIds() {
        return allowedGroupIds;
    }

    public Set<String> allowedAppRoles() {
        return allowedAppRoles;
    }

    public boolean allowAnyTenantUser() {
        return allowAnyTenantUser;
    }

    /** Whether ALLOW_ANY_TENANT_USER also admits app-only tokens (service principals, managed identities). */
    public boolean allowAnyTenantApp() {
        return allowAnyTenantApp;
    }

    public Duration clockSkew() {
        return clockSkew;
    }

    /** The authority host without a trailing slash. */
    public URI authorityHost() {
        return authorityHost;
    }

    /** {@code {authority}/{tenant}/v2.0/.well-known/openid-configuration}. */
    public URI metadataUrlV2() {
        return URI.create(authorityHost + "/" + tenantId + "/v2.0/.well-known/openid-configuration");
    }

    /** {@code {authority}/{tenant}/.well-known/openid-configuration}. */
    public URI metadataUrlV1() {
        return URI.create(authorityHost + "/" + tenantId + "/.well-known/openid-configuration");
    }

    public Duration metadataRefreshInterval() {
        return metadataRefreshInterval;
    }

    public Duration jwksRefreshInterval() {
        return jwksRefreshInterval;
    }

    public Duration jwksUnknownKidInterval() {
        return jwksUnknownKidInterval;
    }

    /** Microsoft Graph base URL without a trailing slash. */
    public URI graphBaseUrl() {
        return graphBaseUrl;
    }

    public String graphTokenScope() {
        return raw.getOrDefault(
                GRAPH_TOKEN_SCOPE, GRAPH_TOKEN_SCOPE.defaultValue().orElseThrow());
    }

    public Duration groupCacheTtl() {
        return groupCacheTtl;
    }

    public Duration httpTimeout() {
        return httpTimeout;
    }

    public Optional<Path> httpsCaFile() {
        return Optional.ofNullable(httpsCaFile);
    }

    /** The roles file, validated (per-role permissions), or empty when {@code ROLES_FILE} is unset. */
    public Optional<RolePolicy> rolePolicy() {
        return Optional.ofNullable(rolePolicy);
    }

    /** {@code ROLES_FILE}, when set. */
    public Optional<Path> rolesFile() {
        return rolePolicy == null ? Optional.empty() : Optional.ofNullable(rolePolicy.source());
    }

    public Duration rolesReloadInterval() {
        return rolesReloadInterval;
    }

    public HostPort redisAddress() {
        return redisAddress;
    }

    /** The host name for upstream SNI and certificate verification. */
    public String redisHostname() {
        return redisHostname;
    }

    public boolean redisTls() {
        return redisTls;
    }

    public Optional<Path> redisCaFile() {
        return Optional.ofNullable(redisCaFile);
    }

    public Duration redisConnectTimeout() {
        return redisConnectTimeout;
    }

    /** {@code REDIS_AAD_OBJECT_ID}; when empty the upstream user name is the {@code oid} of the upstream token. */
    public Optional<String> redisObjectId() {
        return Optional.ofNullable(redisObjectId);
    }

    public String redisTokenScope() {
        return redisTokenScope;
    }

    public UpstreamCredential upstreamCredential() {
        return upstreamCredential;
    }

    /** The ElastiCache / MemoryDB cache and user, with {@code UPSTREAM_AUTH=aws-iam}; empty otherwise. */
    public Optional<AwsIamUpstream> awsIam() {
        return Optional.ofNullable(awsIam);
    }

    public Optional<String> uamiClientId() {
        return Optional.ofNullable(raw.get(UAMI_CLIENT_ID));
    }

    /** The static upstream token. Secret: never log it. */
    public Optional<String> localRedisToken() {
        return Optional.ofNullable(raw.get(LOCAL_REDIS_TOKEN));
    }

    public Optional<String> localRedisTokenCommand() {
        return Optional.ofNullable(raw.get(LOCAL_REDIS_TOKEN_COMMAND));
    }

    public Duration localRedisTokenCommandTimeout() {
        return tokenCommandTimeout;
    }

    public Optional<String> azureClientId() {
        return Optional.ofNullable(raw.get(AZURE_CLIENT_ID));
    }

    public Optional<String> azureTenantId() {
        return Optional.ofNullable(raw.get(AZURE_TENANT_ID));
    }

    /** Secret: never log it. */
    public Optional<String> azureClientSecret() {
        return Optional.ofNullable(raw.get(AZURE_CLIENT_SECRET));
    }

    public Optional<Path> azureClientCertificatePath() {
        return Optional.ofNullable(azureClientCertificatePath);
    }

    /** Secret: never log it. */
    public Optional<String> azureClientCertificatePassword() {
        return Optional.ofNullable(raw.get(AZURE_CLIENT_CERTIFICATE_PASSWORD));
    }

    public Optional<Path> azureFederatedTokenFile() {
        return Optional.ofNullable(azureFederatedTokenFile);
    }

    /** {@code REDIS_USERNAME}, or {@code default}. */
    public String redisUsername() {
        return raw.getOrDefault(REDIS_USERNAME, "default");
    }

    /** Secret: never log it. */
    public Optional<String> redisPassword() {
        return Optional.ofNullable(raw.get(REDIS_PASSWORD));
    }

    public Duration authTimeout() {
        return authTimeout;
    }

    public int preAuthMaxBulkBytes() {
        return preAuthMaxBulkBytes;
    }

    public int preAuthMaxArgs() {
        return preAuthMaxArgs;
    }

    /** {@code PREAUTH_MAX_BYTES}: the budget of input bytes held per unauthenticated connection. */
    public int preAuthMaxBytes() {
        return preAuthMaxBytes;
    }

    public int maxClients() {
        return maxClients;
    }

    /** {@code LOG_DENIED_PER_SECOND}: audit lines per second for refusals of each kind; 0 for every line. */
    public int logDeniedPerSecond() {
        return logDeniedPerSecond;
    }

    /** {@code AUTH_FAILURES_PER_ADDRESS}; 0 for off. */
    public int authFailuresPerAddress() {
        return authFailuresPerAddress;
    }

    /** {@code AUTH_FAILURES_PER_USER}; 0 for off. */
    public int authFailuresPerUser() {
        return authFailuresPerUser;
    }

    public Duration authFailureWindow() {
        return authFailureWindow;
    }

    public Duration authFailureDelay() {
        return authFailureDelay;
    }

    /** {@code MAX_UNAUTHENTICATED_PER_ADDRESS}; 0 for no cap. */
    public int maxUnauthenticatedPerAddress() {
        return maxUnauthenticatedPerAddress;
    }

    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** On SIGTERM: not ready but still accepting for this long before the drain. */
    public Duration shutdownDelay() {
        return shutdownDelay;
    }

    /** The admin HTTP listener address, or empty when {@code ADMIN_ADDR=off}. */
    public Optional<HostPort> adminAddress() {
        return Optional.ofNullable(adminAddress);
    }

    public LogFormat logFormat() {
        return logFormat;
    }

    /** Where user locks are kept across restarts; empty: in memory only. */
    public Optional<Path> userLocksFile() {
        return Optional.ofNullable(userLocksFile);
    }

    /** {@code ERROR}, {@code WARN}, {@code INFO}, {@code DEBUG} or {@code TRACE}. */
    public String logLevel() {
        return logLevel;
    }

    /**
     * Whether Entra (JWT) sign-in is on: always, except for an LDAP-only gateway ({@code LDAP_SERVERS} set and
     * neither {@code TENANT_ID} nor {@code EXPECTED_AUDIENCE}).
     */
    public boolean entra() {
        return entra;
    }

    /** LDAP / Active Directory sign-in, when {@code LDAP_SERVERS} is set. */
    public Optional<LdapConfig> ldap() {
        return Optional.ofNullable(ldap);
    }

    /** The command audit and the upstream connection names. */
    public AuditSettings audit() {
        return audit;
    }

    /** Secret: the admin API's bearer token, when set. */
    public Optional<String> adminApiToken() {
        return Optional.ofNullable(raw.get(ADMIN_API_TOKEN));
    }

    /** Parses a duration as settings write it ({@code 30s}, {@code 5m}, {@code PT1M}); {@code null} when invalid. */
    public static Duration parseDuration(String v) {
        return Reader.parseDuration(v);
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
                .append(upstreamCredential.description())
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

    /** Reads values and collects problems instead of failing on the first. */
    private static final class Reader {
        final Map<Setting, String> values = new EnumMap<>(Setting.class);
        final List<String> problems = new ArrayList<>();

        Reader(Map<String, String> source) {
            for (Setting s : Setting.values()) {
                String v = source.get(s.key());
                if (v != null && !v.isBlank()) {
                    values.put(s, s.isSecret() ? v.strip() : v.trim());
                }
            }
        }

        void problem(String p) {
            problems.add(p);
        }

        void throwIfProblems() {
            if (!problems.isEmpty()) {
                throw new Unchecked(new ConfigException(problems));
            }
        }

        String get(Setting s) {
            return values.get(s);
        }

        String getOrDefault(Setting s) {
            String v = values.get(s);
            return v != null ? v : s.defaultValue().orElse(null);
        }

        String required(Setting s) {
            String v = getOrDefault(s);
            if (v == null) {
                problem(s.key() + " is required (" + s.meaning() + "), e.g. " + s.key() + "=" + s.example());
            }
            return v;
        }

        HostPort hostPort(Setting s) {
            String v = required(s);
            if (v == null) {
                return null;
            }
            try {
                return HostPort.parse(s.key(), v);
            } catch (IllegalArgumentException e) {
                problem(e.getMessage());
                return null;
            }
        }

        boolean bool(Setting s) {
            String v = getOrDefault(s);
            switch (v.toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes", "on" -> {
                    return true;
                }
                case "false", "0", "no", "off" -> {
                    return false;
                }
                default -> {
                    problem(s.key() + " must be true or false, got \"" + v + "\"");
                    return Boolean.parseBoolean(s.defaultValue().orElse("false"));
                }
            }
        }

        String guid(Setting s, boolean required) {
            String v = required ? required(s) : get(s);
            if (v == null) {
                return null;
            }
            if (!GUID.matcher(v).matches()) {
                problem(s.key() + " must be a GUID (" + s.meaning() + "), got \"" + v + "\"");
                return null;
            }
            return v.toLowerCase(Locale.ROOT);
        }

        Set<String> guidSet(Setting s) {
            Set<String> out = new LinkedHashSet<>();
            for (String item : list(s)) {
                if (GUID.matcher(item).matches()) {
                    out.add(item.toLowerCase(Locale.ROOT));
                } else {
                    problem(s.key() + " must be comma-separated group object ids (GUIDs), got \"" + item + "\"");
                }
            }
            return Set.copyOf(out);
        }

        Set<String> stringSet(Setting s) {
            return Set.copyOf(new LinkedHashSet<>(list(s)));
        }

        List<String> list(Setting s) {
            String v = get(s);
            if (v == null) {
                return List.of();
            }
            return Arrays.stream(v.split(","))
                    .map(String::trim)
                    .filter(x -> !x.isEmpty())
                    .toList();
        }

        List<String> audiences() {
            if (required(EXPECTED_AUDIENCE) == null) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (String a : list(EXPECTED_AUDIENCE)) {
                if (GUID.matcher(a).matches()) {
                    out.add(a.toLowerCase(Locale.ROOT));
                } else if (isAbsoluteUri(a)) {
                    out.add(a);
                } else {
                    problem("EXPECTED_AUDIENCE must be comma-separated client ids (GUIDs) or App ID URIs"
                            + " (api://…), got \"" + a + "\"");
                }
            }
            if (out.isEmpty() && problems.stream().noneMatch(p -> p.startsWith("EXPECTED_AUDIENCE"))) {
                problem("EXPECTED_AUDIENCE is required (" + EXPECTED_AUDIENCE.meaning() + ")");
            }
            return List.copyOf(out);
        }

        private static boolean isAbsoluteUri(String a) {
            try {
                URI u = new URI(a);
                return u.getScheme() != null && (u.getHost() != null || u.getAuthority() != null);
            } catch (URISyntaxException e) {
                return false;
            }
        }

        URI httpsUrl(Setting s) {
            String v = getOrDefault(s);
            try {
                URI u = new URI(v);
                if (!"https".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
                    problem(s.key() + " must be an https:// URL, got \"" + v + "\"");
                    return null;
                }
                String text = u.toString();
                while (text.endsWith("/")) {
                    text = text.substring(0, text.length() - 1);
                }
                return URI.create(text);
            } catch (URISyntaxException e) {
                problem(s.key() + " must be an https:// URL, got \"" + v + "\"");
                return null;
            }
        }

        Duration duration(Setting s, boolean zeroAllowed) {
            String v = getOrDefault(s);
            Duration d = parseDuration(v);
            if (d == null || d.isNegative() || (!zeroAllowed && d.isZero())) {
                problem(s.key() + " must be a " + (zeroAllowed ? "" : "positive ") + "duration such as 30s, 5m,"
                        + " 1h, 500ms or PT1M, got \"" + v + "\"");
                return parseDuration(s.defaultValue().orElse("0s"));
            }
            return d;
        }

        static Duration parseDuration(String v) {
            Matcher m = SHORT_DURATION.matcher(v.toLowerCase(Locale.ROOT));
            if (m.matches()) {
                long n;
                try {
                    n = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    return null;
                }
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            try {
                return Duration.parse(v);
            } catch (DateTimeParseException e) {
                return null;
            }
        }

        int positiveInt(Setting s, int min, int max) {
            String v = getOrDefault(s);
            try {
                int n = Integer.parseInt(v);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            problem(s.key() + " must be a whole number from " + min + " to " + max + ", got \"" + v + "\"");
            return Integer.parseInt(s.defaultValue().orElse("0"));
        }

        Path readableFile(Setting s) {
            String v = get(s);
            if (v == null) {
                return null;
            }
            Path p = Path.of(v);
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                problem(s.key() + " names a file that does not exist or is not readable: \"" + v + "\"");
                return null;
            }
            return p;
        }

        RolePolicy rolePolicy() {
            Path file = readableFile(ROLES_FILE);
            if (file == null) {
                return null;
            }
            try {
                return RolePolicy.load(file, CommandTable.builtIn());
            } catch (RolePolicy.InvalidPolicyException e) {
                for (String p : e.problems()) {
                    problem("ROLES_FILE " + p);
                }
                return null;
            }
        }

        /** A file the gateway writes (it may not exist yet): its directory must exist. */
        Path writableFile(Setting s) {
            String v = get(s);
            if (v == null) {
                return null;
            }
            Path p = Path.of(v);
            Path dir = p.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir) || Files.isDirectory(p)) {
                problem(s.key() + " must name a file in an existing directory, got \"" + v + "\"");
                return null;
            }
            return p;
        }

        String logLevel() {
            String v = getOrDefault(LOG_LEVEL).toUpperCase(Locale.ROOT);
            if (!List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(v)) {
                problem("LOG_LEVEL must be ERROR, WARN, INFO, DEBUG or TRACE, got \"" + getOrDefault(LOG_LEVEL) + "\"");
                return "INFO";
            }
            return v;
        }

        LogFormat logFormat() {
            String v = getOrDefault(LOG_FORMAT);
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "json" -> LogFormat.JSON;
                case "text" -> LogFormat.TEXT;
                default -> {
                    problem("LOG_FORMAT must be json or text, got \"" + v + "\"");
                    yield LogFormat.JSON;
                }
            };
        }

        UpstreamCredential upstreamCredential() {
            String family = getOrDefault(UPSTREAM_AUTH);
            switch (family.toLowerCase(Locale.ROOT)) {
                case "aws-iam" -> {
                    // Settings that choose or name another upstream credential would be silently ignored: refuse.
                    for (Setting s : List.of(
                            REDIS_PASSWORD,
                            REDIS_USERNAME,
                            LOCAL_REDIS_TOKEN,
                            LOCAL_REDIS_TOKEN_COMMAND,
                            AZURE_CLIENT_SECRET,
                            AZURE_CLIENT_CERTIFICATE_PATH,
                            REDIS_AAD_OBJECT_ID,
                            REDIS_TOKEN_SCOPE)) {
                        if (get(s) != null) {
                            problem(s.key() + " is not used with UPSTREAM_AUTH=aws-iam (the gateway authenticates"
                                    + " upstream as AWS_IAM_USER_ID with an IAM token): unset it");
                        }
                    }
                    return UpstreamCredential.AWS_IAM;
                }
                case "entra" -> {
                    for (Setting s : List.of(AWS_CACHE_NAME, AWS_IAM_USER_ID, AWS_SERVICE, AWS_SERVERLESS)) {
                        if (get(s) != null) {
                            problem(s.key() + " is only used with UPSTREAM_AUTH=aws-iam: set UPSTREAM_AUTH=aws-iam or"
                                    + " unset " + s.key());
                        }
                    }
                }
                default -> problem("UPSTREAM_AUTH must be entra or aws-iam, got \"" + family + "\"");
            }
            List<String> chosen = new ArrayList<>();
            for (Setting s : List.of(
                    REDIS_PASSWORD,
                    LOCAL_REDIS_TOKEN,
                    LOCAL_REDIS_TOKEN_COMMAND,
                    AZURE_CLIENT_SECRET,
                    AZURE_CLIENT_CERTIFICATE_PATH)) {
                if (get(s) != null) {
                    chosen.add(s.key());
                }
            }
            if (chosen.size() > 1) {
                problem("choose one upstream credential, found " + String.join(", ", chosen) + ": unset all but one");
            }
            UpstreamCredential mode;
            if (get(REDIS_PASSWORD) != null) {
                mode = UpstreamCredential.PASSWORD;
            } else if (get(LOCAL_REDIS_TOKEN) != null) {
                mode = UpstreamCredential.STATIC_TOKEN;
            } else if (get(LOCAL_REDIS_TOKEN_COMMAND) != null) {
                mode = UpstreamCredential.TOKEN_COMMAND;
            } else if (get(AZURE_CLIENT_SECRET) != null) {
                mode = UpstreamCredential.CLIENT_SECRET;
            } else if (get(AZURE_CLIENT_CERTIFICATE_PATH) != null) {
                mode = UpstreamCredential.CLIENT_CERTIFICATE;
            } else if (get(AZURE_FEDERATED_TOKEN_FILE) != null) {
                mode = UpstreamCredential.WORKLOAD_IDENTITY;
            } else {
                mode = UpstreamCredential.MANAGED_IDENTITY;
            }
            if (mode == UpstreamCredential.CLIENT_SECRET
                    || mode == UpstreamCredential.CLIENT_CERTIFICATE
                    || mode == UpstreamCredential.WORKLOAD_IDENTITY) {
                for (Setting s : List.of(AZURE_CLIENT_ID, AZURE_TENANT_ID)) {
                    if (get(s) == null) {
                        problem(s.key() + " is required for the " + mode.description() + " upstream credential");
                    }
                }
            }
            if (get(REDIS_USERNAME) != null && mode != UpstreamCredential.PASSWORD) {
                problem("REDIS_USERNAME is only used with REDIS_PASSWORD; for Entra tokens the user name is"
                        + " REDIS_AAD_OBJECT_ID (or the token's oid)");
            }
            return mode;
        }

        /** The {@code UPSTREAM_AUTH=aws-iam} settings, each problem reported with the setting's name. */
        AwsIamUpstream awsIam(boolean redisTls) {
            if (!redisTls) {
                problem("REDIS_TLS=false cannot be used with UPSTREAM_AUTH=aws-iam: ElastiCache and MemoryDB accept IAM"
                        + " tokens only over TLS (in-transit encryption)");
            }
            AwsIamTokenSource.Kind kind = null;
            String service = getOrDefault(AWS_SERVICE).toLowerCase(Locale.ROOT);
            boolean serverless = bool(AWS_SERVERLESS);
            if (!service.equals("elasticache") && !service.equals("memorydb")) {
                problem("AWS_SERVICE must be elasticache or memorydb, got \"" + getOrDefault(AWS_SERVICE) + "\"");
            } else if (service.equals("memorydb") && serverless) {
                problem("AWS_SERVERLESS=true cannot be used with AWS_SERVICE=memorydb: MemoryDB has no serverless"
                        + " caches (ResourceType=ServerlessCache is for ElastiCache Serverless only); use"
                        + " AWS_SERVICE=elasticache for an ElastiCache Serverless cache, or AWS_SERVERLESS=false for a"
                        + " MemoryDB cluster");
            } else {
                kind = AwsIamTokenSource.Kind.of(service, serverless);
            }
            // The token source's own checks, so the configuration accepts exactly what it will sign for.
            AwsIamTokenSource.Builder probe = AwsIamTokenSource.builder(AwsIamTokenSource.Kind.ELASTICACHE);
            String cacheName = awsValue(AWS_CACHE_NAME, v -> {
                probe.cacheName(v);
                return v.strip().toLowerCase(Locale.ROOT);
            });
            String userId = awsValue(AWS_IAM_USER_ID, v -> {
                probe.userId(v);
                return v.strip();
            });
            String region = awsValue(AWS_REGION, v -> {
                probe.region(v);
                return v.strip();
            });
            if (kind == null || cacheName == null || userId == null || region == null) {
                return null;
            }
            return new AwsIamUpstream(kind, cacheName, userId, region);
        }

        private String awsValue(Setting s, java.util.function.UnaryOperator<String> check) {
            String v = get(s);
            if (v == null) {
                problem(s.key() + " is required with UPSTREAM_AUTH=aws-iam ("
                        + s.meaning().replace("aws-iam: ", "") + "), e.g. " + s.key() + "=" + s.example());
                return null;
            }
            try {
                return check.apply(v);
            } catch (IllegalArgumentException e) {
                problem(s.key() + " is not valid: " + e.getMessage());
                return null;
            }
        }
    }

    /** Carries the checked exception out of the constructor. */
    private static final class Unchecked extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final ConfigException cause;

        Unchecked(ConfigException cause) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
        }
    }
}
