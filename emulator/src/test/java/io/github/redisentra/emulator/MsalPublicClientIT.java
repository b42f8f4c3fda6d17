package io.github.redisentra.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.microsoft.aad.msal4j.DeviceCodeFlowParameters;
import com.microsoft.aad.msal4j.IAccount;
import com.microsoft.aad.msal4j.IAuthenticationResult;
import com.microsoft.aad.msal4j.InteractiveRequestParameters;
import com.microsoft.aad.msal4j.PublicClientApplication;
import com.microsoft.aad.msal4j.SilentParameters;
import com.microsoft.aad.msal4j.SystemBrowserOptions;
import com.nimbusds.jwt.JWTClaimsSet;
import io.github.redisentra.emulator.msal.EmulatorMsalHttpClient;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real MSAL4J PublicClientApplication against the emulator, over sockets. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MsalPublicClientIT {
    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static AppRegistration cli;
    static User alice;
    static User bob;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder()
                .deviceCodePollInterval(Duration.ofSeconds(1))
                .build()
                .start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway-api").appIdUri("api://gateway-api"));
        cli = tenant.registerApp(AppSpec.publicClient("cli"));
        alice = tenant.addUser(UserSpec.named("alice").groups("22222222-2222-2222-2222-222222222222"));
        bob = tenant.addUser(UserSpec.named("bob"));
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    private static PublicClientApplication app() throws Exception {
        return PublicClientApplication.builder(cli.clientId())
                .authority(tenant.authority().toString())
                .instanceDiscovery(false)
                .validateAuthority(false)
                .httpClient(new EmulatorMsalHttpClient(emu))
                .build();
    }

    @Test
    void deviceCodeFlowWaitsForApprovalThenSilentForceRefreshReturnsANewToken() throws Exception {
        PublicClientApplication app = app();
        Set<String> scopes = Set.of(api.defaultScope());
        long pollsBefore = emu.requestCount(Endpoint.TOKEN);
        IAuthenticationResult first = app.acquireToken(DeviceCodeFlowParameters.builder(scopes, code -> {
                            assertThat(code.verificationUri()).isEqualTo(emu.httpsBaseUrl() + "/devicelogin");
                            // approve like a person would: only after MSAL has started polling (authorization_pending)
                            CompletableFuture.runAsync(() -> {
                                await().atMost(Duration.ofSeconds(20))
                                        .until(() -> emu.requestCount(Endpoint.TOKEN) > pollsBefore);
                                emu.approveDeviceCode(code.userCode(), alice);
                            });
                        })
                        .build())
                .get(60, TimeUnit.SECONDS);

        JWTClaimsSet claims =
                new TokenValidator(emu, tenant.openIdConfigurationV2(), api.clientId()).validate(first.accessToken());
        assertThat(claims.getStringClaim("oid")).isEqualTo(alice.objectId());
        assertThat(claims.getStringClaim("azp")).isEqualTo(cli.clientId());
        assertThat(emu.requestCount(Endpoint.TOKEN) - pollsBefore).isGreaterThanOrEqualTo(2);

        Set<IAccount> accounts = app.getAccounts().get(10, TimeUnit.SECONDS);
        assertThat(accounts).hasSize(1);
        IAccount account = accounts.iterator().next();
        assertThat(account.username()).isEqualTo(alice.upn());
        assertThat(account.homeAccountId()).isEqualTo(alice.objectId() + "." + tenant.id());

        IAuthenticationResult refreshed = app.acquireTokenSilently(SilentParameters.builder(scopes, account)
                        .forceRefresh(true)
                        .build())
                .get(30, TimeUnit.SECONDS);
        assertThat(refreshed.accessToken()).isNotEqualTo(first.accessToken());
        assertThat(new TokenValidator(emu, tenant.openIdConfigurationV2(), api.clientId())
                        .validate(refreshed.accessToken())
                        .getStringClaim("oid"))
                .isEqualTo(alice.objectId());
    }

    @Test
    void authorizationCodeFlowWithScriptedBrowserThenForceRefresh() throws Exception {
        PublicClientApplication app = app();
        Set<String> scopes = Set.of(api.defaultScope());
        SystemBrowserOptions browser = SystemBrowserOptions.builder()
                .openBrowserAction(url -> {
                    try {
                        int status = emu.browser().signIn(url.toURI(), bob);
                        assertThat(status).isEqualTo(200);
                    } catch (Exception e) {
                        throw new IllegalStateException("scripted sign-in failed", e);
                    }
                })
                .build();
        IAuthenticationResult first = app.acquireToken(InteractiveRequestParameters.builder(new URI("http://localhost"))
                        .scopes(scopes)
                        .systemBrowserOptions(browser)
                        .build())
                .get(60, TimeUnit.SECONDS);
        assertThat(first.account().username()).isEqualTo(bob.upn());
        TokenValidator validator = new TokenValidator(emu, tenant.openIdConfigurationV2(), api.clientId());
        assertThat(validator.validate(first.accessToken()).getStringClaim("oid"))
                .isEqualTo(bob.objectId());

        IAuthenticationResult refreshed = app.acquireTokenSilently(SilentParameters.builder(scopes, first.account())
                        .forceRefresh(true)
                        .build())
                .get(30, TimeUnit.SECONDS);
        assertThat(refreshed.accessToken()).isNotEqualTo(first.accessToken());
        assertThat(validator.validate(refreshed.accessToken()).getStringClaim("oid"))
                .isEqualTo(bob.objectId());
    }

    @Test
    void silentWithoutForceRefreshReturnsTheCachedToken() throws Exception {
        PublicClientApplication app = app();
        Set<String> scopes = Set.of(api.defaultScope());
        IAuthenticationResult first = app.acquireToken(
                        DeviceCodeFlowParameters.builder(scopes, code -> emu.approveDeviceCode(code.userCode(), alice))
                                .build())
                .get(60, TimeUnit.SECONDS);
        IAuthenticationResult cached = app.acquireTokenSilently(
                        SilentParameters.builder(scopes, first.account()).build())
                .get(30, TimeUnit.SECONDS);
        assertThat(cached.accessToken()).isEqualTo(first.accessToken());
    }
}
