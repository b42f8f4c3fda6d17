package io.github.redisentra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.aad.msal4j.SystemBrowserOptions;
import io.github.redisentra.core.AccessToken;
import io.github.redisentra.emulator.Endpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * login (device code through the emulator), token, status, logout, and the messages when nobody is signed in or
 * the sign-in expired; settings from flags, environment and the config file.
 */
@Timeout(60)
class SignInCommandsIT {
    @TempDir
    static Path home;

    static CliHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = new CliHarness(home, b -> {});
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    private static Map<String, String> envWithCache(Path cache) {
        Map<String, String> env = h.env();
        env.put("REDIS_ENTRA_CACHE_DIR", cache.toString());
        return env;
    }

    @Test
    void deviceCodeLoginThenTokenStatusAndLogout(@TempDir Path cache) {
        Map<String, String> env = envWithCache(cache);
        long deviceCodes = h.emu.requestCount(Endpoint.DEVICE_CODE);

        CliHarness.Run login = h.run(env, c -> {}, "login", "--scope", h.api.defaultScope());
        assertThat(login.exitCode()).as("%s", login).isZero();
        assertThat(login.err()).contains(h.emu.httpsBaseUrl().getHost()).contains("code");
        assertThat(login.out()).contains("Signed in as " + h.alice.upn()).contains(h.alice.objectId());
        assertThat(h.emu.requestCount(Endpoint.DEVICE_CODE)).isEqualTo(deviceCodes + 1);

        // token: only the token on stdout, for the scope asked, the user's; a later run needs no prompt
        CliHarness.Run token = h.run(env, c -> {}, "token", "--scope", h.api.defaultScope());
        assertThat(token.exitCode()).as("%s", token).isZero();
        assertThat(token.err()).isEmpty();
        assertThat(token.out().lines()).hasSize(1);
        AccessToken t = AccessToken.of(token.out().strip(), null);
        assertThat(t.objectId()).contains(h.alice.objectId());
        CliHarness.Run user = h.run(env, c -> {}, "token", "--scope", h.api.defaultScope(), "--username");
        assertThat(user.out().strip()).isEqualTo(h.alice.objectId());
        // a one-shot switch is never read from the environment
        Map<String, String> withUsername = new java.util.HashMap<>(env);
        withUsername.put("REDIS_ENTRA_USERNAME", "true");
        CliHarness.Run stillToken = h.run(withUsername, c -> {}, "token", "--scope", h.api.defaultScope());
        assertThat(stillToken.out().strip()).isNotEqualTo(h.alice.objectId()).startsWith("ey");
        // another scope with the same sign-in (the cache's resource), silently
        CliHarness.Run redis = h.run(env, c -> {}, "token", "--force-refresh");
        assertThat(redis.exitCode()).as("%s", redis).isZero();
        assertThat(AccessToken.of(redis.out().strip(), null).objectId()).contains(h.alice.objectId());
        assertThat(h.emu.requestCount(Endpoint.DEVICE_CODE)).isEqualTo(deviceCodes + 1);

        CliHarness.Run status = h.run(env, c -> {}, "status", "--scope", h.api.defaultScope());
        assertThat(status.exitCode()).as("%s", status).isZero();
        assertThat(status.out())
                .contains(h.alice.upn())
                .contains(h.alice.objectId())
                .contains(h.tenant.id())
                .contains("valid until")
                .doesNotContain(t.secret())
                .doesNotContain(token.out().strip().substring(0, 20));

        CliHarness.Run logout = h.run(env, c -> {}, "logout");
        assertThat(logout.exitCode()).as("%s", logout).isZero();
        assertThat(logout.out()).contains("Signed out " + h.alice.upn());
        CliHarness.Run after = h.run(env, c -> {}, "token", "--scope", h.api.defaultScope());
        assertThat(after.exitCode()).isEqualTo(CliException.SIGN_IN_REQUIRED);
        assertThat(after.out()).isEmpty();
        assertThat(after.err()).contains("not signed in").contains("redis-entra login");
    }

