package io.github.redisentra.gateway.config;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Every setting the gateway reads, with its default, meaning and an example: the one source for {@code --help} and
 * for the reference table in the project README (a test keeps the two identical).
 *
 * <p>The names of the earlier Rust proxy are kept with their meaning, so its {@code .env} files keep working.
 */
public enum Setting {
    // Listener
    LISTEN_ADDR(
            "0.0.0.0:6388",
            "Address and port the RESP listener binds (the earlier proxy's default). Plaintext on a non-loopback"
                    + " address needs TLS or ALLOW_PLAINTEXT_LISTENER",
            "127.0.0.1:6388"),
    LISTEN_TLS_CERT_FILE(null, "PEM certificate chain for the client-facing TLS listener", "/etc/gateway/tls.crt"),
    LISTEN_TLS_KEY_FILE(null, "PEM private key (PKCS#8) for LISTEN_TLS_CERT_FILE", "/etc/gateway/tls.key"),
    LISTEN_TLS_RELOAD_INTERVAL(
            "30s",
            "How often the listener certificate and key files are checked for new content (cert-manager renewals);"
                    + " new connections get a changed pair once it is valid, open ones keep theirs. `0s`: never",
            "1m"),
    ALLOW_PLAINTEXT_LISTENER(
            "false",
            "Accept plaintext clients on a non-loopback LISTEN_ADDR (tokens then cross the network in clear)",
            "true"),

