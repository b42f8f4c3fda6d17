package io.github.redisentra.samples.demo;

import io.github.redisentra.cli.EmbeddedCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Step 4 of the demo: any Redis client through {@code redis-entra connect}. alice signs in once with {@code
 * redis-entra login} (device code, approved through the emulator), {@code connect} listens on loopback and forwards
 * to the gateway as her, and a plain {@code redis-cli} session (commands on its standard input) runs through it. The
 * command runs in this JVM ({@link EmbeddedCli}): the same code as the {@code redis-entra} launcher.
 */
final class RedisCliThroughTunnel {
    private RedisCliThroughTunnel() {}

    static void run(DemoEnvironment env, Transcript t) throws Exception {
        t.step("demo", "4. redis-cli as alice through `redis-entra connect`: any Redis client, signed in with Entra");
        Optional<Path> redisCli = findRedisCli();
        if (redisCli.isEmpty()) {
            t.check(
                    false,
                    "redis-cli not found next to redis-server or on PATH (Debian/Ubuntu: apt-get install"
                            + " redis-tools; macOS: brew install redis)");
            return;
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("REDIS_ENTRA_TENANT", env.tenant.id());
        settings.put("REDIS_ENTRA_CLIENT_ID", env.cli.clientId());
        settings.put("REDIS_ENTRA_AUTHORITY_HOST", env.emulator.httpsBaseUrl().toString());
        settings.put("REDIS_ENTRA_AUTHORITY_CA_FILE", env.entraCaFile.toString());
        settings.put("REDIS_ENTRA_SCOPE", env.api.defaultScope());
        settings.put(
                "REDIS_ENTRA_CACHE_DIR",
                env.workDir.resolve("redis-entra-cache").toString());
        // (no Secret Service in the demo's throw-away home: the owner-only file, as `redis-entra` explains)
        settings.put("REDIS_ENTRA_ALLOW_UNPROTECTED_CACHE", "true");
        settings.forEach((k, v) -> t.detail("redis-entra", "  " + k + "=" + v));

        PrintStream lines = t.linesOf("redis-entra");
        EmbeddedCli cli = new EmbeddedCli(settings, lines, lines, env.workDir, code -> {
            t.step(
                    "demo",
                    "a person would now open " + code.verificationUri() + " and enter the code; approving it" + " as "
                            + env.alice.upn() + " through the emulator");
            env.emulator.approveDeviceCode(code.userCode(), env.alice);
        });
        t.step("demo", "$ redis-entra login");
        int login = cli.run("login");
        t.check(login == 0, "redis-entra login signed alice in by device code (exit code " + login + ")");
        if (login != 0) {
            return;
        }
        int allowedBefore = alicesAllowed(env);
        String gateway = "127.0.0.1:" + env.gatewayPort;
        t.step(
                "demo",
                "$ redis-entra connect --gateway " + gateway + " --upstream-server-name gateway.demo.test"
                        + " --upstream-ca-file gateway-ca.pem --listen 127.0.0.1:0");
        try (EmbeddedCli.Connected tunnel = cli.connect(
                Duration.ofSeconds(60),
                "--gateway",
                gateway,
                "--upstream-server-name",
                "gateway.demo.test",
                "--upstream-ca-file",
                env.gatewayCaFile.toString(),
                "--listen",
                "127.0.0.1:0")) {
            int port = tunnel.localAddress().getPort();
            // `-a local`: any local password is taken (and answered locally, never forwarded); a client without
            // one is served as well where the gateway's session supports it.
            List<String> commands =
                    List.of("SET demo:tunnel \"hello from redis-cli\"", "GET demo:tunnel", "INCR demo:tunnel:count");
            t.step("demo", "$ redis-cli -p " + port + " -a local   (a session; typed on its standard input:)");
            commands.forEach(c -> t.detail("redis-cli", "  > " + c));
            List<String> replies = redisCli(redisCli.get(), port, commands);
            replies.forEach(r -> t.step("redis-cli", r));
            t.check(
                    replies.size() == 3
                            && replies.get(0).equals("OK")
                            && replies.get(1).equals("hello from redis-cli")
                            && replies.get(2).matches("\\d+"),
                    "redis-cli SET/GET/INCR through redis-entra connect and the gateway");
            int allowed = alicesAllowed(env) - allowedBefore;
            t.step("gateway", "audit: alice allowed " + allowed + " more time(s), for the tunnel's connections");
            t.check(allowed >= 1, "the tunnel authenticated to the gateway as alice");
            int exit = tunnel.stop();
            t.check(exit == 0, "redis-entra connect stopped cleanly (exit code " + exit + ")");
        }
    }

    /** The replies of a {@code redis-cli} session fed {@code commands} on its standard input. */
    private static List<String> redisCli(Path redisCli, int port, List<String> commands)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        redisCli.toString(),
                        "-h",
                        "127.0.0.1",
                        "-p",
                        Integer.toString(port),
                        "-a",
                        "local",
                        "--no-auth-warning")
                .redirectErrorStream(true)
                .start();
        try (OutputStream in = p.getOutputStream()) {
            in.write((String.join("\n", commands) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new ArrayList<>(out.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private static int alicesAllowed(DemoEnvironment env) throws IOException {
        return (int) env.gateway.logLines().stream()
                .filter(l -> l.contains("\"result\":\"allowed\""))
                .filter(l -> l.contains(env.alice.objectId()))
                .count();
    }

    /** redis-cli next to redis-server (the demo's REDIS_SERVER), else on PATH. */
    static Optional<Path> findRedisCli() {
        List<Path> candidates = new ArrayList<>();
        String server = System.getenv("REDIS_SERVER");
        if (server != null && !server.isBlank()) {
            Path parent = Path.of(server).toAbsolutePath().getParent();
            if (parent != null) {
                candidates.add(parent.resolve("redis-cli"));
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            Stream.of(path.split(java.io.File.pathSeparator))
                    .filter(d -> !d.isEmpty())
                    .forEach(d -> candidates.add(Path.of(d, "redis-cli")));
        }
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }
}
