package io.github.redisentra.gateway.auth.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.auth.AuditEvent;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.AuthRequest;
import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.LdapConfig;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The LDAP authenticator against a real in-memory directory over loopback sockets (plain, StartTLS, LDAPS). */
@Timeout(120)
class LdapAuthenticatorTest {
    static TestCertificateAuthority ca;
    static TestDirectory dir;
    static Path caFile;

    @TempDir
    static Path tmp;

    final List<AuditEvent> audit = new CopyOnWriteArrayList<>();
    final MutableClock clock = new MutableClock();
    LdapAuthenticator ldap;

    @BeforeAll
    static void startDirectory() throws Exception {
        ca = TestCertificateAuthority.create("ldap-test-ca");
        dir = new TestDirectory(ca);
        caFile = ca.writeCertificatePem(tmp.resolve("ca.pem"));
    }

    @AfterAll
    static void stopDirectory() {
        dir.close();
    }

    @BeforeEach
    void clear() {
        dir.binds.clear();
        dir.filters.clear();
        dir.boundDns.clear();
    }

    @AfterEach
    void close() {
        if (ldap != null) {
            ldap.close();
        }
    }

    static final class MutableClock extends Clock {
        volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    static Map<String, String> bindMode(String url) {
        Map<String, String> m = new HashMap<>();
        m.put("LDAP_SERVERS", url);
        m.put("LDAP_BIND_DN_TEMPLATE", "uid={user}," + TestDirectory.PEOPLE);
        m.put("LDAP_ALLOW_ANY_USER", "true");
        m.put("LDAP_HEALTH_CHECK_INTERVAL", "1h");
        return m;
    }

    static Map<String, String> searchMode(String url) {
        Map<String, String> m = new HashMap<>();
        m.put("LDAP_SERVERS", url);
        m.put("LDAP_MODE", "search+bind");
        m.put("LDAP_BIND_DN", TestDirectory.SVC_DN);
        m.put("LDAP_BIND_PASSWORD", TestDirectory.SVC_PW);
        m.put("LDAP_SEARCH_BASE", TestDirectory.BASE);
        m.put("LDAP_SEARCH_FILTER", "(&(objectClass=inetOrgPerson)(uid={user}))");
        m.put("LDAP_ALLOW_ANY_USER", "true");
        m.put("LDAP_HEALTH_CHECK_INTERVAL", "1h");
        return m;
    }

    LdapAuthenticator start(Map<String, String> env) throws Exception {
        LdapConfig c = LdapConfig.read(env).orElseThrow();
        ldap = LdapAuthenticator.create(c, new AuditLog(List.of(audit::add)), clock);
        return ldap;
    }

    AuthDecision auth(String user, String password) throws Exception {
        return ldap.authenticate(new AuthRequest(user, password, new InetSocketAddress("127.0.0.1", 50000)))
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
    }

    static String reason(AuthDecision d) {
        return d instanceof AuthDecision.Denied den ? den.reason() : "allowed";
    }

    AuditEvent lastAudit() {
        return audit.get(audit.size() - 1);
    }

    @Test
    void bindModeAdmitsWithGroupsAsDnsAndNames() throws Exception {
        start(bindMode(dir.ldapUrl()));
        AuthDecision d = auth("alice", "alice-pw");
        assertThat(d).isInstanceOf(AuthDecision.Allowed.class);
        Principal p = ((AuthDecision.Allowed) d).principal();
        assertThat(p.objectId()).isEqualTo("alice");
        assertThat(p.displayName()).isEqualToIgnoringCase("uid=alice," + TestDirectory.PEOPLE);
        assertThat(p.groups())
                .contains("cn=redis users,ou=groups,dc=example,dc=com", "name:redis users", "name:readers");
        assertThat(lastAudit().result()).isEqualTo("allowed");
        assertThat(lastAudit().objectId()).isEqualTo("alice");
        assertThat(lastAudit().displayName()).isEqualToIgnoringCase("uid=alice," + TestDirectory.PEOPLE);
        assertThat(dir.userBinds("alice")).isEqualTo(1);
    }

