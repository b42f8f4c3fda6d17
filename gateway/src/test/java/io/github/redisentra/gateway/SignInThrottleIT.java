package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.ldap.TestDirectory;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Password guessing through the assembled gateway (GatewayRuntime wiring, real sockets, a real LDAP server): the
 * directory sees at most {@code AUTH_FAILURES_PER_USER} failed binds per user name however the guesses arrive (one
 * after another or 10 in parallel), an address that failed {@code AUTH_FAILURES_PER_ADDRESS} times is refused while
 * another address signs in, every throttled refusal is a Redis-style {@code -ERR} saying when to retry, counted in
 * {@code /metrics} and audited.
 */
@Timeout(120)
class SignInThrottleIT {
    static final String USER_THROTTLED = "-ERR too many failed sign-ins for this user name; try again in ";
    static final String ADDRESS_THROTTLED = "-ERR too many failed sign-ins from this address; try again in ";

    @TempDir
    Path dir;

    static String auth(String user, String password) {
        return "*3\r\n$4\r\nAUTH\r\n$" + user.length() + "\r\n" + user + "\r\n$" + password.length() + "\r\n" + password
                + "\r\n";
    }

    /** A raw connection from {@code local}: sends {@code AUTH}, returns the reply line. */
    static String authFrom(String local, int port, String user, String password) throws Exception {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(local, 0));
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(auth(user, password).getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    @Test
    void guessingIsStoppedPerUserBeforeTheDirectoryCouldLockAndPerAddressWhileOthersSignIn() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create("throttle-ca");
        ListAppender<ILoggingEvent> audit = new ListAppender<>();
        audit.start();
        ((Logger) LoggerFactory.getLogger(AuditLog.LOGGER)).addAppender(audit);
        try (RedisServer redis =
                        RedisServer.builder().requirePass("upstream-pw").start();
                TestDirectory ldap = new TestDirectory(ca)) {
            Map<String, String> env = new HashMap<>();
            env.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.port());
            env.put("REDIS_TLS", "false");
            env.put("REDIS_PASSWORD", "upstream-pw");
            env.put("LISTEN_ADDR", "127.0.0.1:0");
            env.put("ADMIN_ADDR", "127.0.0.1:0");
            env.put("DRAIN_TIMEOUT", "2s");
            env.put("LDAP_SERVERS", ldap.ldapsUrl());
            env.put(
                    "LDAP_CA_FILE",
                    ca.writeCertificatePem(dir.resolve("ca.pem")).toString());
            env.put("LDAP_BIND_DN_TEMPLATE", "uid={user}," + TestDirectory.PEOPLE);
            env.put("LDAP_ALLOW_ANY_USER", "true");
            env.put("LDAP_CACHE_TTL", "0s");
            env.put("AUTH_FAILURES_PER_USER", "3");
            env.put("AUTH_FAILURES_PER_ADDRESS", "8");
            env.put("AUTH_FAILURE_DELAY", "100ms");
            try (GatewayRuntime runtime = GatewayRuntime.create(GatewayConfig.from(env), Clock.systemUTC())) {
                runtime.start(RespListenerWiring::start);
                int port = runtime.listener().orElseThrow().localAddress().getPort();

                // one after another: three guesses reach the directory, the fourth attempt does not (right password)
                try (RedisCli c = RedisCli.connect("127.0.0.1", port)) {
                    for (int i = 0; i < 3; i++) {
                        String guess = "guess-" + i;
                        assertThatThrownBy(() -> c.call("AUTH", "alice", guess)).hasMessageContaining("WRONGPASS");
                    }
                    assertThatThrownBy(() -> c.call("AUTH", "alice", "alice-pw"))
                            .hasMessageContaining(USER_THROTTLED.substring(1));
                }
                assertThat(ldap.userBinds("alice"))
                        .as("binds the directory saw for alice")
                        .isEqualTo(3);

                // ten guesses in parallel, each on its own connection: still three binds
                List<Socket> sockets = new ArrayList<>();
                try {
                    for (int i = 0; i < 10; i++) {
                        Socket s = new Socket("127.0.0.1", port);
                        s.setSoTimeout(30_000);
                        sockets.add(s);
                    }
                    for (Socket s : sockets) {
                        s.getOutputStream().write(auth("bob", "parallel-guess").getBytes(StandardCharsets.UTF_8));
                    }
                    int wrongpass = 0;
                    int throttled = 0;
                    for (Socket s : sockets) {
                        String line = new BufferedReader(
                                        new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                                .readLine();
                        if (line.startsWith("-WRONGPASS")) {
                            wrongpass++;
                        } else if (line.startsWith(USER_THROTTLED)) {
                            throttled++;
                        }
                    }
                    assertThat(wrongpass).isEqualTo(3);
                    assertThat(throttled).isEqualTo(7);
                } finally {
                    for (Socket s : sockets) {
                        s.close();
                    }
                }
                assertThat(ldap.userBinds("bob"))
                        .as("binds the directory saw for bob")
                        .isEqualTo(3);

                // a user who signs in correctly is admitted (6 failures from this address so far, limit 8)
                assertThat(authFrom("127.0.0.1", port, "slowpoke", "slowpoke-pw"))
                        .isEqualTo("+OK");
                assertThat(authFrom("127.0.0.1", port, "erin", "wrong")).startsWith("-WRONGPASS");
                assertThat(authFrom("127.0.0.1", port, "twin", "wrong")).startsWith("-WRONGPASS");
                // eight failures: this address is refused, another one is served
                assertThat(authFrom("127.0.0.1", port, "slowpoke", "slowpoke-pw"))
                        .startsWith(ADDRESS_THROTTLED);
                assertThat(authFrom("127.0.0.2", port, "slowpoke", "slowpoke-pw"))
                        .isEqualTo("+OK");

                String metrics = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                                + runtime.admin()
                                                        .orElseThrow()
                                                        .address()
                                                        .getPort() + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                assertThat(metrics)
                        .contains("redis_entra_gateway_auth_total{result=\"denied\",reason=\"throttled_user\"} 8")
                        .contains("redis_entra_gateway_auth_total{result=\"denied\",reason=\"throttled_address\"} 1");
            }
            List<String> throttledEvents = audit.list.stream()
                    .filter(e -> e.getKeyValuePairs() != null
                            && e.getKeyValuePairs().stream()
                                    .anyMatch(kv -> kv.key.equals("reason")
                                            && String.valueOf(kv.value).startsWith("throttled_")))
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
            assertThat(throttledEvents).hasSize(9).allMatch("client refused"::equals);
            assertThat(audit.list.toString()).doesNotContain("alice-pw").doesNotContain("parallel-guess");
        } finally {
            ((Logger) LoggerFactory.getLogger(AuditLog.LOGGER)).detachAppender(audit);
        }
    }
}
