package io.github.redisentra.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code samples/redis-cli-token.sh} against a TLS redis-server standing in for an Azure cache (it accepts exactly
 * the managed identity's current tokens), with tokens from the emulator handed over by {@code --token-command}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisCliTokenScriptIT {
    private static final Path SCRIPT = Path.of("redis-cli-token.sh").toAbsolutePath();

    private static EntraEmulator emu;
    private static Tenant tenant;
    private static ManagedIdentity identity;
    private static User alice;
    private static AppRegistration api;
    private static RedisServer redis;
    private static AzureCacheStandIn cache;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("cli");
        identity = tenant.addManagedIdentity("app-mi");
        api = tenant.registerApp(AppSpec.api("other-api"));
        alice = tenant.addUser(UserSpec.named("alice"));
        redis = RedisServer.builder().tlsOnly().disableDefaultUser().start();
        cache = AzureCacheStandIn.builder(redis)
                .objectId(identity.objectId())
                .build()
                .watch(emu);
    }

    @AfterAll
    static void stop() {
        if (cache != null) {
            cache.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (emu != null) {
            emu.close();
        }
    }

    @Test
    void tokenOfTheCachesIdentityIsAcceptedWithItsOidAsUserName() throws Exception {
        String token =
                emu.mintAccessToken(TokenRequest.forManagedIdentity(tenant, identity, "https://redis.azure.com"));

        Result r = runScript(token, "SET", "cli:key", "from-redis-cli");

        assertThat(r.output).isEqualTo("OK");
        assertThat(r.status).isZero();
        assertThat(redis.cli().call("GET", "cli:key")).isEqualTo("from-redis-cli");
        assertThat(r.output.contains(token)).as("output contains the token").isFalse();
    }

    @Test
    void tokenOfAnotherIdentityIsRefusedWithWrongpass() throws Exception {
        String token = emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api));

        Result r = runScript(token, "PING");

        assertThat(r.output).contains("WRONGPASS").doesNotContain("PONG");
        assertThat(r.output.contains(token)).as("output contains the token").isFalse();
    }

    @Test
    void missingTokenSourceIsExplained() throws Exception {
        Result r = run(List.of(SCRIPT.toString(), "-p", Integer.toString(redis.tlsPort()), "PING"));

        assertThat(r.status).isEqualTo(2);
        assertThat(r.output).contains("choose a token source");
    }

    private Result runScript(String token, String... command) throws Exception {
        assumeTrue(onPath("redis-cli"), "redis-cli (Debian: redis-tools) is needed for this test");
        Path file = dir.resolve("token");
        Files.writeString(file, token + "\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        List<String> args = new ArrayList<>(List.of(
                SCRIPT.toString(),
                "--token-command",
                "cat '" + file + "'",
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(redis.tlsPort()),
                "--tls",
                "--cacert",
                redis.caFile().toString()));
        args.addAll(List.of(command));
        return run(args);
    }

    private static Result run(List<String> args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    private record Result(int status, String output) {}
}