    @Test
    void bindModeRefusals() throws Exception {
        start(bindMode(dir.ldapUrl()));
        assertThat(reason(auth("alice", "wrong"))).isEqualTo("invalid_credentials");
        assertThat(lastAudit().reason()).isEqualTo("invalid_credentials");
        assertThat(reason(auth("nobody", "x"))).isEqualTo("invalid_credentials");
        assertThat(reason(auth("carol", "carol-pw"))).isEqualTo("account_disabled");
        assertThat(lastAudit().reason()).isEqualTo("account_disabled");
        assertThat(reason(auth("dave", "dave-pw"))).isEqualTo("account_locked");
        assertThat(reason(auth("erin", "erin-pw")))
                .as("ppolicy response control")
                .isEqualTo("account_locked");
        assertThat(lastAudit().detail()).contains("password policy");
        int before = dir.boundDns.size();
        assertThat(reason(auth("alice", ""))).isEqualTo("empty_password");
        assertThat(reason(auth(null, "alice-pw"))).isEqualTo("missing_username");
        assertThat(reason(auth("", "alice-pw"))).isEqualTo("missing_username");
        assertThat(reason(auth("ali\u0000ce", "alice-pw"))).isEqualTo("invalid_username");
        assertThat(dir.boundDns.size())
                .as("refused before reaching the directory")
                .isEqualTo(before);
        // No audit event carries the password.
        for (AuditEvent e : audit) {
            assertThat(String.valueOf(e)).doesNotContain("alice-pw").doesNotContain("carol-pw");
        }
    }

    @Test
    void bindModeEscapesDnSpecialsPerRfc4514() throws Exception {
        start(bindMode(dir.ldapUrl()));
        assertThat(reason(auth("alice,ou=people", "alice-pw"))).isEqualTo("invalid_credentials");
        assertThat(reason(auth("x+uid=alice", "alice-pw"))).isEqualTo("invalid_credentials");
        assertThat(reason(auth("*", "alice-pw"))).isEqualTo("invalid_credentials");
        assertThat(dir.boundDns)
                .contains("uid=alice\\,ou=people," + TestDirectory.PEOPLE, "uid=x\\+uid=alice," + TestDirectory.PEOPLE);
        assertThat(dir.userBinds("alice")).as("never bound as alice").isZero();
    }

    @Test
    void upnTemplateRefusesNamesThatCouldNameAnotherPrincipal() throws Exception {
        assertThat(LdapDirectory.bindName("{user}@corp.example.com", "alice")).isEqualTo("alice@corp.example.com");
        for (String bad : List.of("alice@evil.example", "CORP\\alice", "a,b", "a b", "*", "a=b", "a(b)")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> LdapDirectory.bindName("{user}@corp.example.com", bad))
                    .as(bad)
                    .isInstanceOfSatisfying(
                            LdapDirectory.Refusal.class,
                            r -> assertThat(r.reason).isEqualTo("invalid_username"));
        }
    }

    @Test
    void searchBindAdmitsAndRefuses() throws Exception {
        start(searchMode(dir.ldapUrl()));
        assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(reason(auth("alice", "nope"))).isEqualTo("invalid_credentials");
        assertThat(reason(auth("nobody", "x"))).isEqualTo("unknown_user");
        assertThat(lastAudit().reason()).isEqualTo("unknown_user");
        assertThat(reason(auth("twin", "twin-pw"))).isEqualTo("ambiguous_user");
        assertThat(reason(auth("carol", "carol-pw"))).isEqualTo("account_disabled");
        assertThat(dir.bindsOf("uid=twin," + TestDirectory.PEOPLE)).isZero();
    }

    @Test
    void searchBindEscapesFilterInjectionPerRfc4515() throws Exception {
        start(searchMode(dir.ldapUrl()));
        for (String attack : List.of("*", "*)(uid=*", "alice)(|(uid=*", "\\", "al*", "alice\\2a")) {
            assertThat(reason(auth(attack, "alice-pw"))).as(attack).isEqualTo("unknown_user");
        }
        assertThat(reason(auth("alice\u0000", "alice-pw"))).isEqualTo("invalid_username");
        assertThat(dir.userBinds("alice")).as("no injected filter found alice").isZero();
        assertThat(dir.filters)
                .contains(
                        "(&(objectClass=inetOrgPerson)(uid=\\2a))",
                        "(&(objectClass=inetOrgPerson)(uid=\\2a\\29\\28uid=\\2a))",
                        "(&(objectClass=inetOrgPerson)(uid=\\5c))");
    }

