package io.github.redisentra.core;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.emulator.msal.EmulatorMsalHttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Run by {@link ProtectedTokenCacheIT} in a child JVM inside {@code dbus-run-session} with an unlocked
 * gnome-keyring: signs in through MSAL against an in-process emulator with a persistent cache and no permission
 * for an unprotected one, then checks that a second source finds the account through the keyring and that no
 * token is in any file of the cache directory. Prints one line and exits 0 on success.
 */
public final class ProtectedCacheChild {
    private ProtectedCacheChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        EntraEmulator emu = EntraEmulator.builder()
                .deviceCodePollInterval(Duration.ofSeconds(1))
                .build()
                .start();
        try {
            Tenant tenant = emu.createTenant("contoso");
            AppRegistration api = tenant.registerApp(AppSpec.api("keyring-api"));
            AppRegistration cli = tenant.registerApp(AppSpec.publicClient("keyring-cli"));
            User user = tenant.addUser(UserSpec.named("kim"));
            MsalUserTokenSource first = source(emu, tenant, cli, api, user, dir);
            first.signIn();
            AccessToken token = first.getToken(true);
            first.close();

            MsalUserTokenSource second = source(emu, tenant, cli, api, user, dir);
            if (!second.isSignedIn()) {
                fail("a second source did not find the account in the protected cache");
            }
            AccessToken again = second.getToken(true);
            second.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String content = Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1);
                    if (content.contains(token.secret()) || content.contains(again.secret())) {
                        fail("a token is readable in " + f);
                    }
                }
            }
            System.out.println("protected cache ok: signed in again from the keyring, no token in " + dir);
        } finally {
            emu.close();
        }
    }

    private static MsalUserTokenSource source(
            EntraEmulator emu, Tenant tenant, AppRegistration cli, AppRegistration api, User user, Path dir) {
        return MsalUserTokenSource.builder(cli.clientId())
                .authority(tenant.authority())
                .instanceDiscovery(false)
                .validateAuthority(false)
                .httpClient(new EmulatorMsalHttpClient(emu))
                .scopes(api.defaultScope())
                .signInTimeout(Duration.ofSeconds(30))
                .deviceCodeHandler(code -> emu.approveDeviceCode(code.userCode(), user))
                .persistentCache(dir)
                .build(); // no allowUnprotectedCache: fails unless the OS-protected store works
    }

    private static void fail(String why) {
        System.out.println("protected cache FAILED: " + why);
        System.exit(2);
    }
}
