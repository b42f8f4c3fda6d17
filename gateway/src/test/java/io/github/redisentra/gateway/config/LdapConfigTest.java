package io.github.redisentra.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.gateway.auth.RoutingAuthenticator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Validation of the LDAP_* settings and the routing rule between Entra and the directory. */
class LdapConfigTest {

    static List<String> problems(Map<String, String> env) {
        try {
            LdapConfig.read(env);
            return List.of();
        } catch (ConfigException e) {
            return e.problems();
        }
    }

    @Test
    void offWithoutServersAndStrayLdapSettingsAreReported() throws Exception {
        assertThat(LdapConfig.read(Map.of())).isEmpty();
        assertThat(problems(Map.of("LDAP_BIND_DN_TEMPLATE", "uid={user},dc=x")))
                .singleElement()
                .asString()
                .contains("LDAP_SERVERS");
    }

    @Test
    void activeDirectoryAndOpenLdapExamplesParse() throws Exception {
        LdapConfig ad = LdapConfig.read(Map.of(
                        "LDAP_SERVERS", "ldaps://dc1.corp.example.com,ldaps://dc2.corp.example.com:636",
                        "LDAP_MODE", "search+bind",
                        "LDAP_BIND_DN", "CN=svc-redis,OU=Service Accounts,DC=corp,DC=example,DC=com",
                        "LDAP_BIND_PASSWORD", "s3cret",
                        "LDAP_SEARCH_BASE", "OU=Staff,DC=corp,DC=example,DC=com",
                        "LDAP_SEARCH_FILTER", "(&(objectClass=user)(sAMAccountName={user}))",
                        "LDAP_GROUP_SEARCH_BASE", "OU=Groups,DC=corp,DC=example,DC=com",
                        "LDAP_NESTED_GROUPS", "true",
                        "LDAP_ALLOWED_GROUPS", "CN=Redis Users,OU=Groups,DC=corp,DC=example,DC=com"))
                .orElseThrow();
        assertThat(ad.servers())
                .extracting(LdapConfig.Server::url)
                .containsExactly("ldaps://dc1.corp.example.com:636", "ldaps://dc2.corp.example.com:636");
        assertThat(ad.groupSearchFilter()).isEqualTo(LdapConfig.NESTED_GROUP_FILTER);
        assertThat(ad.allowedGroups()).containsExactly("cn=redis users,ou=groups,dc=corp,dc=example,dc=com");
        assertThat(ad.toString()).doesNotContain("s3cret");

        LdapConfig upn = LdapConfig.read(Map.of(
                        "LDAP_SERVERS", "ldap://dc1.corp.example.com",
                        "LDAP_STARTTLS", "true",
                        "LDAP_BIND_DN_TEMPLATE", "{user}@corp.example.com",
                        "LDAP_ALLOW_ANY_USER", "true"))
                .orElseThrow();
        assertThat(upn.mode()).isEqualTo(LdapConfig.Mode.BIND);

        LdapConfig openldap = LdapConfig.read(Map.of(
                        "LDAP_SERVERS", "ldap://ldap1.example.com:389 ldap://ldap2.example.com:389",
                        "LDAP_STARTTLS", "true",
                        "LDAP_BIND_DN_TEMPLATE", "uid={user},ou=people,dc=example,dc=com",
                        "LDAP_REQUIRED_GROUPS", "name:redis-users"))
                .orElseThrow();
        assertThat(openldap.servers()).hasSize(2);
        assertThat(openldap.requiredGroups()).containsExactly("name:redis-users");
        assertThat(openldap.cacheTtl().toSeconds()).isEqualTo(300);
    }

    @Test
    void invalidSettingsAreAllReported() {
        List<String> p = problems(Map.of(
                "LDAP_SERVERS", "http://x,ldap://",
                "LDAP_MODE", "search+bind",
                "LDAP_SEARCH_FILTER", "(uid=alice",
                "LDAP_STARTTLS", "maybe",
                "LDAP_CACHE_TTL", "-1s"));
        assertThat(String.join("\n", p))
                .contains("LDAP_SERVERS must be ldap://")
                .contains("LDAP_BIND_DN and")
                .contains("LDAP_SEARCH_BASE is required")
                .contains("LDAP_SEARCH_FILTER must contain {user}")
                .contains("LDAP_STARTTLS must be true or false")
                .contains("LDAP_CACHE_TTL")
                .contains("no LDAP authorization rule");
        assertThat(problems(Map.of(
                        "LDAP_SERVERS", "ldaps://h",
                        "LDAP_BIND_DN_TEMPLATE", "uid=x{user},dc=x",
                        "LDAP_ALLOW_ANY_USER", "true")))
                .singleElement()
                .asString()
                .contains("whole value of one RDN");
        assertThat(problems(Map.of(
                        "LDAP_SERVERS", "ldaps://h",
                        "LDAP_BIND_DN_TEMPLATE", "uid={user},dc=x",
                        "LDAP_NESTED_GROUPS", "true",
                        "LDAP_ALLOW_ANY_USER", "true")))
                .singleElement()
                .asString()
                .contains("LDAP_GROUP_SEARCH_BASE");
    }