    @Test
    void ldapsAndStartTlsWithCaFile() throws Exception {
        Map<String, String> env = searchMode(dir.ldapsUrl());
        env.put("LDAP_CA_FILE", caFile.toString());
        start(env);
        assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
        ldap.close();

        env = bindMode(dir.ldapUrl());
        env.put("LDAP_STARTTLS", "true");
        env.put("LDAP_CA_FILE", caFile.toString());
        start(env);
        assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
    }

    @Test
    void untrustedDirectoryCertificateIsRefused() throws Exception {
        Path otherCa = TestCertificateAuthority.create("other-ca").writeCertificatePem(tmp.resolve("other.pem"));
        Map<String, String> env = bindMode(dir.ldapsUrl());
        env.put("LDAP_CA_FILE", otherCa.toString());
        start(env);
        assertThat(reason(auth("alice", "alice-pw"))).isEqualTo("directory_unavailable");
        assertThat(dir.userBinds("alice")).isZero();

        env = bindMode(dir.ldapUrl());
        env.put("LDAP_STARTTLS", "true");
        env.put("LDAP_CA_FILE", otherCa.toString());
        ldap.close();
        start(env);
        assertThat(reason(auth("alice", "alice-pw"))).isEqualTo("directory_unavailable");
        assertThat(dir.userBinds("alice"))
                .as("no password sent over an unverified channel")
                .isZero();
    }

    @Test
    void hostNameIsCheckedUnlessTurnedOff() throws Exception {
        Map<String, String> env = bindMode("ldaps://127.0.0.2:" + dir.otherNamePort);
        env.put("LDAP_CA_FILE", caFile.toString());
        start(env);
        assertThat(reason(auth("alice", "alice-pw")))
                .as("certificate names localhost/127.0.0.1, not 127.0.0.2")
                .isEqualTo("directory_unavailable");
        assertThat(dir.userBinds("alice")).isZero();
        ldap.close();
        env.put("LDAP_TLS_VERIFY_HOSTNAME", "false");
        start(env);
        assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
    }

    @Test
    void clientCertificateIsPresented() throws Exception {
        var client = ca.issueClientCertificate("redis-gateway");
        Path cert = client.writeCertificatePem(tmp.resolve("client.crt"));
        Path key = client.writePrivateKeyPem(tmp.resolve("client.key"));
        Map<String, String> env = bindMode(dir.ldapsUrl());
        env.put("LDAP_CA_FILE", caFile.toString());
        env.put("LDAP_CLIENT_CERT_FILE", cert.toString());
        env.put("LDAP_CLIENT_KEY_FILE", key.toString());
        start(env);
        assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(Files.readString(key)).contains("PRIVATE KEY");
    }

    @Test
    void groupPolicyFromMemberOfAndFromGroupSearch() throws Exception {
        Map<String, String> env = bindMode(dir.ldapUrl());
        env.remove("LDAP_ALLOW_ANY_USER");
        env.put("LDAP_ALLOWED_GROUPS", "CN=Redis Users, OU=Groups, DC=example, DC=com");
        start(env);
        AuthDecision a = auth("alice", "alice-pw");
        assertThat(a).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(lastAudit().groups()).containsExactly("cn=redis users,ou=groups,dc=example,dc=com");
        assertThat(reason(auth("bob", "bob-pw"))).isEqualTo("missing_group");
        assertThat(lastAudit().reason()).isEqualTo("missing_group");
        ldap.close();

        env = searchMode(dir.ldapUrl());
        env.remove("LDAP_ALLOW_ANY_USER");
        env.put("LDAP_GROUP_SEARCH_BASE", TestDirectory.GROUPS);
        env.put("LDAP_REQUIRED_GROUPS", "name:Readers");
        start(env);
        AuthDecision b = auth("alice", "alice-pw");
        assertThat(b).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(((AuthDecision.Allowed) b).principal().groups()).contains("name:readers", "name:redis users");
        assertThat(dir.filters).contains("(member=uid=alice,ou=people,dc=example,dc=com)");
        assertThat(reason(auth("slowpoke", "slowpoke-pw"))).isEqualTo("missing_group");
    }

