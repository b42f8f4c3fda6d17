package io.github.redisentra.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.session.GatewayEvents;
import io.github.redisentra.testkit.RedisServer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * redis-py (Debian's {@code python3-redis}, RESP2) and an interactive {@code redis-cli} through {@code redis-entra
 * connect} to the gateway (TLS, clock skew 0, so a session whose token expired gets {@code -NOAUTH}) and a TLS
 * redis-server, across several renewals of short-lived user tokens: the INCR counter loses nothing, the subscriber
 * receives every message exactly once, in order, while it is moved make-before-break at each renewal.
 *
 * <p>By default 12 s tokens for 15 s (about four renewals); {@code -Dredisentra.cli.longRun=true} runs issue #20's
 * acceptance run instead: 20 s tokens for 130 s. Both at the command's default renewal schedule. Skipped with a message when {@code
 * python3} with the {@code redis} module (Debian: {@code apt-get install python3-redis}) or {@code redis-cli} is
 * missing.
 */
class ConnectPythonIT {
    @TempDir
    static Path home;

    static CliHarness h;
    static AppRegistration shortApi;
    static RedisServer redis;
    static GatewayHarness g;
    static GatewayServer gateway;
    static final AtomicInteger allowed = new AtomicInteger();
    static final AtomicInteger denied = new AtomicInteger();
    static Path cacheDir;

    @BeforeAll
    static void start() throws Exception {
        h = new CliHarness(home, b -> {});
        shortApi = h.tenant.registerApp(
                AppSpec.api("short-api").acceptedTokenVersion(2).tokenLifetime(RenewalDrill.TOKEN_LIFETIME));
        g = new GatewayHarness(
                h, "py-it", List.of(shortApi.clientId(), shortApi.appIdUri()), "0s", new GatewayEvents() {
                    @Override
                    public void authDecided(AuthDecision decision) {
                        (decision instanceof AuthDecision.Allowed ? allowed : denied).incrementAndGet();
                    }
                });
        redis = g.redis;
        gateway = g.gateway;
        cacheDir = home.resolve("alice-cache");
        h.login(cacheDir, h.alice, shortApi.defaultScope());
    }

    @AfterAll
    static void stop() {
        GatewayHarness.closeQuietly(g, h);
    }

    @Test
    void redisPyAndRedisCliLoseNothingAcrossRenewals() throws Exception {
        Optional<String> python = pythonWithRedis();
        assumeTrue(
                python.isPresent(),
                "python3 with redis-py is needed for this test (Debian/Ubuntu: apt-get install python3-redis)");
        assumeTrue(TokenForRedisCliIT.onPath("redis-cli"), "redis-cli (Debian: redis-tools) is needed");
        Path script = home.resolve("redis_py_through_tunnel.py");
        try (InputStream in = ConnectPythonIT.class.getResourceAsStream("redis_py_through_tunnel.py")) {
            Files.write(script, in.readAllBytes());
        }
        // the command's default renewal schedule (Tunnel.refreshPolicy(): no later than 9 s before expiry, ahead of
        // the session's 5 s upstream guard)
        int allowedBefore = allowed.get();
        int deniedBefore = denied.get();
        CompletableFuture<Tunnel> listening = new CompletableFuture<>();
        CompletableFuture<CliHarness.Run> run = CompletableFuture.supplyAsync(() -> h.run(
                h.env(cacheDir),
                c -> c.onListening = listening::complete,
                "connect",
                "--listen",
                "127.0.0.1:0",
                "--gateway",
                "localhost:" + gateway.localAddress().getPort(),
                "--scope",
                shortApi.defaultScope(),
                "--upstream-ca-file",
                redis.caFile().toString()));
        CompletableFuture.anyOf(listening, run).get(60, TimeUnit.SECONDS);
        assertThat(listening)
                .as("connect listening, else: %s", run.getNow(null))
                .isDone();
        Tunnel tunnel = listening.get();
        int port = tunnel.localAddress().getPort();
        try {
            Process py = new ProcessBuilder(
                            python.get(),
                            script.toString(),
                            Integer.toString(port),
                            Long.toString(RenewalDrill.RUN_FOR.toSeconds()),
                            "py:counter",
                            "py:channel")
                    .redirectErrorStream(true)
                    .start();
            // meanwhile an interactive redis-cli session, typed on its stdin once a second
            Process cli = new ProcessBuilder(
                            "redis-cli",
                            "-h",
                            "127.0.0.1",
                            "-p",
                            Integer.toString(port),
                            "-a",
                            "local",
                            "--no-auth-warning")
                    .redirectErrorStream(true)
                    .start();
            Writer typed = new java.io.OutputStreamWriter(cli.getOutputStream(), StandardCharsets.UTF_8);
            BufferedReader shown =
                    new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
            int typedCount = 0;
            while (py.isAlive()) {
                typedCount++;
                typed.write("INCR cli:interactive\n");
                typed.flush();
                assertThat(shown.readLine()).isEqualTo(Integer.toString(typedCount));
                py.waitFor(1, TimeUnit.SECONDS);
            }
            typed.close();
            assertThat(cli.waitFor(10, TimeUnit.SECONDS)).isTrue();
            String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(py.exitValue()).as("redis-py script output: %s", out).isZero();
            List<String> lines = new ArrayList<>(out.strip().lines().toList());
            String last = lines.get(lines.size() - 1);
            assertThat(last).startsWith("done ");
            long incrs = Long.parseLong(last.substring("done ".length()));
            assertThat(incrs).isPositive();
            // what the script counted is what the server holds: no INCR lost or doubled
            assertThat(redis.cli().callString("GET", "py:counter")).isEqualTo(Long.toString(incrs));
            assertThat(redis.cli().callString("GET", "cli:interactive")).isEqualTo(Integer.toString(typedCount));
        } finally {
            tunnel.close();
        }
        assertThat(run.get(30, TimeUnit.SECONDS).exitCode()).isZero();
        // the run outlived the first token (the gateway's clock skew is 0: no -NOAUTH means every connection was
        // re-authenticated); the start-up check plus three connections (redis-py's command and subscriber
        // connections, redis-cli) authenticated first and again at two renewals or more each
        assertThat(RenewalDrill.RUN_FOR).isGreaterThan(RenewalDrill.TOKEN_LIFETIME);
        assertThat(allowed.get() - allowedBefore).isGreaterThanOrEqualTo(1 + 3 * 3);
        assertThat(denied.get()).isEqualTo(deniedBefore);
    }

    /** /usr/bin/python3 (Debian's, where python3-redis installs) or python3 on PATH, if it imports redis. */
    static Optional<String> pythonWithRedis() {
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import redis")
                        .redirectErrorStream(true)
                        .start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return Optional.of(candidate);
                }
            } catch (java.io.IOException e) {
                // not this one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