    @Test
    void browserLoginUsesTheLoopbackRedirect(@TempDir Path cache) {
        Map<String, String> env = envWithCache(cache);
        long deviceCodes = h.emu.requestCount(Endpoint.DEVICE_CODE);
        // the "browser": the emulator's sign-in page, filled in as alice
        CliHarness.Run login = h.run(
                env,
                c -> c.browserOptions = SystemBrowserOptions.builder()
                        .openBrowserAction(url -> CompletableFuture.runAsync(() -> {
                            try {
                                h.emu.browser().signIn(url.toURI(), h.alice);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }))
                        .build(),
                "login",
                "--browser");
        assertThat(login.exitCode()).as("%s", login).isZero();
        assertThat(login.out()).contains("Signed in as " + h.alice.upn());
        assertThat(h.emu.requestCount(Endpoint.DEVICE_CODE)).isEqualTo(deviceCodes);
        assertThat(h.run(env, c -> {}, "status").out()).contains(h.alice.objectId());
    }

    @Test
    void withoutSignInEveryCommandSaysRunLogin(@TempDir Path cache) {
        Map<String, String> env = envWithCache(cache);
        for (String command : new String[] {"token", "status"}) {
            CliHarness.Run r = h.run(env, c -> {}, command);
            assertThat(r.exitCode()).as("%s %s", command, r).isEqualTo(CliException.SIGN_IN_REQUIRED);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).contains("not signed in").contains("run `redis-entra login`");
        }
        CliHarness.Run connect = h.run(env, c -> {}, "connect", "--cache", "localhost:1");
        assertThat(connect.exitCode()).as("%s", connect).isEqualTo(CliException.SIGN_IN_REQUIRED);
        assertThat(connect.err()).contains("run `redis-entra login`");
    }

    @Test
    void anExpiredRefreshTokenSaysRunLoginAgain(@TempDir Path dir) throws Exception {
        try (CliHarness shortLived = new CliHarness(dir, b -> b.refreshTokenLifetime(Duration.ofSeconds(1)))) {
            CliHarness.Run login = shortLived.run("login");
            assertThat(login.exitCode()).as("%s", login).isZero();
            Thread.sleep(1_500); // the refresh token's lifetime passes (emulator time is wall time)
            CliHarness.Run token = shortLived.run("token", "--force-refresh");
            assertThat(token.exitCode()).as("%s", token).isEqualTo(CliException.SIGN_IN_REQUIRED);
            assertThat(token.out()).isEmpty();
            assertThat(token.err()).contains("sign-in has expired").contains("run `redis-entra login`");
        }
    }

    @Test
    void flagBeatsEnvironmentBeatsConfigFile(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.properties");
        Files.writeString(config, "client-id=from-file\ntenant=file-tenant\n");
        Map<String, String> env = envWithCache(dir.resolve("cache"));
        env.remove("REDIS_ENTRA_CLIENT_ID");
        env.put("REDIS_ENTRA_CONFIG", config.toString());
        // file only: the file's client id reaches the identity provider (which does not know it)
        CliHarness.Run fromFile = h.run(env, c -> {}, "status");
        assertThat(fromFile.err()).contains("from-file");
        // --config names the file too, before or after the command
        Map<String, String> noConfigEnv = new java.util.HashMap<>(env);
        noConfigEnv.remove("REDIS_ENTRA_CONFIG");
        assertThat(h.run(noConfigEnv, c -> {}, "status", "--config", config.toString())
                        .err())
                .contains("from-file");
        assertThat(h.run(noConfigEnv, c -> {}, "--config=" + config, "status").err())
                .contains("from-file");
        CliHarness.Run missing = h.run(
                noConfigEnv, c -> {}, "status", "--config", dir.resolve("nope").toString());
        assertThat(missing.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(missing.err()).contains("config file").contains("not found");
        // environment beats the file
        env.put("REDIS_ENTRA_CLIENT_ID", "from-env");
        CliHarness.Run fromEnv = h.run(env, c -> {}, "status");
        assertThat(fromEnv.err()).contains("from-env").doesNotContain("from-file");
        // the flag beats both
        CliHarness.Run fromFlag = h.run(env, c -> {}, "status", "--client-id", "from-flag");
        assertThat(fromFlag.err()).contains("from-flag").doesNotContain("from-env");
        // the default config location is read too
        Path xdg = dir.resolve("xdg");
        Files.createDirectories(xdg.resolve("redis-entra"));
        Files.writeString(xdg.resolve("redis-entra/config.properties"), "client-id=from-default-file\n");
        env.remove("REDIS_ENTRA_CONFIG");
        env.remove("REDIS_ENTRA_CLIENT_ID");
        env.put("XDG_CONFIG_HOME", xdg.toString());
        assertThat(h.run(env, c -> {}, "status").err()).contains("from-default-file");
        // nothing anywhere: says where it may come from
        env.remove("XDG_CONFIG_HOME");
        CliHarness.Run none = h.run(env, c -> {}, "token");
        assertThat(none.exitCode()).isEqualTo(CliException.USAGE);
        assertThat(none.err())
                .contains("--client-id")
                .contains("REDIS_ENTRA_CLIENT_ID")
                .contains("client-id=");
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"login", "token", "status", "logout", "connect"}) {
            CliHarness.Run r = h.run(command, "--help");
            assertThat(r.exitCode()).as(command).isZero();
            assertThat(r.out())
                    .as(command)
                    .contains("Usage: redis-entra " + command)
                    .contains("--help");
        }
        CliHarness.Run top = h.run("--help");
        assertThat(top.out()).contains("login").contains("connect").contains("REDIS_ENTRA_");
    }
}