    // Who may connect
    TENANT_ID(
            null, "Directory (tenant) id whose tokens are accepted (required)", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
    EXPECTED_AUDIENCE(
            null,
            "Comma-separated accepted `aud` values: the gateway API's client id and/or App ID URI (required)",
            "api://redis-gateway,6e1b1e5f-0000-4000-8000-000000000001"),
    REQUIRED_GROUP_IDS(
            null, "Comma-separated group object ids; the user must be a member of ALL of them", "<guid>,<guid>"),
    ALLOWED_GROUP_IDS(
            null, "Comma-separated group object ids; the user must be a member of ANY of them", "<guid>,<guid>"),
    ALLOWED_APP_ROLES(null, "Comma-separated app roles; the token's `roles` must contain ANY of them", "Redis.User"),
    ALLOW_ANY_TENANT_USER(
            "false",
            "Admit every user of the tenant (any valid user token) when no group or role rule is set (otherwise the"
                    + " gateway refuses to start); not with ROLES_FILE. App-only tokens need ALLOW_ANY_TENANT_APP",
            "true"),
    ALLOW_ANY_TENANT_APP(
            "false",
            "With ALLOW_ANY_TENANT_USER: also admit app-only tokens (`idtyp=app`, or no `scp`) of every service"
                    + " principal and managed identity of the tenant; otherwise an application needs a group or app"
                    + " role rule",
            "true"),
    CLOCK_SKEW("60s", "Tolerance for `exp`/`nbf`/`iat` and for session expiry", "30s"),
    TOKEN_CACHE_SIZE(
            "4096",
            "How many client tokens whose signature verified are remembered (by SHA-256, never the token) until"
                    + " their `exp`, so connections opened with one token cost one signature check; claims and"
                    + " roles are still checked at every sign-in, and a token goes when its signing key leaves the"
                    + " JWKS. `0`: off",
            "10000"),
    AZURE_AUTHORITY_HOST(
            "https://login.microsoftonline.com",
            "Entra authority; metadata is read from {host}/{tenant}/v2.0/.well-known/openid-configuration and the v1"
                    + " document",
            "https://login.microsoftonline.us"),
    METADATA_REFRESH_INTERVAL("24h", "How often the OpenID metadata documents are re-read", "12h"),
    JWKS_REFRESH_INTERVAL("1h", "How often the signing keys are refreshed in the background", "30m"),
    JWKS_UNKNOWN_KID_INTERVAL("5m", "Minimum time between key refreshes triggered by an unknown `kid`", "5m"),
    GRAPH_BASE_URL(
            "https://graph.microsoft.com",
            "Microsoft Graph, asked (checkMemberGroups) when a token has too many groups (overage)",
            "https://graph.microsoft.us"),
    GRAPH_TOKEN_SCOPE(
            "https://graph.microsoft.com/.default",
            "Scope of the gateway's own token for Microsoft Graph (needs User.Read.All and GroupMember.Read.All)",
            "https://graph.microsoft.us/.default"),
    GROUP_CACHE_TTL(
            "10m", "How long a Graph group-membership answer is cached per user (less than a token lifetime)", "15m"),
    HTTP_TIMEOUT("10s", "Timeout of each metadata, JWKS and Graph request", "5s"),
    HTTPS_CA_FILE(
            null,
            "Extra PEM CA certificates trusted for the authority, JWKS and Graph (in addition to the JVM's)",
            "/etc/gateway/idp-ca.pem"),

    // LDAP / Active Directory sign-in (off unless LDAP_SERVERS is set; see "LDAP and Active Directory" in the README)
    LDAP_SERVERS(
            null,
            "Directory servers as ldap:// or ldaps:// URLs, comma-separated, tried in order (failover). Setting it"
                    + " turns on LDAP sign-in for passwords that are not JWTs",
            "ldaps://dc1.corp.example.com:636,ldaps://dc2.corp.example.com:636"),
    LDAP_MODE(
            "bind",
            "`bind` (user DN from LDAP_BIND_DN_TEMPLATE) or `search+bind` (service account finds exactly one entry)",
            "search+bind"),
    LDAP_BIND_DN_TEMPLATE(
            null,
            "bind mode: the user's DN with {user} as the whole value of one RDN (escaped per RFC 4514), or a UPN"
                    + " form {user}@domain",
            "uid={user},ou=people,dc=example,dc=com"),
    LDAP_BIND_DN(
            null, "Service account DN for search+bind and group search", "cn=redis-gateway,ou=svc,dc=example,dc=com"),
    LDAP_BIND_PASSWORD(null, "Password of LDAP_BIND_DN (secret)", "<secret>"),
    LDAP_SEARCH_BASE(null, "search+bind: where users are searched", "ou=people,dc=example,dc=com"),
    LDAP_SEARCH_SCOPE("sub", "search+bind: `sub`, `one` or `base`", "one"),
    LDAP_SEARCH_FILTER(
            "(uid={user})",
            "search+bind: filter with {user} (escaped per RFC 4515); exactly one entry must match",
            "(&(objectClass=user)(sAMAccountName={user}))"),
    LDAP_STARTTLS("false", "Upgrade ldap:// connections with StartTLS before any bind", "true"),
    LDAP_ALLOW_PLAINTEXT(
            "false",
            "Accept ldap:// servers without LDAP_STARTTLS on a non-loopback address (users' passwords then cross the"
                    + " network in clear)",
            "true"),
    LDAP_CA_FILE(
            null,
            "Extra PEM CA certificates trusted for LDAPS/StartTLS (in addition to the JVM's)",
            "/etc/gateway/ldap-ca.pem"),
    LDAP_CLIENT_CERT_FILE(
            null, "PEM client certificate chain presented to the directory", "/etc/gateway/ldap-client.crt"),
    LDAP_CLIENT_KEY_FILE(null, "PEM private key (PKCS#8) for LDAP_CLIENT_CERT_FILE", "/etc/gateway/ldap-client.key"),
    LDAP_TLS_VERIFY_HOSTNAME(
            "true", "Check that the directory's certificate names the host of its URL (TLS 1.2+ always)", "false"),
    LDAP_CONNECT_TIMEOUT("5s", "Connect (and TLS handshake) timeout per directory server", "3s"),
    LDAP_OPERATION_TIMEOUT("5s", "Time limit for each bind, search and health check", "3s"),
    LDAP_POOL_SIZE("4", "Connections kept per directory server", "8"),
    LDAP_HEALTH_CHECK_INTERVAL("10s", "How often each server is probed with WhoAmI (a down server comes back)", "30s"),
    LDAP_GROUP_ATTRIBUTE(
            "memberOf", "Attribute of the user entry listing its groups (when no group search)", "memberOf"),
    LDAP_GROUP_SEARCH_BASE(
            null, "Search groups here instead of reading LDAP_GROUP_ATTRIBUTE", "ou=groups,dc=example,dc=com"),
    LDAP_GROUP_SEARCH_FILTER(
            "(member={dn})",
            "Group search filter with {dn} (the user's DN, escaped); with LDAP_NESTED_GROUPS the in-chain rule",
            "(&(objectClass=groupOfNames)(member={dn}))"),
    LDAP_NESTED_GROUPS(
            "false",
            "Active Directory: include nested groups (member:1.2.840.113556.1.4.1941:={dn}); needs"
                    + " LDAP_GROUP_SEARCH_BASE",
            "true"),
    LDAP_REQUIRED_GROUPS(
            null,
            "Semicolon-separated group DNs, or `name:` + a group name (its first RDN value, in any OU); the directory"
                    + " user must be a member of ALL of them",
            "cn=redis-users,ou=groups,dc=example,dc=com"),
    LDAP_ALLOWED_GROUPS(
            null,
            "Semicolon-separated group DNs, or `name:` + a group name (its first RDN value, in any OU); the directory"
                    + " user must be a member of ANY of them (not with ROLES_FILE)",
            "name:Redis Readers;name:Redis Writers"),
    LDAP_ALLOW_ANY_USER(
            "false",
            "Admit every user the directory authenticates when no LDAP group rule or ROLES_FILE is set",
            "true"),
    LDAP_CACHE_TTL("300s", "How long a successful directory sign-in is cached (`0s` disables the cache)", "60s"),
    LDAP_CACHE_MAX_ENTRIES("10000", "Most cached sign-ins; the least recently used is evicted", "1000"),
    LDAP_SESSION_MAX_AGE(
            null,
            "After this long (plus CLOCK_SKEW) a directory user's session gets -NOAUTH until the client signs in again"
                    + " (subscribers are closed), as an Entra session does at its token's expiry; unset: the session"
                    + " lasts until the client disconnects",
            "8h"),
    ADMIN_API_TOKEN(
            null,
            "Bearer token for the admin API under /admin/ on ADMIN_ADDR (user locks; LDAP status, cache flush,"
                    + " reload); unset disables the admin API (secret)",
            "<secret>"),

    USER_LOCKS_FILE(
            null,
            "JSON file keeping the user locks placed through the admin API (/admin/locks) across restarts; written on"
                    + " every change, its directory must be writable. Unset: locks are kept in memory only",
            "/var/lib/redis-entra/locks.json"),

    // Per-role permissions
    ROLES_FILE(
            null,
            "YAML roles file: roles matched by group or app role, each granting Redis ACL rules; checked before"
                    + " every command (see \"Roles\"). Replaces ALLOWED_GROUP_IDS/ALLOWED_APP_ROLES (and"
                    + " LDAP_ALLOWED_GROUPS, ALLOW_ANY_TENANT_USER, LDAP_ALLOW_ANY_USER): an Entra or directory user"
                    + " matching no role is refused",
            "/etc/gateway/roles.yaml"),
    ROLES_RELOAD_INTERVAL(
            "10s",
            "How often ROLES_FILE is checked for changes (SIGHUP reloads at once; `0s`: only on SIGHUP). An invalid new"
                    + " file is rejected and logged; the policy in force stays",
            "30s"),

    // Upstream
    REDIS_HOSTPORT(null, "Upstream cache host:port (required)", "mycache.redis.cache.windows.net:6380"),
    REDIS_HOSTNAME(
            null,
            "Host name for upstream TLS SNI and certificate checks; default: host of REDIS_HOSTPORT",
            "mycache.redis.cache.windows.net"),
    REDIS_TLS(
            "true",
            "Connect upstream with TLS (turn off only for a local Redis: off loopback it needs ALLOW_PLAINTEXT_UPSTREAM)",
            "false"),
    ALLOW_PLAINTEXT_UPSTREAM(
            "false",
            "Accept REDIS_TLS=false with a non-loopback REDIS_HOSTPORT (the gateway's credential and all data then cross"
                    + " the network in clear)",
            "true"),
    REDIS_CA_FILE(
            null,
            "Extra PEM CA certificates trusted for the upstream (in addition to the JVM's)",
            "/etc/gateway/redis-ca.pem"),
    REDIS_CONNECT_TIMEOUT("10s", "Upstream connect (and TLS handshake) timeout", "5s"),
    UPSTREAM_CONNECT_RATE(
            "2000",
            "Most new upstream connections opened per second (caches rate-limit new connections; a reconnect storm"
                    + " of clients is spread out instead of hammering the cache). Over it a connect waits for its slot;"
                    + " a client whose wait would exceed REDIS_CONNECT_TIMEOUT gets `-ERR upstream unavailable: cannot"
                    + " connect to the cache (upstream connection rate limit reached; retry)`. `0`: unlimited",
            "1000"),
    UPSTREAM_CONNECT_BURST(
            "400",
            "New upstream connections that may open at once, above UPSTREAM_CONNECT_RATE, after a quiet period",
            "200"),
    UPSTREAM_POOL_SIZE(
            "0",
            "Warm upstream connections kept per cache endpoint (per node in cluster mode), spread over the event"
                    + " loops: already connected and authenticated as the gateway's identity, so a new client session"
                    + " does not wait for an upstream TLS handshake and AUTH. Opened under UPSTREAM_CONNECT_RATE,"
                    + " replaced at each token renewal; sessions whose roles name another upstream identity dial as"
                    + " before. `0`: off",
            "8"),
    UPSTREAM_POOL_MAX_IDLE(
            "5m",
            "A warm upstream connection (UPSTREAM_POOL_SIZE) not taken within this long is closed and replaced, so"
                    + " the cache's idle timeout never cuts one a client takes. `0`: no limit",
            "2m"),
    REDIS_AAD_OBJECT_ID(
            null, "Upstream user name: object id of the gateway's identity; default: the `oid` of its token", "<guid>"),
    REDIS_TOKEN_SCOPE(
            "https://redis.azure.com/.default",
            "Scope of the gateway's upstream token",
            "https://redis.azure.com/.default"),
    UAMI_CLIENT_ID(
            null, "Client id of a user-assigned managed identity; default: the system-assigned identity", "<guid>"),
    LOCAL_REDIS_TOKEN(null, "Outside Azure: a Redis access token to use as-is (secret)", "eyJ0eXAi..."),
    LOCAL_REDIS_TOKEN_COMMAND(
            null,
            "Outside Azure: a command printing a Redis access token (run with sh -c, off the event loop)",
            "az account get-access-token --resource https://redis.azure.com --query accessToken -o tsv"),
    LOCAL_REDIS_TOKEN_COMMAND_TIMEOUT("30s", "Time limit for one run of LOCAL_REDIS_TOKEN_COMMAND", "60s"),
    AZURE_CLIENT_ID(null, "Service principal / workload identity client id (with AZURE_TENANT_ID)", "<guid>"),
    AZURE_TENANT_ID(null, "Tenant of AZURE_CLIENT_ID", "<guid>"),
    AZURE_CLIENT_SECRET(null, "Client secret of AZURE_CLIENT_ID (secret)", "<secret>"),
    AZURE_CLIENT_CERTIFICATE_PATH(
            null, "PEM or PFX certificate with private key for AZURE_CLIENT_ID", "/etc/gateway/sp.pem"),
    AZURE_CLIENT_CERTIFICATE_PASSWORD(null, "Password of a PFX AZURE_CLIENT_CERTIFICATE_PATH (secret)", "<secret>"),
    AZURE_FEDERATED_TOKEN_FILE(
            null,
            "AKS workload identity: the projected service-account token (set by the webhook)",
            "/var/run/secrets/azure/tokens/azure-identity-token"),
    REDIS_USERNAME(null, "Self-hosted Redis: ACL user name used with REDIS_PASSWORD; default: default", "gateway"),
    REDIS_PASSWORD(null, "Self-hosted Redis: static password instead of an Entra token (secret)", "<secret>"),

    // Upstream: OSS-clustered caches (see "Clustered caches")
    REDIS_CLUSTER(
            "auto",
            "`auto`: ask the cache at start (`INFO cluster`, then `CLUSTER NODES`): a cluster (Azure Managed Redis OSS"
                    + " policy, ACR Premium clustered) is served with one gateway endpoint per cache node and every"
                    + " reply naming a node rewritten; a cache that refuses `CLUSTER` (Enterprise policy) or is not"
                    + " clustered stays one endpoint, as with `off`. `on`: start-up fails unless the cache is a"
                    + " cluster. `off`: never ask",
            "on"),
    CLUSTER_LISTEN_PORTS(
            null,
            "Cluster mode: ports (`first-last`) for the node endpoints, one per cache node (masters and replicas), on"
                    + " LISTEN_ADDR's address with its TLS; a node keeps its port while it stays in the cluster. Default:"
                    + " the 32 ports after LISTEN_ADDR's (`6389-6420`); with LISTEN_ADDR port 0, free ports",
            "7001-7032"),
    CLUSTER_ANNOUNCE_HOST(
            null,
            "Cluster mode: the host name or IP address clients are given for the node endpoints (topology replies,"
                    + " `-MOVED`, `-ASK`); must reach this gateway on the CLUSTER_LISTEN_PORTS and, with listener TLS,"
                    + " be named by its certificate. Default: LISTEN_ADDR's host; required when that is 0.0.0.0 or ::",
            "redis-gateway.apps.svc.cluster.local"),
    CLUSTER_REFRESH_INTERVAL(
            "5s",
            "Cluster mode: how often the topology is read from the cache (`CLUSTER NODES`), besides at once when a"
                    + " reply names a node the gateway does not know",
            "10s"),
    CLUSTER_NODE_GRACE(
            "30s",
            "Cluster mode: how long the endpoint of a node that left the topology keeps its open connections (it"
                    + " stops accepting at once and is no longer advertised); then they are closed",
            "2m"),

    // Upstream: Amazon ElastiCache / MemoryDB with IAM authentication (UPSTREAM_AUTH=aws-iam)
    UPSTREAM_AUTH(
            "entra",
            "Upstream credential family: `entra` (the Entra identity, LOCAL_REDIS_TOKEN* or REDIS_PASSWORD above) or"
                    + " `aws-iam` (an ElastiCache / MemoryDB IAM token signed with the gateway's AWS credentials from"
                    + " the AWS SDK default chain; upstream TLS required)",
            "aws-iam"),
    AWS_CACHE_NAME(
            null,
            "aws-iam: the cache's name (replication group id, serverless cache name or MemoryDB cluster name; not its"
                    + " host name); required",
            "my-cache"),
    AWS_IAM_USER_ID(null, "aws-iam: the IAM-enabled user id; also the upstream user name; required", "redis-gateway"),
    AWS_REGION(null, "aws-iam: the cache's AWS region; required", "eu-west-1"),
    AWS_SERVICE("elasticache", "aws-iam: `elasticache` or `memorydb`", "memorydb"),
    AWS_SERVERLESS("false", "aws-iam: the cache is ElastiCache Serverless (an error with memorydb)", "true"),

    // Limits and operations
    AUTH_TIMEOUT("10s", "An unauthenticated client connection is closed after this long", "5s"),
    PREAUTH_MAX_BULK_BYTES(
            "65536", "Largest argument accepted before authentication (a JWT with ~200 groups fits)", "32768"),
    PREAUTH_MAX_ARGS("10", "Most arguments in one command before authentication", "10"),
    PREAUTH_MAX_BYTES(
            "81920",
            "Most bytes an unauthenticated connection may have buffered in all (the partial command and anything"
                    + " before it, not per argument); more closes it with an error. At least PREAUTH_MAX_BULK_BYTES +"
                    + " 1024",
            "131072"),
    MAX_CLIENTS(
            "10000",
            "Most open client connections, like Redis's maxclients: one more gets `-ERR max number of clients"
                    + " reached` and is closed",
            "20000"),
    MAX_UNAUTHENTICATED_PER_ADDRESS(
            "256",
            "Most connections from one source address that have not signed in yet (one more is refused with an"
                    + " error); `0`: no cap. Behind a load balancer that hides client addresses (SNAT) all its clients"
                    + " share one: see \"Connection limits\"",
            "1000"),
    AUTH_FAILURES_PER_ADDRESS(
            "20",
            "Failed sign-ins (Entra or LDAP) from one source address after which its further attempts are refused"
                    + " unchecked until AUTH_FAILURE_WINDOW has passed since its last failure; `0`: off. See"
                    + " \"Brute-force protection\"",
            "50"),
    AUTH_FAILURES_PER_USER(
            "3",
            "Failed directory (LDAP) sign-ins for one user name after which its further attempts are refused without"
                    + " asking the directory until AUTH_FAILURE_WINDOW has passed since its last failure (a success"
                    + " clears it). Keep it below the directory's lockout threshold; `0`: off",
            "4"),
    AUTH_FAILURE_WINDOW(
            "15m",
            "How long after its last failed sign-in an address or user name is forgotten; at least the directory's"
                    + " lockout counter reset (AD \"Reset account lockout counter after\", ppolicy"
                    + " pwdFailureCountInterval)",
            "30m"),
    AUTH_FAILURE_DELAY(
            "1s",
            "Every failed sign-in is answered this much later (scheduled: no thread waits, the client's further input"
                    + " waits); successful sign-ins are never delayed; `0s`: off",
            "2s"),
    SHUTDOWN_DELAY(
            "0s",
            "On SIGTERM, how long /readyz answers 503 while the listener still accepts, before the drain: time for load"
                    + " balancers and Kubernetes endpoints to stop sending new connections (the manifests use 5s)",
            "5s"),
    DRAIN_TIMEOUT("30s", "On SIGTERM, time for in-flight commands to finish before connections are closed", "10s"),
    ADMIN_ADDR("127.0.0.1:8388", "HTTP listener for /healthz, /readyz and /metrics; `off` disables it", "0.0.0.0:8388"),
    LOG_FORMAT("json", "Log format: `json` (one object per line) or `text`", "text"),
    LOG_DENIED_PER_SECOND(
            "20",
            "Most audit lines per second for refused sign-ins, and as many for refused commands (bursts of five"
                    + " seconds' worth); the rest are counted, not written (`suppressed=N` on the next line,"
                    + " log_lines_suppressed_total). `0`: every line",
            "100"),
    LOG_LEVEL(
            "INFO",
            "Log level: ERROR, WARN, INFO, DEBUG or TRACE (the audit log `redis-entra.audit` stays at INFO)",
            "DEBUG"),
    AUDIT_COMMANDS(
            "off",
            "Command audit: `off`, `writes` (commands Redis's command table flags `write`, and unknown ones) or `all`:"
                    + " one JSON line per command on standard output with the user (oid, name, role, client address),"
                    + " the command's name, key count, result (ok/error/noperm) and latency, never an argument value."
                    + " See \"Command audit\"",
            "writes"),
    AUDIT_COMMANDS_PER_SECOND(
            "10000",
            "Most command audit lines per second (bursts of one second's worth); the rest are dropped and counted"
                    + " (audit_lines_dropped_total{reason=\"rate_limit\"}). `0`: no bound",
            "2000"),
    AUDIT_COMMANDS_QUEUE(
            "65536",
            "Most command audit lines waiting to be written; past it lines are dropped and counted"
                    + " (reason=\"queue_full\"), commands are never slowed",
            "16384"),
    UPSTREAM_CLIENT_NAME(
            "oid",
            "CLIENT SETNAME on each upstream connection, so that CLIENT LIST on the cache shows the user: `oid`"
                    + " (`entra:<oid>`, LDAP users `ldap:<user name>`), `name` (the display name: upn or"
                    + " preferred_username, LDAP DN) or `off`. A client's own name follows after `/`",
            "name"),
    ENV_FILE(
            null,
            "File of NAME=value lines read at start under the environment (docker --env-file syntax; see"
                    + " .env.example); default: ./.env when present. The process environment and -D properties win",
            "/etc/gateway/gateway.env");

    private final String defaultValue;
    private final String meaning;
    private final String example;

    Setting(String defaultValue, String meaning, String example) {
        this.defaultValue = defaultValue;
        this.meaning = meaning;
        this.example = example;
    }

    /** The environment variable (and system property) name. */
    public String key() {
        return name();
    }

    /** The default, or empty when the setting has none (required, or off when unset). */
    public Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    public String meaning() {
        return meaning;
    }

    public String example() {
        return example;
    }

    /** Whether the value is a secret that summaries and logs must never show. */
    public boolean isSecret() {
        return this == LOCAL_REDIS_TOKEN
                || this == AZURE_CLIENT_SECRET
                || this == AZURE_CLIENT_CERTIFICATE_PASSWORD
                || this == REDIS_PASSWORD
                || this == LDAP_BIND_PASSWORD
                || this == ADMIN_API_TOKEN;
    }

    public static List<Setting> all() {
        return Arrays.asList(values());
    }

    /** The reference table as Markdown, in the form the project README carries it. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| Variable | Default | Meaning | Example |\n");
        sb.append("|---|---|---|---|\n");
        for (Setting s : values()) {
            sb.append("| `")
                    .append(s.key())
                    .append("` | ")
                    .append(s.defaultValue == null ? "" : "`" + s.defaultValue + "`")
                    .append(" | ")
                    .append(s.meaning.replace("|", "\\|"))
                    .append(" | `")
                    .append(s.example)
                    .append("` |\n");
        }
        return sb.toString();
    }
}