    @Test
    void groupsAreDnsOrExplicitNamesAndABareNameIsRefusedWithBothWaysToWriteIt() throws Exception {
        LdapConfig c = LdapConfig.read(Map.of(
                        "LDAP_SERVERS", "ldaps://h",
                        "LDAP_BIND_DN_TEMPLATE", "uid={user},dc=x",
                        "LDAP_ALLOWED_GROUPS", "CN=Redis Users, OU=Groups,DC=x;name:Redis Readers"))
                .orElseThrow();
        assertThat(c.allowedGroups()).containsExactlyInAnyOrder("cn=redis users,ou=groups,dc=x", "name:redis readers");
        assertThat(problems(Map.of(
                        "LDAP_SERVERS", "ldaps://h",
                        "LDAP_BIND_DN_TEMPLATE", "uid={user},dc=x",
                        "LDAP_REQUIRED_GROUPS", "Redis Users;cn=x,,")))
                .contains(
                        "LDAP_REQUIRED_GROUPS: \"Redis Users\" is neither a DN nor name:<group name>: write the group's"
                                + " DN (cn=Redis Users,ou=groups,dc=example,dc=com) to match that one group, or"
                                + " name:Redis Users to match every directory group named \"Redis Users\" in any OU",
                        "LDAP_REQUIRED_GROUPS: \"cn=x,,\" is not a valid DN (RFC 4514): write a group DN such as"
                                + " cn=Redis Users,ou=groups,dc=example,dc=com, or name:<group name>");
    }

    @Test
    void clearTextLdapOffLoopbackIsRefusedUnlessStartTlsOrExplicitlyAllowed() throws Exception {
        Map<String, String> base = new java.util.HashMap<>(Map.of(
                "LDAP_SERVERS", "ldaps://dc1.corp.example.com,ldap://dc2.corp.example.com",
                "LDAP_BIND_DN_TEMPLATE", "uid={user},dc=x",
                "LDAP_ALLOW_ANY_USER", "true"));
        assertThat(problems(base))
                .containsExactly("LDAP_SERVERS ldap://dc2.corp.example.com:389 is not a loopback address and uses"
                        + " neither LDAPS nor StartTLS: users' passwords would cross the network in clear. Use"
                        + " ldaps://dc2.corp.example.com:636, or set LDAP_STARTTLS=true, or set"
                        + " LDAP_ALLOW_PLAINTEXT=true if the network is otherwise protected");
        Map<String, String> allowed = new java.util.HashMap<>(base);
        allowed.put("LDAP_ALLOW_PLAINTEXT", "true");
        assertThat(LdapConfig.read(allowed).orElseThrow().servers()).hasSize(2);
        Map<String, String> loopback = new java.util.HashMap<>(base);
        loopback.put("LDAP_SERVERS", "ldap://127.0.0.1:389,ldap://localhost:10389,ldap://[::1]:389");
        assertThat(LdapConfig.read(loopback).orElseThrow().servers()).hasSize(3);
        Map<String, String> startTls = new java.util.HashMap<>(base);
        startTls.put("LDAP_SERVERS", "ldap://dc2.corp.example.com");
        startTls.put("LDAP_STARTTLS", "true");
        assertThat(LdapConfig.read(startTls).orElseThrow().tls()).isTrue();
    }

    @Test
    void sessionMaxAgeIsOptionalAndPositive() throws Exception {
        Map<String, String> base = new java.util.HashMap<>(Map.of(
                "LDAP_SERVERS",
                "ldaps://h",
                "LDAP_BIND_DN_TEMPLATE",
                "uid={user},dc=x",
                "LDAP_ALLOW_ANY_USER",
                "true"));
        assertThat(LdapConfig.read(base).orElseThrow().sessionMaxAge()).isNull();
        base.put("LDAP_SESSION_MAX_AGE", "8h");
        assertThat(LdapConfig.read(base).orElseThrow().sessionMaxAge()).isEqualTo(java.time.Duration.ofHours(8));
        base.put("LDAP_SESSION_MAX_AGE", "0s");
        assertThat(problems(base))
                .containsExactly(
                        "LDAP_SESSION_MAX_AGE must be a positive duration such as 30s, 5m or 500ms, got \"0s\"");
    }

    static final String ROLES_DECIDE_LDAP_ALLOWED =
            "ROLES_FILE decides who is admitted (a user must match a role): unset LDAP_ALLOWED_GROUPS and name those"
                    + " directory groups (DN or name) in the roles' match instead";
    static final String ROLES_DECIDE_LDAP_ANY = "ROLES_FILE decides who is admitted (a user must match a role): unset"
            + " LDAP_ALLOW_ANY_USER (a directory user matching no role is refused)";

