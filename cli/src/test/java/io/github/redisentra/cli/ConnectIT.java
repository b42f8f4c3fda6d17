package io.github.redisentra.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.session.GatewayEvents;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The command against real processes: redis-server (TLS), the gateway (in this JVM, TLS listener, its own Entra
 * authenticator against the emulator), an Azure cache stand-in, and the real redis-cli: {@code token} output as
 * {@code redis-cli -a}, {@code connect} to the gateway and straight to the cache, and its refusals.
 */
@Timeout(90)
class ConnectIT extends SignedInGatewayITBase {
    static final AtomicInteger gatewayAllowed = new AtomicInteger();
    static final AtomicInteger gatewayDenied = new AtomicInteger();
    static AppRegistration shortApi;

    @BeforeAll
    static void start() throws Exception {
        h = new CliHarness(home, b -> {});
        // a second gateway API whose user tokens live 12 s: renewals within the test's few seconds
        shortApi = h.tenant.registerApp(
                AppSpec.api("short-api").acceptedTokenVersion(2).tokenLifetime(Duration.ofSeconds(12)));
        GatewayEvents counting = new GatewayEvents() {
            @Override
            public void authDecided(AuthDecision decision) {
                (decision instanceof AuthDecision.Allowed ? gatewayAllowed : gatewayDenied).incrementAndGet();
            }
        };
        startGateway(
                "cli-it",
                List.of(h.api.clientId(), h.api.appIdUri(), shortApi.clientId(), shortApi.appIdUri()),
                "0s",
                counting);
    }

    static String gatewayAddress() {
        return "localhost:" + gateway.localAddress().getPort();
    }

    static String redisCli(int port, boolean tls, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", tls ? "localhost" : "127.0.0.1"));
        cmd.addAll(List.of("-p", Integer.toString(port)));
        if (tls) {
            cmd.addAll(List.of("--tls", "--cacert", redis.caFile().toString()));
        }
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    /** Runs {@code connect} in the background until the returned tunnel is closed. */
    record Running(Tunnel tunnel, CompletableFuture<CliHarness.Run> run) implements AutoCloseable {
        int port() {
            return tunnel.localAddress().getPort();
        }

        @Override
        public void close() throws java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
            tunnel.close();
            try {
                assertThat(run.get(30, TimeUnit.SECONDS).exitCode()).isZero();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    static Running connect(Path cacheDir, String... args) throws Exception {
        return connect(cacheDir, c -> {}, args);
    }

    static Running connect(Path cacheDir, Consumer<Cli> more, String... args) throws Exception {
        CompletableFuture<Tunnel> listening = new CompletableFuture<>();
        Consumer<Cli> setUp = c -> {
            c.onListening = listening::complete;
            more.accept(c);
        };
        List<String> all = new ArrayList<>(List.of("connect", "--listen", "127.0.0.1:0"));
        all.addAll(List.of(args));
        CompletableFuture<CliHarness.Run> run =
                CompletableFuture.supplyAsync(() -> h.run(h.env(cacheDir), setUp, all.toArray(String[]::new)));
        CompletableFuture.anyOf(listening, run).get(60, TimeUnit.SECONDS);
        if (!listening.isDone()) {
            throw new AssertionError("connect ended: " + run.get());
        }
        return new Running(listening.get(), run);
    }

    /** {@code connect} as alice to the gateway, for its API, trusting the server's CA; then {@code more} arguments. */
    static Running connectToTheGateway(String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--gateway",
                gatewayAddress(),
                "--scope",
                h.api.defaultScope(),
                "--upstream-ca-file",
                redis.caFile().toString()));
        args.addAll(List.of(more));
        return connect(aliceCache, args.toArray(String[]::new));
    }

    @Test
    void theTokenCommandsOutputIsRedisCliPasswordForTheGateway() throws Exception {
        CliHarness.Run token = h.run(h.env(aliceCache), c -> {}, "token", "--scope", h.api.defaultScope());
        assertThat(token.exitCode()).as("%s", token).isZero();
        int port = gateway.localAddress().getPort();
        // redis-cli -a "$(redis-entra token ...)": AUTH <token> as user "default", which the gateway accepts
        assertThat(redisCli(port, true, "--no-auth-warning", "-a", token.out().strip(), "SET", "cli:token", "1"))
                .isEqualTo("OK");
        CliHarness.Run user = h.run(h.env(aliceCache), c -> {}, "token", "--scope", h.api.defaultScope(), "--username");
        assertThat(redisCli(
                        port,
                        true,
                        "--no-auth-warning",
                        "--user",
                        user.out().strip(),
                        "-a",
                        token.out().strip(),
                        "GET",
                        "cli:token"))
                .isEqualTo("1");
    }

    /** The command in a process of its own (this JVM's class path, its own logging set-up), as a user runs it. */
    static Process commandProcess(Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith(Settings.ENV_PREFIX));
        pb.environment().putAll(env);
        pb.environment().put("HOME", home.toString());
        return pb.start();
    }

