package io.github.redisentra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The real identity side of the command's tests: the Entra emulator with a tenant, the gateway's API app, the
 * command's public client app, alice (in the gateway's group) and eve (not); and a way to run the command in this
 * JVM as a user would (environment, config file, stdout and stderr captured), with the device code approved
 * through the emulator as the person would.
 */
final class CliHarness implements AutoCloseable {
    static final String GROUP = "6f1d3c52-5b1a-4d2e-9a57-1f0c2b7e9d01";

    final EntraEmulator emu;
    final Tenant tenant;
    final AppRegistration api;
    final AppRegistration client;
    final User alice;
    final User eve;
    final Path home;
    final Path emulatorCa;
    /** Who approves the next device code. */
    volatile User approver;

    CliHarness(Path home, Consumer<EntraEmulator.Builder> emulator) throws Exception {
        EntraEmulator.Builder b = EntraEmulator.builder().deviceCodePollInterval(Duration.ofSeconds(1));
        emulator.accept(b);
        emu = b.build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway-api").acceptedTokenVersion(2));
        client = tenant.registerApp(AppSpec.publicClient("redis-entra-cli"));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        eve = tenant.addUser(UserSpec.named("eve").groups(UUID.randomUUID().toString()));
        approver = alice;
        this.home = home;
        emulatorCa = emu.writeCaCertificate(
                Files.createDirectories(home.resolve("ca")).resolve("emulator-ca.pem"));
    }

    /** The environment a user would have set up for this tenant (cache in the test's home). */
    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("REDIS_ENTRA_CLIENT_ID", client.clientId());
        env.put("REDIS_ENTRA_TENANT", tenant.id());
        env.put("REDIS_ENTRA_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        env.put("REDIS_ENTRA_AUTHORITY_CA_FILE", emulatorCa.toString());
        // This machine kind has no Secret Service: the owner-only file, as a user here would choose.
        env.put("REDIS_ENTRA_ALLOW_UNPROTECTED_CACHE", "true");
        return env;
    }

    /** {@link #env()} with the command's token cache in {@code cacheDir} (one per signed-in user). */
    Map<String, String> env(Path cacheDir) {
        Map<String, String> env = env();
        env.put("REDIS_ENTRA_CACHE_DIR", cacheDir.toString());
        return env;
    }

    /** {@code redis-entra login --scope scope} as {@code user} (who approves the device code), caching in {@code cacheDir}. */
    void login(Path cacheDir, User user, String scope) {
        approver = user;
        Run r = run(env(cacheDir), c -> {}, "login", "--scope", scope);
        assertThat(r.exitCode()).as("%s", r).isZero();
    }

    /** {@link #login} of {@code user} for the gateway's API, caching in {@code home}'s {@code cacheDirName}: that directory. */
    Path signedIn(String cacheDirName, User user) {
        Path cacheDir = home.resolve(cacheDirName);
        login(cacheDir, user, api.defaultScope());
        return cacheDir;
    }

    Run run(String... args) {
        return run(env(), cli -> {}, args);
    }

    Run run(Map<String, String> env, Consumer<Cli> setUp, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Cli cli = new Cli(
                env,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                home);
        cli.deviceCodeObserver = code -> emu.approveDeviceCode(code.userCode(), approver);
        setUp.accept(cli);
        int code = Main.run(cli, args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    record Run(int exitCode, String out, String err) {
        @Override
        public String toString() {
            // test failure messages: the exit code and stderr (never stdout, which may hold a token)
            return "exit " + exitCode + ", stderr: " + err;
        }
    }

    @Override
    public void close() {
        emu.close();
    }
}
