package io.github.redisentra.gateway.auth.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.admin.AdminServer;
import io.github.redisentra.gateway.admin.GatewayMetrics;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.AuthRequest;
import io.github.redisentra.gateway.config.LdapConfig;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The admin API (status, flush, reload) over real HTTP on the admin listener, against a real directory. */
@Timeout(120)
class LdapAdminApiTest {
    static final String TOKEN = "admin-test-token-123";

    @Test
    void statusFlushAndReloadNeedTheTokenAndWork() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create("ldap-admin-ca");
        try (TestDirectory first = new TestDirectory(ca);
                TestDirectory second = new TestDirectory(ca)) {
            Map<String, String> env = new ConcurrentHashMap<>(LdapAuthenticatorTest.bindMode(first.ldapUrl()));
            GatewayMetrics metrics = new GatewayMetrics(Clock.systemUTC());
            try (LdapAuthenticator ldap = LdapAuthenticator.create(
                            LdapConfig.read(env).orElseThrow(), new AuditLog(), Clock.systemUTC());
                    AdminServer admin = AdminServer.start(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), metrics, List.of())) {
                metrics.addSection(ldap.metrics()::render);
                admin.route(LdapAdminApi.PREFIX, new LdapAdminApi(ldap, TOKEN, () -> env));
                String base = "http://127.0.0.1:" + admin.address().getPort();
                HttpClient http = HttpClient.newHttpClient();

                auth(ldap, "alice", "alice-pw");
                auth(ldap, "slowpoke", "slowpoke-pw");
                auth(ldap, "alice", "alice-pw");
                assertThat(first.userBinds("alice")).isEqualTo(1);

                assertThat(send(http, "GET", base + "/admin/ldap/status", null).statusCode())
                        .isEqualTo(401);
                assertThat(send(http, "GET", base + "/admin/ldap/status", "wrong")
                                .statusCode())
                        .isEqualTo(401);
                assertThat(send(http, "POST", base + "/admin/ldap/flush", null).statusCode())
                        .isEqualTo(401);

                HttpResponse<String> status = send(http, "GET", base + "/admin/ldap/status", TOKEN);
                assertThat(status.statusCode()).isEqualTo(200);
                assertThat(status.body())
                        .contains("\"url\":\"ldap://localhost:" + first.ldapPort + "\"")
                        .contains("\"entries\":2")
                        .contains("\"hits\":1")
                        .contains("\"allowed\":3")
                        .doesNotContain("alice-pw");

                HttpResponse<String> one = send(http, "POST", base + "/admin/ldap/flush?user=alice", TOKEN);
                assertThat(one.body()).contains("\"flushed\":1");
                auth(ldap, "alice", "alice-pw");
                assertThat(first.userBinds("alice")).isEqualTo(2);
                auth(ldap, "slowpoke", "slowpoke-pw");
                assertThat(first.userBinds("slowpoke"))
                        .as("other user still cached")
                        .isEqualTo(1);
                assertThat(send(http, "POST", base + "/admin/ldap/flush", TOKEN).body())
                        .contains("\"flushed\":2");
                assertThat(send(http, "GET", base + "/admin/ldap/flush", TOKEN).statusCode())
                        .isEqualTo(405);

                env.put("LDAP_SEARCH_SCOPE", "everything");
                HttpResponse<String> bad = send(http, "POST", base + "/admin/ldap/reload", TOKEN);
                assertThat(bad.statusCode()).isEqualTo(400);
                assertThat(bad.body()).contains("LDAP_SEARCH_SCOPE");
                env.remove("LDAP_SEARCH_SCOPE");

                env.put("LDAP_SERVERS", second.ldapUrl());
                assertThat(send(http, "POST", base + "/admin/ldap/reload", TOKEN)
                                .statusCode())
                        .isEqualTo(200);
                auth(ldap, "alice", "alice-pw");
                assertThat(second.userBinds("alice")).as("reloaded: new server").isEqualTo(1);
                assertThat(send(http, "GET", base + "/admin/ldap/status", TOKEN).body())
                        .contains("ldap://localhost:" + second.ldapPort);

                HttpResponse<String> prom = send(http, "GET", base + "/metrics", null);
                assertThat(prom.body())
                        .contains("redis_entra_gateway_ldap_auth_total{result=\"allowed\",reason=\"\"} 6")
                        .contains("redis_entra_gateway_ldap_cache_misses_total")
                        .contains("redis_entra_gateway_ldap_latency_seconds{operation=\"bind\",quantile=\"0.5\"}");
            }
        }
    }

    static void auth(LdapAuthenticator ldap, String user, String pw) throws Exception {
        AuthDecision d = ldap.authenticate(new AuthRequest(user, pw, null))
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        assertThat(d).as(user).isInstanceOf(AuthDecision.Allowed.class);
    }

    static HttpResponse<String> send(HttpClient http, String method, String url, String token) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