    @Test
    void withRolesFileTheRolesDecideWhichDirectoryUsersAreAdmitted() throws Exception {
        Map<String, String> base = Map.of(
                "LDAP_SERVERS", "ldaps://h",
                "LDAP_BIND_DN_TEMPLATE", "uid={user},dc=x",
                "ROLES_FILE", "/etc/gateway/roles.yaml");
        LdapConfig c = LdapConfig.read(base).orElseThrow();
        assertThat(c.requiredGroups()).isEmpty();
        assertThat(c.allowedGroups()).isEmpty();
        assertThat(c.allowAnyUser()).isFalse();
        Map<String, String> required = new java.util.HashMap<>(base);
        required.put("LDAP_REQUIRED_GROUPS", "CN=Redis Users, OU=Groups,DC=x");
        assertThat(LdapConfig.read(required).orElseThrow().requiredGroups())
                .as("LDAP_REQUIRED_GROUPS still applies on top, as REQUIRED_GROUP_IDS does")
                .containsExactly("cn=redis users,ou=groups,dc=x");
        Map<String, String> both = new java.util.HashMap<>(base);
        both.put("LDAP_ALLOWED_GROUPS", "name:Readers");
        both.put("LDAP_ALLOW_ANY_USER", "true");
        assertThat(problems(both)).containsExactly(ROLES_DECIDE_LDAP_ALLOWED, ROLES_DECIDE_LDAP_ANY);
        Map<String, String> none = new java.util.HashMap<>(base);
        none.remove("ROLES_FILE");
        assertThat(problems(none))
                .containsExactly("no LDAP authorization rule: set ROLES_FILE, LDAP_REQUIRED_GROUPS or"
                        + " LDAP_ALLOWED_GROUPS, or set LDAP_ALLOW_ANY_USER=true to admit every user the directory"
                        + " authenticates");
    }

    static Map<String, String> gateway(String... kv) {
        Map<String, String> m = new java.util.HashMap<>(Map.of(
                "TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "EXPECTED_AUDIENCE", "api://redis-gateway",
                "ALLOW_ANY_TENANT_USER", "true",
                "LISTEN_ADDR", "127.0.0.1:6388",
                "REDIS_HOSTPORT", "localhost:6380"));
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void gatewayConfigCarriesTheLdapPartAndRedactsItsSecrets() throws Exception {
        GatewayConfig c = GatewayConfig.from(gateway(
                "LDAP_SERVERS", "ldap://localhost:389",
                "LDAP_BIND_DN_TEMPLATE", "uid={user},dc=x",
                "LDAP_BIND_DN", "cn=svc,dc=x",
                "LDAP_BIND_PASSWORD", "very-secret",
                "LDAP_ALLOW_ANY_USER", "true",
                "ADMIN_API_TOKEN", "admin-secret"));
        assertThat(c.ldap()).isPresent();
        assertThat(c.admin().apiToken()).contains("admin-secret");
        assertThat(c.summary() + c).doesNotContain("very-secret").doesNotContain("admin-secret");
        assertThat(GatewayConfig.from(gateway()).ldap()).isEmpty();
        assertThatThrownBy(() -> GatewayConfig.from(gateway("LDAP_SERVERS", "ldap://localhost:389")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("LDAP_BIND_DN_TEMPLATE is required");
    }

    @Test
    void ldapOnlyGatewayNeedsNoTenantButHalfAnEntraSetupIsAnError() throws Exception {
        Map<String, String> env = gateway(
                "LDAP_SERVERS", "ldap://localhost:389",
                "LDAP_BIND_DN_TEMPLATE", "uid={user},dc=x",
                "LDAP_ALLOW_ANY_USER", "true");
        env.remove("TENANT_ID");
        env.remove("EXPECTED_AUDIENCE");
        env.remove("ALLOW_ANY_TENANT_USER");
        GatewayConfig c = GatewayConfig.from(env);
        assertThat(c.entra().enabled()).isFalse();
        assertThat(c.ldap()).isPresent();
        env.put("TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assertThatThrownBy(() -> GatewayConfig.from(env))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("EXPECTED_AUDIENCE");
        env.remove("TENANT_ID");
        env.remove("LDAP_SERVERS");
        env.remove("LDAP_BIND_DN_TEMPLATE");
        env.remove("LDAP_ALLOW_ANY_USER");
        assertThatThrownBy(() -> GatewayConfig.from(env))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("TENANT_ID is required");
    }

    @Test
    void routingRuleIsByPasswordShapeOnly() {
        assertThat(RoutingAuthenticator.looksLikeJwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"))
                .isTrue();
        assertThat(RoutingAuthenticator.looksLikeJwt("eyJhbGciOiJSUzI1NiJ9.eyJ."))
                .isTrue();
        assertThat(RoutingAuthenticator.looksLikeJwt("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"))
                .as("JWE")
                .isTrue();
        assertThat(RoutingAuthenticator.looksLikeJwt("my.pass.word")).isFalse();
        assertThat(RoutingAuthenticator.looksLikeJwt("eyJ no spaces.a.b")).isFalse();
        assertThat(RoutingAuthenticator.looksLikeJwt("eyJabc")).isFalse();
        assertThat(RoutingAuthenticator.looksLikeJwt("eyJa.b.c.d"))
                .as("four segments")
                .isFalse();
        assertThat(RoutingAuthenticator.looksLikeJwt("")).isFalse();
        assertThat(RoutingAuthenticator.looksLikeJwt(null)).isFalse();
    }
}
