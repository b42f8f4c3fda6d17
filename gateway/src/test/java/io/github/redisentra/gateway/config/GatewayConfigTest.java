package io.github.redisentra.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.gateway.GatewaySetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class GatewayConfigTest {
    static final String TENANT = "72F988BF-86F1-41AF-91AB-2D7CD011DB47";
    static final String GROUP = "11111111-2222-3333-4444-555555555555";

    static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("TENANT_ID", TENANT);
        m.put("EXPECTED_AUDIENCE", "api://redis-gateway");
        m.put("REQUIRED_GROUP_IDS", GROUP);
        m.put("REDIS_HOSTPORT", "cache.example:6380");
        m.put("LISTEN_ADDR", "127.0.0.1:6388");
        return m;
    }

    static Map<String, String> with(String... kv) {
        Map<String, String> m = minimal();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] == null) {
                m.remove(kv[i]);
            } else {
                m.put(kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    static List<String> problems(Map<String, String> m) {
        try {
            GatewayConfig.from(m);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("configuration was accepted");
    }

    @Test
    void logLevelAndListenerReloadIntervalHaveDefaultsAndAreChecked() throws Exception {
        assertThat(GatewayConfig.from(minimal()).log().level()).isEqualTo("INFO");
        assertThat(GatewayConfig.from(minimal()).listener().tlsReloadInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(GatewayConfig.from(with("LOG_LEVEL", "debug")).log().level()).isEqualTo("DEBUG");
        assertThat(GatewayConfig.from(with("LISTEN_TLS_RELOAD_INTERVAL", "0s"))
                        .listener()
                        .tlsReloadInterval())
                .isZero();
        assertThat(problems(with("LOG_LEVEL", "verbose")))
                .containsExactly("LOG_LEVEL must be ERROR, WARN, INFO, DEBUG or TRACE, got \"verbose\"");
    }

    @Test
    void minimalConfigurationHasTheDocumentedDefaults() throws Exception {
        GatewayConfig c = GatewayConfig.from(minimal());
        assertThat(c.entra().tenantId()).isEqualTo(TENANT.toLowerCase());
        assertThat(c.entra().requiredGroupIds()).containsExactly(GROUP);
        assertThat(c.upstream().hostname()).isEqualTo("cache.example");
        assertThat(c.upstream().address()).isEqualTo(new HostPort("cache.example", 6380));
        assertThat(c.upstream().tls()).isTrue();
        assertThat(c.entra().authorityHost()).hasToString("https://login.microsoftonline.com");
        assertThat(c.entra().metadataUrlV2())
                .hasToString("https://login.microsoftonline.com/" + TENANT.toLowerCase()
                        + "/v2.0/.well-known/openid-configuration");
        assertThat(c.entra().metadataUrlV1())
                .hasToString("https://login.microsoftonline.com/" + TENANT.toLowerCase()
                        + "/.well-known/openid-configuration");
        assertThat(c.entra().graphBaseUrl()).hasToString("https://graph.microsoft.com");
        assertThat(c.upstreamIdentity().source()).isEqualTo(UpstreamCredentialSource.MANAGED_IDENTITY);
        assertThat(c.entra().clockSkew()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.entra().jwksUnknownKidInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.entra().jwksRefreshInterval()).isEqualTo(Duration.ofHours(1));
        assertThat(c.admin().address()).contains(new HostPort("127.0.0.1", 8388));
        assertThat(c.log().format()).isEqualTo(LogSettings.Format.JSON);
        assertThat(c.upstreamIdentity().tokenScope()).isEqualTo("https://redis.azure.com/.default");
    }

    @Test
    void admissionLimitsHaveTheDocumentedDefaultsAndTheBudgetFitsOneArgument() throws Exception {
        GatewayConfig c = GatewayConfig.from(minimal());
        assertThat(c.limits().maxClients()).isEqualTo(10_000);
        assertThat(c.limits().maxUnauthenticatedPerAddress()).isEqualTo(256);
        assertThat(c.limits().preAuthMaxBytes()).isEqualTo(81_920);
        assertThat(GatewayConfig.from(with("MAX_UNAUTHENTICATED_PER_ADDRESS", "0"))
                        .limits()
                        .maxUnauthenticatedPerAddress())
                .isZero();
        assertThat(problems(with("PREAUTH_MAX_BYTES", "40000")))
                .containsExactly("PREAUTH_MAX_BYTES (40000) must leave room for one PREAUTH_MAX_BULK_BYTES (65536)"
                        + " argument plus 1024 bytes for the rest of the command: set it to at least 66560, or lower"
                        + " PREAUTH_MAX_BULK_BYTES");
        assertThat(GatewayConfig.from(with("PREAUTH_MAX_BYTES", "40000", "PREAUTH_MAX_BULK_BYTES", "32768"))
                        .limits()
                        .preAuthMaxBytes())
                .isEqualTo(40_000);
        assertThat(c.limits().logDeniedPerSecond()).isEqualTo(20);
        assertThat(c.limits().authFailuresPerAddress()).isEqualTo(20);
        assertThat(c.limits().authFailuresPerUser()).isEqualTo(3);
        assertThat(c.limits().authFailureWindow()).isEqualTo(Duration.ofMinutes(15));
        assertThat(c.limits().authFailureDelay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(problems(with("AUTH_FAILURE_DELAY", "5m")))
                .containsExactly("AUTH_FAILURE_DELAY must be at most 1m (clients time out), got PT5M");
        assertThat(problems(with("MAX_CLIENTS", "0")))
                .containsExactly("MAX_CLIENTS must be a whole number from 1 to 1000000, got \"0\"");
    }

    @Test
    void upstreamConnectRateHasTheDocumentedDefaultsZeroIsUnlimitedAndNegativesAreRefused() throws Exception {
        GatewayConfig c = GatewayConfig.from(minimal());
        assertThat(c.upstream().connectRate()).isEqualTo(2000);
        assertThat(c.upstream().connectBurst()).isEqualTo(400);
        GatewayConfig set = GatewayConfig.from(with("UPSTREAM_CONNECT_RATE", "0", "UPSTREAM_CONNECT_BURST", "7"));
        assertThat(set.upstream().connectRate()).isZero();
        assertThat(set.upstream().connectBurst()).isEqualTo(7);
        assertThat(problems(with("UPSTREAM_CONNECT_RATE", "-1")))
                .containsExactly("UPSTREAM_CONNECT_RATE must be a whole number from 0 to 1000000, got \"-1\"");
        assertThat(problems(with("UPSTREAM_CONNECT_BURST", "0")))
                .containsExactly("UPSTREAM_CONNECT_BURST must be a whole number from 1 to 1000000, got \"0\"");
    }

    @Test
    void defaultListenAddressIsTheProxysPort6388() {
        assertThat(Setting.LISTEN_ADDR.defaultValue()).contains("0.0.0.0:6388");
    }

    @Test
    void plaintextOnNonLoopbackIsRefusedWithTheReason() {
        assertThat(problems(with("LISTEN_ADDR", null)))
                .containsExactly("LISTEN_ADDR 0.0.0.0:6388 is not a loopback address and no listener TLS is"
                        + " configured: clients would send their tokens in clear. Set LISTEN_TLS_CERT_FILE and"
                        + " LISTEN_TLS_KEY_FILE, or bind a loopback address (LISTEN_ADDR=127.0.0.1:6388), or set"
                        + " ALLOW_PLAINTEXT_LISTENER=true if the network is otherwise protected");
    }

    @Test
    void plaintextOnNonLoopbackIsAcceptedWithTheOptIn() throws Exception {
        GatewayConfig c = GatewayConfig.from(with("LISTEN_ADDR", null, "ALLOW_PLAINTEXT_LISTENER", "true"));
        assertThat(c.listener().address()).isEqualTo(new HostPort("0.0.0.0", 6388));
        assertThat(c.listener().tls()).isFalse();
    }

    @Test
    void plaintextUpstreamOffLoopbackIsRefusedUnlessAllowed() throws Exception {
        assertThat(problems(with("REDIS_TLS", "false")))
                .containsExactly("REDIS_TLS=false and REDIS_HOSTPORT cache.example:6380 is not a loopback address: the"
                        + " gateway's credential and all data would cross the network in clear. Set REDIS_TLS=true"
                        + " (Azure and AWS caches require TLS), or set ALLOW_PLAINTEXT_UPSTREAM=true if the network is"
                        + " otherwise protected");
        assertThat(GatewayConfig.from(with("REDIS_TLS", "false", "ALLOW_PLAINTEXT_UPSTREAM", "true"))
                        .upstream()
                        .tls())
                .isFalse();
        for (String loopback : List.of("127.0.0.1:6379", "localhost:6379", "[::1]:6379")) {
            assertThat(GatewayConfig.from(with("REDIS_TLS", "false", "REDIS_HOSTPORT", loopback))
                            .upstream()
                            .tls())
                    .isFalse();
        }
        assertThat(problems(with("ALLOW_PLAINTEXT_UPSTREAM", "maybe")))
                .containsExactly("ALLOW_PLAINTEXT_UPSTREAM must be true or false, got \"maybe\"");
    }

    @Test
    void anyTenantAppOnlyWidensAnyTenantUser() throws Exception {
        assertThat(GatewayConfig.from(with("REQUIRED_GROUP_IDS", null, "ALLOW_ANY_TENANT_USER", "true"))
                        .entra()
                        .allowAnyTenantApp())
                .isFalse();
        assertThat(GatewayConfig.from(with(
                                "REQUIRED_GROUP_IDS", null,
                                "ALLOW_ANY_TENANT_USER", "true",
                                "ALLOW_ANY_TENANT_APP", "true"))
                        .entra()
                        .allowAnyTenantApp())
                .isTrue();
        assertThat(problems(with("ALLOW_ANY_TENANT_APP", "true")))
                .containsExactly("ALLOW_ANY_TENANT_APP=true widens ALLOW_ANY_TENANT_USER=true to applications: set"
                        + " both, or admit applications by app role (ALLOWED_APP_ROLES, a roles file's appRoles) or"
                        + " group instead");
    }

    @Test
    void loopbackForms() throws Exception {
        assertThat(GatewayConfig.from(with("LISTEN_ADDR", "localhost:7000"))
                        .listener()
                        .address()
                        .isLoopback())
                .isTrue();
        assertThat(GatewayConfig.from(with("LISTEN_ADDR", "[::1]:7000"))
                        .listener()
                        .address())
                .isEqualTo(new HostPort("::1", 7000));
        assertThat(problems(with("LISTEN_ADDR", "[::]:7000")))
                .singleElement()
                .asString()
                .startsWith("LISTEN_ADDR [::]:7000 is not a loopback");
    }

    @Test
    void listenerTlsNeedsCertAndKeyTogether(@TempDir Path dir) throws Exception {
        Path cert = Files.writeString(dir.resolve("tls.crt"), "x");
        Path key = Files.writeString(dir.resolve("tls.key"), "x");
        assertThat(problems(with("LISTEN_TLS_CERT_FILE", cert.toString())))
                .containsExactly("LISTEN_TLS_CERT_FILE and LISTEN_TLS_KEY_FILE must be set together (PEM certificate"
                        + " chain and its private key)");
        GatewayConfig c = GatewayConfig.from(with(
                "LISTEN_ADDR",
                "0.0.0.0:6388",
                "LISTEN_TLS_CERT_FILE",
                cert.toString(),
                "LISTEN_TLS_KEY_FILE",
                key.toString()));
        assertThat(c.listener().tls()).isTrue();
        assertThat(problems(with(
                        "LISTEN_TLS_CERT_FILE",
                        dir.resolve("missing.crt").toString(),
                        "LISTEN_TLS_KEY_FILE",
                        key.toString())))
                .containsExactly("LISTEN_TLS_CERT_FILE names a file that does not exist or is not readable: \""
                        + dir.resolve("missing.crt") + "\"");
    }

    @Test
    void hostPortErrorsNameTheSettingAndValue() {
        assertThat(problems(with("REDIS_HOSTPORT", "cache.example")))
                .containsExactly("REDIS_HOSTPORT must be host:port, got \"cache.example\"");
        assertThat(problems(with("REDIS_HOSTPORT", "cache.example:99999")))
                .containsExactly("REDIS_HOSTPORT must be host:port with a port from 0 to 65535, got"
                        + " \"cache.example:99999\"");
        assertThat(problems(with("LISTEN_ADDR", "127.0.0.1:x")))
                .containsExactly("LISTEN_ADDR must be host:port with a port from 0 to 65535, got \"127.0.0.1:x\"");
        assertThat(problems(with("ADMIN_ADDR", "nope"))).containsExactly("ADMIN_ADDR must be host:port, got \"nope\"");
    }

    @Test
    void requiredSettingsAreAllReportedAtOnce() {
        assertThat(problems(Map.of("LISTEN_ADDR", "127.0.0.1:6388")))
                .containsExactly(
                        "TENANT_ID is required (Directory (tenant) id whose tokens are accepted (required)), e.g."
                                + " TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47",
                        "EXPECTED_AUDIENCE is required (Comma-separated accepted `aud` values: the gateway API's"
                                + " client id and/or App ID URI (required)), e.g."
                                + " EXPECTED_AUDIENCE=api://redis-gateway,6e1b1e5f-0000-4000-8000-000000000001",
                        "REDIS_HOSTPORT is required (Upstream cache host:port (required)), e.g."
                                + " REDIS_HOSTPORT=mycache.redis.cache.windows.net:6380",
                        "no authorization rule: set ROLES_FILE, REQUIRED_GROUP_IDS, ALLOWED_GROUP_IDS or"
                                + " ALLOWED_APP_ROLES, or set ALLOW_ANY_TENANT_USER=true to admit every user of the tenant");
    }

    @Test
    void emptyValuesCountAsUnset() {
        assertThat(problems(with("TENANT_ID", "  "))).singleElement().asString().startsWith("TENANT_ID is required");
    }

    @Test
    void guidSettingsRejectOtherValues() {
        assertThat(problems(with("TENANT_ID", "contoso.onmicrosoft.com")))
                .containsExactly("TENANT_ID must be a GUID (Directory (tenant) id whose tokens are accepted"
                        + " (required)), got \"contoso.onmicrosoft.com\"");
        assertThat(problems(with("REQUIRED_GROUP_IDS", GROUP + ",admins")))
                .containsExactly(
                        "REQUIRED_GROUP_IDS must be comma-separated group object ids (GUIDs), got" + " \"admins\"");
        assertThat(problems(with("ALLOWED_GROUP_IDS", "x")))
                .containsExactly("ALLOWED_GROUP_IDS must be comma-separated group object ids (GUIDs), got \"x\"");
        assertThat(problems(with("REDIS_AAD_OBJECT_ID", "gateway")))
                .containsExactly("REDIS_AAD_OBJECT_ID must be the object id (a GUID) of the gateway's identity, got"
                        + " \"gateway\"");
        assertThat(problems(with("UAMI_CLIENT_ID", "mi")))
                .containsExactly("UAMI_CLIENT_ID must be a GUID (Client id of a user-assigned managed identity;"
                        + " default: the system-assigned identity), got \"mi\"");
    }

    @Test
    void audiencesAcceptGuidsAndAppIdUris() throws Exception {
        GatewayConfig c = GatewayConfig.from(
                with("EXPECTED_AUDIENCE", " api://gw , 6E1B1E5F-0000-4000-8000-000000000001,https://contoso.com/api"));
        assertThat(c.entra().expectedAudiences())
                .containsExactly("api://gw", "6e1b1e5f-0000-4000-8000-000000000001", "https://contoso.com/api");
        assertThat(problems(with("EXPECTED_AUDIENCE", "gateway")))
                .containsExactly("EXPECTED_AUDIENCE must be comma-separated client ids (GUIDs) or App ID URIs"
                        + " (api://…), got \"gateway\"");
    }

    @Test
    void groupIdsAreCaseInsensitive() throws Exception {
        GatewayConfig c = GatewayConfig.from(with("ALLOWED_GROUP_IDS", GROUP.toUpperCase()));
        assertThat(c.entra().allowedGroupIds()).containsExactly(GROUP);
    }

    @Test
    void anyTenantUserSwitchReplacesAuthorizationRules() throws Exception {
        GatewayConfig c = GatewayConfig.from(with("REQUIRED_GROUP_IDS", null, "ALLOW_ANY_TENANT_USER", "true"));
        assertThat(c.entra().allowAnyTenantUser()).isTrue();
        assertThat(GatewayConfig.from(with("REQUIRED_GROUP_IDS", null, "ALLOWED_APP_ROLES", "Redis.User"))
                        .entra()
                        .allowedAppRoles())
                .containsExactly("Redis.User");
    }

    @Test
    void rolesFileIsTheAdmissionRuleForEntraAndDirectoryUsersAlike(@TempDir Path dir) throws Exception {
        Path roles = Files.writeString(
                dir.resolve("roles.yaml"),
                "roles:\n  r:\n    match: {groups: [" + GROUP + ", cn=Readers,ou=groups,dc=x]}\n    rules: +@read\n");
        Map<String, String> ldapOnly = with(
                "TENANT_ID",
                null,
                "EXPECTED_AUDIENCE",
                null,
                "REQUIRED_GROUP_IDS",
                null,
                "ROLES_FILE",
                roles.toString(),
                "LDAP_SERVERS",
                "ldap://localhost:389",
                "LDAP_BIND_DN_TEMPLATE",
                "uid={user},ou=people,dc=x");
        GatewayConfig c = GatewayConfig.from(ldapOnly);
        assertThat(c.entra().enabled()).isFalse();
        assertThat(c.ldap().orElseThrow().allowAnyUser()).isFalse();
        assertThat(GatewaySetup.read(ldapOnly).roles()).isPresent();
        Map<String, String> both = new HashMap<>(ldapOnly);
        both.put("TENANT_ID", TENANT);
        both.put("EXPECTED_AUDIENCE", "api://redis-gateway");
        assertThat(GatewayConfig.from(both).entra().enabled()).isTrue();
        both.put("ALLOW_ANY_TENANT_USER", "true");
        both.put("LDAP_ALLOW_ANY_USER", "true");
        both.put("LDAP_ALLOWED_GROUPS", "name:Readers");
        assertThat(problems(both))
                .containsExactly(
                        LdapConfigTest.ROLES_DECIDE_LDAP_ALLOWED,
                        LdapConfigTest.ROLES_DECIDE_LDAP_ANY,
                        "ROLES_FILE decides who is admitted (a user must match a role): unset ALLOW_ANY_TENANT_USER"
                                + " (a user matching no role is refused)");
    }

    @Test
    void booleansDurationsNumbersAndFormatsAreChecked() {
        assertThat(problems(with("REDIS_TLS", "maybe")))
                .containsExactly("REDIS_TLS must be true or false, got \"maybe\"");
        assertThat(problems(with("CLOCK_SKEW", "soon")))
                .containsExactly("CLOCK_SKEW must be a duration such as 30s, 5m, 1h, 500ms or PT1M, got \"soon\"");
        assertThat(problems(with("AUTH_TIMEOUT", "0s")))
                .containsExactly(
                        "AUTH_TIMEOUT must be a positive duration such as 30s, 5m, 1h, 500ms or PT1M, got" + " \"0s\"");
        assertThat(problems(with("PREAUTH_MAX_BULK_BYTES", "10")))
                .containsExactly("PREAUTH_MAX_BULK_BYTES must be a whole number from 1024 to 16777216, got \"10\"");
        assertThat(problems(with("PREAUTH_MAX_ARGS", "many")))
                .containsExactly("PREAUTH_MAX_ARGS must be a whole number from 7 to 1024, got \"many\"");
        assertThat(problems(with("LOG_FORMAT", "xml"))).containsExactly("LOG_FORMAT must be json or text, got \"xml\"");
        assertThat(problems(with("AZURE_AUTHORITY_HOST", "http://login.example")))
                .containsExactly("AZURE_AUTHORITY_HOST must be an https:// URL, got \"http://login.example\"");
        assertThat(problems(with("GRAPH_BASE_URL", "graph")))
                .containsExactly("GRAPH_BASE_URL must be an https:// URL, got \"graph\"");
    }

    @Test
    void durationForms() throws Exception {
        GatewayConfig c = GatewayConfig.from(
                with("CLOCK_SKEW", "PT2M", "AUTH_TIMEOUT", "500ms", "DRAIN_TIMEOUT", "0s", "GROUP_CACHE_TTL", "1d"));
        assertThat(c.entra().clockSkew()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.limits().authTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.lifecycle().drainTimeout()).isZero();
        assertThat(c.entra().groupCacheTtl()).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void authorityHostLosesItsTrailingSlash() throws Exception {
        GatewayConfig c = GatewayConfig.from(with("AZURE_AUTHORITY_HOST", "https://localhost:8443/"));
        assertThat(c.entra().metadataUrlV2())
                .hasToString(
                        "https://localhost:8443/" + TENANT.toLowerCase() + "/v2.0/.well-known/openid-configuration");
    }

    @Test
    void adminListenerCanBeTurnedOff() throws Exception {
        assertThat(GatewayConfig.from(with("ADMIN_ADDR", "off")).admin().address())
                .isEmpty();
    }

    @Test
    void upstreamCredentialIsChosenFromWhatIsSet(@TempDir Path dir) throws Exception {
        assertThat(GatewayConfig.from(with("LOCAL_REDIS_TOKEN", "t"))
                        .upstreamIdentity()
                        .source())
                .isEqualTo(UpstreamCredentialSource.STATIC_TOKEN);
        assertThat(GatewayConfig.from(with("LOCAL_REDIS_TOKEN_COMMAND", "echo t"))
                        .upstreamIdentity()
                        .source())
                .isEqualTo(UpstreamCredentialSource.TOKEN_COMMAND);
        GatewayConfig pw = GatewayConfig.from(with("REDIS_PASSWORD", "pw", "REDIS_USERNAME", "gw"));
        assertThat(pw.upstreamIdentity().source()).isEqualTo(UpstreamCredentialSource.PASSWORD);
        assertThat(pw.upstreamIdentity().redisUsername()).isEqualTo("gw");
        assertThat(GatewayConfig.from(
                                with("AZURE_CLIENT_SECRET", "s", "AZURE_CLIENT_ID", GROUP, "AZURE_TENANT_ID", TENANT))
                        .upstreamIdentity()
                        .source())
                .isEqualTo(UpstreamCredentialSource.CLIENT_SECRET);
        Path token = Files.writeString(dir.resolve("token"), "x");
        assertThat(GatewayConfig.from(with(
                                "AZURE_FEDERATED_TOKEN_FILE",
                                token.toString(),
                                "AZURE_CLIENT_ID",
                                GROUP,
                                "AZURE_TENANT_ID",
                                TENANT))
                        .upstreamIdentity()
                        .source())
                .isEqualTo(UpstreamCredentialSource.WORKLOAD_IDENTITY);
        assertThat(GatewayConfig.from(with("UAMI_CLIENT_ID", GROUP))
                        .upstreamIdentity()
                        .uamiClientId())
                .contains(GROUP);
    }

    @Test
    void conflictingUpstreamCredentialsAreRefused() {
        assertThat(problems(with("LOCAL_REDIS_TOKEN", "t", "LOCAL_REDIS_TOKEN_COMMAND", "echo t")))
                .containsExactly("choose one upstream credential, found LOCAL_REDIS_TOKEN, LOCAL_REDIS_TOKEN_COMMAND:"
                        + " unset all but one");
        assertThat(problems(with("AZURE_CLIENT_SECRET", "s")))
                .containsExactly(
                        "AZURE_CLIENT_ID is required for the service principal with client secret upstream credential",
                        "AZURE_TENANT_ID is required for the service principal with client secret upstream credential");
        assertThat(problems(with("REDIS_USERNAME", "gw")))
                .containsExactly("REDIS_USERNAME is only used with REDIS_PASSWORD; for Entra tokens the user name is"
                        + " REDIS_AAD_OBJECT_ID (or the token's oid)");
    }

    @Test
    void secretsNeverAppearInSummaryToStringOrErrors() throws Exception {
        String secret = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2ln";
        GatewayConfig c = GatewayConfig.from(with("LOCAL_REDIS_TOKEN", secret));
        assertThat(c.upstreamIdentity().localRedisToken()).contains(secret);
        assertThat(c.summary()).doesNotContain(secret).contains("LOCAL_REDIS_TOKEN=<redacted>");
        assertThat(c.toString()).doesNotContain(secret).contains("LOCAL_REDIS_TOKEN=<redacted>");
        assertThat(problems(with("LOCAL_REDIS_TOKEN", secret, "REDIS_PASSWORD", secret, "REDIS_TLS", "x")))
                .allSatisfy(p -> assertThat(p).doesNotContain(secret));
    }

    @Test
    void allProblemsAreReportedInOneException() {
        assertThatThrownBy(() -> GatewayConfig.from(with("REDIS_HOSTPORT", "cache.example", "REDIS_TLS", "x")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid gateway configuration (2 problems):\n"
                        + "  - REDIS_HOSTPORT must be host:port, got \"cache.example\"\n"
                        + "  - REDIS_TLS must be true or false, got \"x\"");
    }

    @Test
    void systemPropertiesOverrideTheEnvironment() {
        System.setProperty("TENANT_ID", TENANT);
        try {
            assertThat(GatewayConfig.environment()).containsEntry("TENANT_ID", TENANT);
        } finally {
            System.clearProperty("TENANT_ID");
        }
    }

    // ---------------------------------------------------------------- UPSTREAM_AUTH=aws-iam

    static String[] aws(String... more) {
        List<String> kv = new java.util.ArrayList<>(List.of(
                "UPSTREAM_AUTH",
                "aws-iam",
                "AWS_CACHE_NAME",
                "My-Cache",
                "AWS_IAM_USER_ID",
                "gw-user",
                "AWS_REGION",
                "eu-west-1"));
        kv.addAll(List.of(more));
        return kv.toArray(String[]::new);
    }

    @Test
    void awsIamUpstreamIsReadValidatedAndNormalised() throws Exception {
        GatewayConfig c = GatewayConfig.from(with(aws()));
        assertThat(c.upstreamIdentity().source()).isEqualTo(UpstreamCredentialSource.AWS_IAM);
        assertThat(c.upstreamIdentity().awsIam())
                .contains(new AwsIamUpstream(
                        io.github.redisentra.aws.AwsIamTokenSource.Kind.ELASTICACHE,
                        "my-cache",
                        "gw-user",
                        "eu-west-1"));
        assertThat(GatewayConfig.from(with(aws("AWS_SERVERLESS", "true")))
                        .upstreamIdentity()
                        .awsIam()
                        .orElseThrow()
                        .kind())
                .isEqualTo(io.github.redisentra.aws.AwsIamTokenSource.Kind.ELASTICACHE_SERVERLESS);
        assertThat(GatewayConfig.from(with(aws("AWS_SERVICE", "MemoryDB")))
                        .upstreamIdentity()
                        .awsIam()
                        .orElseThrow()
                        .kind())
                .isEqualTo(io.github.redisentra.aws.AwsIamTokenSource.Kind.MEMORYDB);
        // the default upstream family is Entra, and AWS_REGION (set by AWS platforms) alone does not change it
        GatewayConfig entra = GatewayConfig.from(with("AWS_REGION", "eu-west-1"));
        assertThat(entra.upstreamIdentity().source()).isEqualTo(UpstreamCredentialSource.MANAGED_IDENTITY);
        assertThat(entra.upstreamIdentity().awsIam()).isEmpty();
        assertThat(c.summary()).contains("upstream credential: AWS IAM");
    }

    @Test
    void awsIamCombinationsAreRefusedWithExactMessages() {
        assertThat(problems(with(aws("AWS_SERVICE", "memorydb", "AWS_SERVERLESS", "true"))))
                .containsExactly("AWS_SERVERLESS=true cannot be used with AWS_SERVICE=memorydb: MemoryDB has no"
                        + " serverless caches (ResourceType=ServerlessCache is for ElastiCache Serverless only); use"
                        + " AWS_SERVICE=elasticache for an ElastiCache Serverless cache, or AWS_SERVERLESS=false for a"
                        + " MemoryDB cluster");
        assertThat(problems(with(aws("AWS_SERVICE", "dynamodb"))))
                .containsExactly("AWS_SERVICE must be elasticache or memorydb, got \"dynamodb\"");
        assertThat(problems(with(aws("AWS_SERVERLESS", "maybe"))))
                .containsExactly("AWS_SERVERLESS must be true or false, got \"maybe\"");
        assertThat(problems(with("UPSTREAM_AUTH", "aws")))
                .containsExactly("UPSTREAM_AUTH must be entra or aws-iam, got \"aws\"");
        assertThat(problems(with("UPSTREAM_AUTH", "aws-iam")))
                .containsExactly(
                        "AWS_CACHE_NAME is required with UPSTREAM_AUTH=aws-iam (the cache's name (replication group"
                                + " id, serverless cache name or MemoryDB cluster name; not its host name); required),"
                                + " e.g. AWS_CACHE_NAME=my-cache",
                        "AWS_IAM_USER_ID is required with UPSTREAM_AUTH=aws-iam (the IAM-enabled user id; also the"
                                + " upstream user name; required), e.g. AWS_IAM_USER_ID=redis-gateway",
                        "AWS_REGION is required with UPSTREAM_AUTH=aws-iam (the cache's AWS region; required), e.g."
                                + " AWS_REGION=eu-west-1");
        assertThat(problems(with(aws("AWS_CACHE_NAME", "master.my-cache.abc123.euw1.cache.amazonaws.com"))))
                .containsExactly("AWS_CACHE_NAME is not valid: cacheName must be the cache's name (replication group"
                        + " id, serverless cache name or MemoryDB cluster name), not a host name; got"
                        + " \"master.my-cache.abc123.euw1.cache.amazonaws.com\"");
        assertThat(problems(with(aws("AWS_IAM_USER_ID", "9lives"))))
                .singleElement()
                .asString()
                .startsWith("AWS_IAM_USER_ID is not valid: userId \"9lives\" is not valid");
        assertThat(problems(with(aws("AWS_REGION", "Ireland"))))
                .containsExactly("AWS_REGION is not valid: region must be an AWS region name such as \"us-east-1\";"
                        + " got \"Ireland\"");
        assertThat(problems(with(aws("REDIS_TLS", "false"))))
                .containsExactly("REDIS_TLS=false cannot be used with UPSTREAM_AUTH=aws-iam: ElastiCache and MemoryDB"
                        + " accept IAM tokens only over TLS (in-transit encryption)");
        assertThat(problems(with(aws("LOCAL_REDIS_TOKEN", "t", "REDIS_AAD_OBJECT_ID", GROUP))))
                .containsExactlyInAnyOrder(
                        "LOCAL_REDIS_TOKEN is not used with UPSTREAM_AUTH=aws-iam (the gateway authenticates upstream"
                                + " as AWS_IAM_USER_ID with an IAM token): unset it",
                        "REDIS_AAD_OBJECT_ID is not used with UPSTREAM_AUTH=aws-iam (the gateway authenticates"
                                + " upstream as AWS_IAM_USER_ID with an IAM token): unset it");
        assertThat(problems(with("AWS_CACHE_NAME", "my-cache")))
                .containsExactly("AWS_CACHE_NAME is only used with UPSTREAM_AUTH=aws-iam: set UPSTREAM_AUTH=aws-iam or"
                        + " unset AWS_CACHE_NAME");
    }
}