    @Test
    void nestedGroupsUseTheInChainRule() throws Exception {
        Map<String, String> env = searchMode(dir.ldapUrl());
        env.put("LDAP_GROUP_SEARCH_BASE", TestDirectory.GROUPS);
        env.put("LDAP_NESTED_GROUPS", "true");
        LdapConfig c = LdapConfig.read(env).orElseThrow();
        assertThat(c.groupSearchFilter()).isEqualTo("(member:1.2.840.113556.1.4.1941:={dn})");
        assertThat(LdapDirectory.filter(c.groupSearchFilter(), "a", "cn=a\\,b,dc=x")
                        .toString())
                .isEqualTo("(member:1.2.840.113556.1.4.1941:=cn=a\\5c,b,dc=x)");
    }

    @Test
    void cacheHitAvoidsBindAndExpiryFlushAndNewPasswordDoNot() throws Exception {
        start(bindMode(dir.ldapUrl()));
        assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(dir.userBinds("alice")).as("second sign-in from the cache").isEqualTo(1);
        assertThat(ldap.metrics().cacheHits()).isEqualTo(1);

        assertThat(reason(auth("alice", "other")))
                .as("other password is not a hit")
                .isEqualTo("invalid_credentials");
        assertThat(reason(auth("alice", "other"))).as("failures are not cached").isEqualTo("invalid_credentials");
        assertThat(dir.userBinds("alice")).isEqualTo(3);

        clock.advance(Duration.ofSeconds(299));
        auth("alice", "alice-pw");
        assertThat(dir.userBinds("alice")).isEqualTo(3);
        clock.advance(Duration.ofSeconds(2));
        auth("alice", "alice-pw");
        assertThat(dir.userBinds("alice")).as("TTL (300 s) expired").isEqualTo(4);

        auth("alice", "alice-pw");
        assertThat(dir.userBinds("alice")).isEqualTo(4);
        assertThat(ldap.flushCache("alice")).isTrue();
        auth("alice", "alice-pw");
        assertThat(dir.userBinds("alice")).as("flushed user").isEqualTo(5);
        assertThat(ldap.flushCache()).isEqualTo(1);
        auth("alice", "alice-pw");
        assertThat(dir.userBinds("alice")).as("flushed all").isEqualTo(6);
        assertThat(ldap.metrics().render()).contains("redis_entra_gateway_ldap_cache_hits_total 3");
    }

    @Test
    void cacheIsLruBounded() throws Exception {
        Map<String, String> env = bindMode(dir.ldapUrl());
        env.put("LDAP_CACHE_MAX_ENTRIES", "1");
        start(env);
        auth("alice", "alice-pw");
        auth("slowpoke", "slowpoke-pw");
        auth("alice", "alice-pw");
        assertThat(dir.userBinds("alice")).isEqualTo(2);
        assertThat(ldap.metrics().cacheEvictions()).isEqualTo(2);
    }

    @Test
    void failsOverToTheSecondServerAndBack() throws Exception {
        try (TestDirectory second = new TestDirectory(ca)) {
            start(bindMode(dir.ldapUrl() + "," + second.ldapUrl()));
            assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
            assertThat(dir.userBinds("alice")).isEqualTo(1);
            ldap.flushCache();

            dir.stop();
            try {
                assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
                assertThat(second.userBinds("alice")).isEqualTo(1);
                ldap.checkServers();
                assertThat(ldap.status().toString()).contains("up=false");
                ldap.flushCache();
                assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
                assertThat(second.userBinds("alice")).isEqualTo(2);
            } finally {
                dir.start();
            }
            ldap.checkServers();
            ldap.flushCache();
            assertThat(auth("alice", "alice-pw")).isInstanceOf(AuthDecision.Allowed.class);
            assertThat(dir.userBinds("alice")).as("back on the first server").isEqualTo(2);
            assertThat(second.userBinds("alice")).isEqualTo(2);
            assertThat(ldap.metrics().render())
                    .contains("server_up{server=\"ldap://localhost:" + dir.ldapPort + "\"} 1")
                    .contains("latency_seconds{operation=\"bind\",quantile=\"0.99\"}");
        }
    }

    @Test
    void allServersDownIsDirectoryUnavailable() throws Exception {
        int dead = TestDirectory.freePort();
        start(bindMode("ldap://127.0.0.1:" + dead));
        assertThat(reason(auth("alice", "alice-pw"))).isEqualTo("directory_unavailable");
        assertThat(lastAudit().reason()).isEqualTo("directory_unavailable");
    }
}