    @Test
    void aSeparateProcessSignsInByDeviceCodeAndItsTokenFeedsRedisCli() throws Exception {
        Map<String, String> env = h.env(home.resolve("process-cache"));
        Process login = commandProcess(env, "login", "--scope", h.api.defaultScope());
        // the person reads the code on stderr and enters it at the emulator's sign-in page
        java.io.BufferedReader err = new java.io.BufferedReader(
                new java.io.InputStreamReader(login.getErrorStream(), StandardCharsets.UTF_8));
        java.util.regex.Pattern code = java.util.regex.Pattern.compile("enter the code (\\S+) ");
        String line;
        String userCode = null;
        StringBuilder seen = new StringBuilder();
        while (userCode == null && (line = err.readLine()) != null) {
            seen.append(line).append('\n');
            java.util.regex.Matcher m = code.matcher(line);
            if (m.find()) {
                userCode = m.group(1);
            }
        }
        assertThat(userCode).as("device code prompt in: %s", seen).isNotNull();
        h.emu.approveDeviceCode(userCode, h.alice);
        assertThat(login.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(login.exitValue()).as("login stderr: %s", seen).isZero();
        assertThat(new String(login.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("Signed in as " + h.alice.upn());

        Process token = commandProcess(env, "token", "--scope", h.api.defaultScope());
        assertThat(token.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(token.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String tokenErr = new String(token.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(token.exitValue()).as("token stderr: %s", tokenErr).isZero();
        assertThat(tokenErr).as("nothing on stderr either").isEmpty();
        assertThat(out.lines()).hasSize(1);
        // redis-cli -a "$(redis-entra token --scope ...)" against the gateway
        assertThat(redisCli(gateway.localAddress().getPort(), true, "--no-auth-warning", "-a", out.strip(), "PING"))
                .isEqualTo("PONG");
    }

    @Test
    void connectToTheGatewayServesRedisCliAndAnswersAuthLocally() throws Exception {
        int allowedBefore = gatewayAllowed.get();
        int deniedBefore = gatewayDenied.get();
        try (Running tunnel = connectToTheGateway()) {
            // "not-a-token" would be WRONGPASS at the gateway: it is answered here and never forwarded
            assertThat(redisCli(tunnel.port(), false, "--no-auth-warning", "-a", "not-a-token", "SET", "cli:t", "v"))
                    .isEqualTo("OK");
            assertThat(redisCli(tunnel.port(), false, "--no-auth-warning", "-a", "x", "GET", "cli:t"))
                    .isEqualTo("v");
            assertThat(redis.cli().callString("GET", "cli:t")).isEqualTo("v");
            try (RedisCli c = RedisCli.connect("127.0.0.1", tunnel.port())) {
                Object hello = c.call("HELLO", "3", "AUTH", "default", "whatever");
                assertThat(hello).isInstanceOf(Map.class);
                assertThat(((Map<?, ?>) hello).get("proto")).isEqualTo(3L);
                assertThat(c.call("INCR", "cli:n")).isEqualTo(1L);
                // MULTI/EXEC passes through
                assertThat(c.call("MULTI")).isEqualTo("OK");
                assertThat(c.call("INCR", "cli:n")).isEqualTo("QUEUED");
                assertThat(c.call("EXEC")).isEqualTo(List.of(2L));
            }
        }
        // three local connections: each one AUTH as alice upstream, never the local clients' passwords
        assertThat(gatewayAllowed.get() - allowedBefore).isEqualTo(4); // 3 sessions + the start-up check
        assertThat(gatewayDenied.get()).isEqualTo(deniedBefore);
    }

    @Test
    void renewalsReAuthenticateEveryConnectionAndLoseNothing() throws Exception {
        // 12 s tokens renewed at 30 % of their life: about four renewals in 13 s. The gateway (clock skew 0)
        // answers -NOAUTH to a session whose token expired, so each command below succeeding past 12 s proves
        // the tunnel's connections re-authenticated; the subscriber (RESP2) is moved make-before-break.
        RefreshPolicy fast = RefreshPolicy.builder()
                .refreshRatio(0.3)
                .lowerBound(Duration.ZERO)
                .minimumDelay(Duration.ofSeconds(1))
                .jitter(Duration.ZERO)
                .build();
        int allowedBefore = gatewayAllowed.get();
        try (Running tunnel = connect(
                        aliceCache,
                        c -> c.refreshPolicy = fast,
                        "--gateway",
                        gatewayAddress(),
                        "--scope",
                        shortApi.defaultScope(),
                        "--upstream-ca-file",
                        redis.caFile().toString());
                RedisCli counter = RedisCli.connect("127.0.0.1", tunnel.port());
                RedisCli subscriber = RedisCli.connect("127.0.0.1", tunnel.port())) {
            counter.call("AUTH", "x");
            subscriber.call("AUTH", "x");
            // and a real redis-cli session, driven through its stdin like a person at its prompt
            Process cli = new ProcessBuilder(
                            "redis-cli",
                            "-h",
                            "127.0.0.1",
                            "-p",
                            Integer.toString(tunnel.port()),
                            "-a",
                            "x",
                            "--no-auth-warning")
                    .redirectErrorStream(true)
                    .start();
            RenewalDrill.run(redis, counter, "cli:renewals", subscriber, "cli", cli, Duration.ofSeconds(13));
        }
        // the first AUTH of the start-up check and of each of the three connections, then at least two re-AUTHs each
        assertThat(gatewayAllowed.get() - allowedBefore).isGreaterThanOrEqualTo(4 + 3 * 2);
    }

    @Test
    void aLocalPasswordIsEnforced() throws Exception {
        try (Running tunnel = connectToTheGateway("--local-password", "s3cret")) {
            try (RedisCli c = RedisCli.connect("127.0.0.1", tunnel.port())) {
                assertThatThrownBy(() -> c.call("AUTH", "wrong"))
                        .isInstanceOf(RedisErrorReply.class)
                        .hasMessageContaining("WRONGPASS");
                assertThat(c.call("AUTH", "s3cret")).isEqualTo("OK");
                assertThat(c.call("PING")).isEqualTo("PONG");
            }
        }
    }

    @Test
    void connectStraightToTheCacheAsTheUser() throws Exception {
        try (Running tunnel = connect(
                aliceCache,
                "--cache",
                "localhost:" + redis.tlsPort(),
                "--upstream-ca-file",
                redis.caFile().toString())) {
            assertThat(redisCli(tunnel.port(), false, "--no-auth-warning", "-a", "x", "SET", "cli:c", "1"))
                    .isEqualTo("OK");
            try (RedisCli c = RedisCli.connect("127.0.0.1", tunnel.port())) {
                c.call("AUTH", "x");
                c.call("CLIENT", "SETNAME", "through-tunnel");
                String list = redis.cli().callString("CLIENT", "LIST");
                assertThat(list.lines().filter(l -> l.contains("name=through-tunnel")))
                        .singleElement()
                        .asString()
                        .contains(" user=" + h.alice.objectId() + " ");
            }
        }
    }

    @Test
    void theGatewayRefusingTheUserIsSaidAtStart() {
        CliHarness.Run r = h.run(
                h.env(eveCache),
                c -> {},
                "connect",
                "--listen",
                "127.0.0.1:0",
                "--gateway",
                gatewayAddress(),
                "--scope",
                h.api.defaultScope(),
                "--upstream-ca-file",
                redis.caFile().toString());
        assertThat(r.exitCode()).as("%s", r).isEqualTo(CliException.UPSTREAM);
        assertThat(r.err())
                .contains("the gateway at " + gatewayAddress() + " refused " + h.eve.upn())
                .contains("WRONGPASS")
                .contains("allowed groups");
    }

    @Test
    void anUnreachableUpstreamIsSaidAtStart() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        CliHarness.Run r = h.run(
                h.env(aliceCache),
                c -> {},
                "connect",
                "--gateway",
                "127.0.0.1:" + closed,
                "--scope",
                h.api.defaultScope());
        assertThat(r.exitCode()).as("%s", r).isEqualTo(CliException.UPSTREAM);
        assertThat(r.err()).contains("cannot reach the gateway at 127.0.0.1:" + closed);
    }

    @Test
    void aNonLoopbackListenerNeedsAllowRemoteAndALocalPassword() {
        for (String[] extra : new String[][] {{}, {"--allow-remote"}, {"--local-password", "p"}}) {
            List<String> args = new ArrayList<>(List.of(
                    "connect",
                    "--listen",
                    "0.0.0.0:0",
                    "--gateway",
                    gatewayAddress(),
                    "--scope",
                    h.api.defaultScope()));
            args.addAll(List.of(extra));
            CliHarness.Run r = h.run(h.env(aliceCache), c -> {}, args.toArray(String[]::new));
            assertThat(r.exitCode()).as("%s", r).isEqualTo(CliException.USAGE);
            assertThat(r.err()).contains("refusing to listen on 0.0.0.0:0").contains("--allow-remote");
        }
        CliHarness.Run noScope = h.run(h.env(aliceCache), c -> {}, "connect", "--gateway", gatewayAddress());
        assertThat(noScope.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(noScope.err()).contains("--gateway needs --scope");
    }

    @Test
    void aLocalClientWithoutAnyPasswordIsServed() throws Exception {
        try (Running tunnel = connectToTheGateway()) {
            assertThat(redisCli(tunnel.port(), false, "SET", "cli:nopass", "1")).isEqualTo("OK");
            assertThat(redisCli(tunnel.port(), false, "-3", "GET", "cli:nopass"))
                    .isEqualTo("1"); // HELLO 3, no AUTH
            try (RedisCli c = RedisCli.connect("127.0.0.1", tunnel.port())) {
                // RESET leaves the connection signed in as the user, as Redis's nopass default user would
                assertThat(c.call("RESET")).isEqualTo("RESET");
                assertThat(c.call("GET", "cli:nopass")).isEqualTo("1");
                assertThat(c.call("AUTH", "anything")).isEqualTo("OK"); // answered locally
                assertThat(c.call("GET", "cli:nopass")).isEqualTo("1");
            }
        }
    }
}
