package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.microsoft.aad.msal4j.SystemBrowserOptions;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.emulator.msal.EmulatorMsalHttpClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class MsalUserTokenSourceIT {
    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static AppRegistration cli;
    static User alice;

    @TempDir
    Path cacheDir;

    @BeforeAll
    static void startEmulator() {
        emu = EntraEmulator.builder()
                .deviceCodePollInterval(Duration.ofSeconds(1))
                .build()
                .start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway-api").acceptedTokenVersion(2));
        cli = tenant.registerApp(AppSpec.publicClient("redis-cli").redirectUri("http://localhost"));
        alice = tenant.addUser(UserSpec.named("alice"));
    }

    @AfterAll
    static void stopEmulator() {
        if (emu != null) {
            emu.close();
        }
    }

    private MsalUserTokenSource.Builder source() {
        return MsalUserTokenSource.builder(cli.clientId())
                .authority(tenant.authority())
                .instanceDiscovery(false)
                .validateAuthority(false)
                .httpClient(new EmulatorMsalHttpClient(emu))
                .scopes(api.defaultScope())
                .signInTimeout(Duration.ofSeconds(30))
                .deviceCodeHandler(code -> emu.approveDeviceCode(code.userCode(), alice))
                .persistentCache(cacheDir)
                .allowUnprotectedCache(true);
    }

    @Test
    void deviceCodeSignInThenSilentForcedRefreshGivesANewTokenForTheSameUser() throws Exception {
        MsalUserTokenSource source = source().build();
        assertThat(source.isSignedIn()).isFalse();

        AccessToken first = source.signIn();
        assertThat(first.objectId()).contains(alice.objectId());
        assertThat(source.redisUsername(first)).isEqualTo(alice.objectId());
        assertThat(source.accountName()).contains(alice.upn());

        long tokenCalls = emu.requestCount(Endpoint.TOKEN);
        AccessToken renewed = source.getToken(true);
        assertThat(renewed).isNotEqualTo(first);
        assertThat(renewed.objectId()).contains(alice.objectId());
        assertThat(emu.requestCount(Endpoint.TOKEN)).isGreaterThan(tokenCalls);
    }

    @Test
    void aSecondSourceWithTheSameCacheIsSignedInWithoutAPrompt() throws Exception {
        source().build().signIn();
        long deviceCodes = emu.requestCount(Endpoint.DEVICE_CODE);

        AtomicInteger prompts = new AtomicInteger();
        MsalUserTokenSource second =
                source().deviceCodeHandler(code -> prompts.incrementAndGet()).build();
        assertThat(second.isSignedIn()).isTrue();
        AccessToken token = second.getToken(true);
        assertThat(token.objectId()).contains(alice.objectId());
        assertThat(prompts).hasValue(0);
        assertThat(emu.requestCount(Endpoint.DEVICE_CODE)).isEqualTo(deviceCodes);
    }

    @Test
    void theFileCacheIsReadableOnlyByItsOwner() throws Exception {
        source().build().signIn();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cacheDir)))
                .isEqualTo("rwx------");
        try (Stream<Path> files = Files.list(cacheDir)) {
            assertThat(files.toList())
                    .singleElement()
                    .satisfies(f -> assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                            .isEqualTo("rw-------"));
        }
    }

    @Test
    void withoutASignedInAccountGetTokenAsksForSignInInsteadOfPrompting() {
        AtomicInteger prompts = new AtomicInteger();
        MsalUserTokenSource source =
                source().deviceCodeHandler(code -> prompts.incrementAndGet()).build();
        assertThatThrownBy(() -> source.getToken(true))
                .isInstanceOf(MsalUserTokenSource.SignInRequiredException.class)
                .hasMessageContaining("sign-in required")
                .hasMessageContaining("signIn()");
        assertThat(prompts).hasValue(0);
    }

    @Test
    void signOutForgetsTheAccountForLaterRunsToo() throws Exception {
        MsalUserTokenSource source = source().build();
        source.signIn();
        source.signOut();
        assertThat(source.isSignedIn()).isFalse();
        assertThat(source().build().isSignedIn()).isFalse();
        assertThatThrownBy(() -> source.getToken(true)).isInstanceOf(MsalUserTokenSource.SignInRequiredException.class);
    }

    @Test
    void interactiveBrowserSignInUsesTheLoopbackRedirect() throws Exception {
        MsalUserTokenSource source = source().signInMode(MsalUserTokenSource.SignInMode.INTERACTIVE_BROWSER)
                .redirectUri(URI.create("http://localhost"))
                .loginHint(alice.upn())
                .systemBrowserOptions(SystemBrowserOptions.builder()
                        .openBrowserAction(url -> CompletableFuture.runAsync(() -> {
                            try {
                                emu.browser().signIn(url.toURI(), alice);
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        }))
                        .build())
                .build();
        AccessToken token = source.signIn();
        assertThat(token.objectId()).contains(alice.objectId());
        assertThat(source.getToken(true).objectId()).contains(alice.objectId());
    }

    @Test
    void aCacheWithoutProtectionIsRefusedUnlessAllowed() {
        // This machine kind has no libsecret / Secret Service: the protected store is unavailable.
        boolean protectedAvailable;
        try {
            io.github.redisentra.core.internal.ProtectedTokenCache.open(cacheDir, "probe", "probe");
            protectedAvailable = true;
        } catch (Exception | Error e) {
            protectedAvailable = false;
        }
        org.junit.jupiter.api.Assumptions.assumeFalse(protectedAvailable, "an OS-protected store exists here");
        // A few lines that say what to do first; not JNA's link error with the whole classpath (~3.9 KB before).
        assertThatThrownBy(() -> source().allowUnprotectedCache(false).build())
                .isInstanceOf(IllegalStateException.class)
                .hasNoCause()
                .hasMessageContaining("No OS-protected store for the persistent token cache")
                .hasMessageContaining("apt-get install libsecret-1-0 gnome-keyring")
                .hasMessageContaining("allowUnprotectedCache(true)")
                .hasMessageNotContaining(".jar")
                .satisfies(e -> {
                    assertThat(e.getMessage().lines()).hasSizeLessThanOrEqualTo(3);
                    assertThat(e.getMessage()).hasSizeLessThan(700);
                });
    }
}
