package io.github.redisentra.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The token and device-code endpoints at the protocol level (what any OAuth client sends). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TokenEndpointIT {
    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static AppRegistration cli;
    static AppRegistration svc;
    static User alice;
    static EmulatorHttp http;
    static URI token;
    static URI deviceCode;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder()
                .deviceCodePollInterval(Duration.ofSeconds(10)) // slow_down below 5 s between polls
                .build()
                .start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(
                AppSpec.api("gateway-api").appIdUri("api://gateway-api").scopes("Redis.Access"));
        cli = tenant.registerApp(AppSpec.publicClient("cli"));
        svc = tenant.registerApp(AppSpec.confidentialClient("svc").secret("s3cret-for-tests"));
        alice = tenant.addUser(UserSpec.named("alice"));
        http = new EmulatorHttp(emu);
        token = URI.create(emu.httpsBaseUrl() + "/" + tenant.id() + "/oauth2/v2.0/token");
        deviceCode = URI.create(emu.httpsBaseUrl() + "/" + tenant.id() + "/oauth2/v2.0/devicecode");
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    private static Map<String, String> form(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static JWTClaimsSet claims(String jwt) throws Exception {
        return SignedJWT.parse(jwt).getJWTClaimsSet();
    }

    /** Signs alice in through the authorize endpoint (login_hint auto-selects) and returns the code. */
    private static String authorizationCode(String challenge) throws Exception {
        URI authorize = URI.create(emu.httpsBaseUrl() + "/" + tenant.id() + "/oauth2/v2.0/authorize?"
                + io.github.redisentra.emulator.internal.Exchange.encodeForm(form(
                        "client_id",
                        cli.clientId(),
                        "response_type",
                        "code",
                        "redirect_uri",
                        "http://localhost:12345",
                        "scope",
                        api.defaultScope() + " openid profile offline_access",
                        "state",
                        "st",
                        "code_challenge",
                        challenge,
                        "code_challenge_method",
                        "S256",
                        "login_hint",
                        alice.upn())));
        EmulatorHttp.Reply reply = http.get(authorize);
        assertThat(reply.status()).isEqualTo(302);
        URI location = URI.create(reply.header("Location"));
        assertThat(location.getPort()).isEqualTo(12345);
        Map<String, String> q = io.github.redisentra.emulator.internal.Exchange.parseForm(location.getRawQuery());
        assertThat(q).containsEntry("state", "st");
        return q.get("code");
    }

    @Test
    void authorizationCodeWithPkceIssuesTokensAndTheCodeIsSingleUse() throws Exception {
        String verifier = "verifier-verifier-verifier-verifier-verifier-0001";
        String code = authorizationCode(TokenEndpoint.s256(verifier));
        Map<String, String> redeem = form(
                "grant_type",
                "authorization_code",
                "client_id",
                cli.clientId(),
                "code",
                code,
                "redirect_uri",
                "http://localhost:12345",
                "code_verifier",
                verifier,
                "scope",
                api.defaultScope() + " openid profile offline_access",
                "client_info",
                "1");
        EmulatorHttp.Reply ok = http.postForm(token, redeem);
        assertThat(ok.status()).isEqualTo(200);
        Map<String, Object> body = ok.json();
        assertThat(body).containsKeys("access_token", "refresh_token", "id_token", "client_info", "expires_in");
        String clientInfo =
                new String(Base64.getUrlDecoder().decode((String) body.get("client_info")), StandardCharsets.UTF_8);
        assertThat(clientInfo).contains(alice.objectId(), tenant.id());
        assertThat(claims((String) body.get("access_token")).getStringClaim("scp"))
                .isEqualTo("Redis.Access");
        assertThat(claims((String) body.get("id_token")).getAudience()).containsExactly(cli.clientId());

        EmulatorHttp.Reply again = http.postForm(token, redeem);
        assertThat(again.status()).isEqualTo(400);
        assertThat(again.json()).containsEntry("error", "invalid_grant");
        assertThat(again.json())
                .containsKeys("error_description", "error_codes", "timestamp", "trace_id", "correlation_id");
    }

    @Test
    void wrongPkceVerifierIsRefused() throws Exception {
        String code = authorizationCode(TokenEndpoint.s256("the-right-verifier-the-right-verifier-0000000"));
        EmulatorHttp.Reply reply = http.postForm(
                token,
                form(
                        "grant_type",
                        "authorization_code",
                        "client_id",
                        cli.clientId(),
                        "code",
                        code,
                        "redirect_uri",
                        "http://localhost:12345",
                        "code_verifier",
                        "a-wrong-verifier-a-wrong-verifier-a-wrong-00000",
                        "scope",
                        api.defaultScope()));
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.json().get("error_codes")).isEqualTo(List.of(501481L));
    }

    @Test
    void refreshTokensRotateAndAnOldOneIsRefused() throws Exception {
        String verifier = "verifier-verifier-verifier-verifier-verifier-0002";
        String code = authorizationCode(TokenEndpoint.s256(verifier));
        Map<String, Object> first = http.postForm(
                        token,
                        form(
                                "grant_type",
                                "authorization_code",
                                "client_id",
                                cli.clientId(),
                                "code",
                                code,
                                "redirect_uri",
                                "http://localhost:12345",
                                "code_verifier",
                                verifier,
                                "scope",
                                api.defaultScope() + " offline_access"))
                .json();
        String rt1 = (String) first.get("refresh_token");
        EmulatorHttp.Reply second = http.postForm(
                token,
                form(
                        "grant_type",
                        "refresh_token",
                        "client_id",
                        cli.clientId(),
                        "refresh_token",
                        rt1,
                        // a refresh token is multi-resource, as in Entra: ask for Azure Redis this time
                        "scope",
                        "https://redis.azure.com/.default offline_access"));
        assertThat(second.status()).isEqualTo(200);
        assertThat(claims((String) second.json().get("access_token")).getAudience())
                .containsExactly("https://redis.azure.com");
        assertThat((String) second.json().get("refresh_token")).isNotEqualTo(rt1);

        EmulatorHttp.Reply reused = http.postForm(
                token,
                form(
                        "grant_type",
                        "refresh_token",
                        "client_id",
                        cli.clientId(),
                        "refresh_token",
                        rt1,
                        "scope",
                        api.defaultScope()));
        assertThat(reused.status()).isEqualTo(400);
        assertThat(reused.json()).containsEntry("error", "invalid_grant");
    }

    @Test
    void deviceCodePollingGoesPendingThenSlowDownThenSucceedsAfterApproval() throws Exception {
        Map<String, Object> dc = http.postForm(
                        deviceCode, form("client_id", cli.clientId(), "scope", api.defaultScope()))
                .json();
        assertThat(dc)
                .containsKeys("user_code", "device_code", "verification_uri", "expires_in", "interval", "message");
        Map<String, String> poll = form(
                "grant_type",
                "urn:ietf:params:oauth:grant-type:device_code",
                "client_id",
                cli.clientId(),
                "device_code",
                (String) dc.get("device_code"));
        EmulatorHttp.Reply pending = http.postForm(token, poll);
        assertThat(pending.status()).isEqualTo(400);
        assertThat(pending.json()).containsEntry("error", "authorization_pending");
        EmulatorHttp.Reply tooFast = http.postForm(token, poll);
        assertThat(tooFast.json()).containsEntry("error", "slow_down");

        emu.approveDeviceCode((String) dc.get("user_code"), alice);
        EmulatorHttp.Reply done = http.postForm(token, poll);
        assertThat(done.status()).isEqualTo(200);
        assertThat(claims((String) done.json().get("access_token")).getStringClaim("oid"))
                .isEqualTo(alice.objectId());
    }

    @Test
    void expiredDeviceCodeGetsExpiredToken() throws Exception {
        try (EntraEmulator shortLived = EntraEmulator.builder()
                .deviceCodeLifetime(Duration.ofSeconds(1))
                .build()
                .start()) {
            Tenant t = shortLived.createTenant("t");
            AppRegistration c = t.registerApp(AppSpec.publicClient("c"));
            t.registerApp(AppSpec.api("a").appIdUri("api://a"));
            EmulatorHttp h = new EmulatorHttp(shortLived);
            Map<String, Object> dc = h.postForm(
                            URI.create(shortLived.httpsBaseUrl() + "/" + t.id() + "/oauth2/v2.0/devicecode"),
                            form("client_id", c.clientId(), "scope", "api://a/.default"))
                    .json();
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(h.postForm(
                                            URI.create(shortLived.httpsBaseUrl() + "/" + t.id() + "/oauth2/v2.0/token"),
                                            form(
                                                    "grant_type",
                                                    "device_code",
                                                    "client_id",
                                                    c.clientId(),
                                                    "device_code",
                                                    (String) dc.get("device_code")))
                                    .json())
                            .containsEntry("error", "expired_token"));
        }
    }

    @Test
    void clientCredentialsWithSecretAndPerRequestLifetime() throws Exception {
        EmulatorHttp.Reply ok = http.postForm(
                token,
                form(
                        "grant_type", "client_credentials",
                        "client_id", svc.clientId(),
                        "client_secret", "s3cret-for-tests",
                        "scope", "https://redis.azure.com/.default",
                        "x_emulator_token_lifetime", "5"));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("expires_in")).isEqualTo(5L);
        JWTClaimsSet c = claims((String) ok.json().get("access_token"));
        assertThat(c.getAudience()).containsExactly("https://redis.azure.com");
        assertThat(c.getStringClaim("appid")).isEqualTo(svc.clientId());
        assertThat(c.getStringClaim("ver")).isEqualTo("1.0");

        EmulatorHttp.Reply wrong = http.postForm(
                token,
                form(
                        "grant_type", "client_credentials",
                        "client_id", svc.clientId(),
                        "client_secret", "nope",
                        "scope", "https://redis.azure.com/.default"));
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.json()).containsEntry("error", "invalid_client");
        assertThat(wrong.body()).doesNotContain("s3cret-for-tests", "nope");
    }

    @Test
    void aFirstPartyResourceCanHaveItsOwnTokenLifetime() throws Exception {
        tenant.resourceTokenLifetime("https://redis.azure.com/.default", Duration.ofSeconds(20));
        try {
            assertThat(tenant.resourceTokenLifetime("https://redis.azure.com/")).contains(Duration.ofSeconds(20));
            // an app's token for the resource (client credentials) and a user's (minted as if signed in)
            EmulatorHttp.Reply app = http.postForm(
                    token,
                    form(
                            "grant_type", "client_credentials",
                            "client_id", svc.clientId(),
                            "client_secret", "s3cret-for-tests",
                            "scope", "https://redis.azure.com/.default"));
            assertThat(app.json().get("expires_in")).isEqualTo(20L);
            JWTClaimsSet user =
                    claims(emu.mintAccessToken(TokenRequest.forUser(tenant, alice, "https://redis.azure.com")
                            .client(cli)));
            assertThat(user.getExpirationTime().getTime() - user.getIssueTime().getTime())
                    .isEqualTo(20_000L);
            // other resources keep the default
            JWTClaimsSet graph =
                    claims(emu.mintAccessToken(TokenRequest.forUser(tenant, alice, "https://graph.microsoft.com")));
            assertThat(graph.getExpirationTime().getTime()
                            - graph.getIssueTime().getTime())
                    .isEqualTo(Duration.ofMinutes(60).toMillis());
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> tenant.resourceTokenLifetime(api.appIdUri(), Duration.ofSeconds(5)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("AppRegistration.tokenLifetime");
        } finally {
            tenant.resourceTokenLifetime("https://redis.azure.com", null);
        }
        assertThat(tenant.resourceTokenLifetime("https://redis.azure.com")).isEmpty();
    }

    @Test
    void badRequestsGetEntraErrorCodes() throws Exception {
        assertThat(http.postForm(token, form("client_id", cli.clientId()))
                        .json()
                        .get("error_codes"))
                .isEqualTo(List.of(900144L));
        assertThat(http.postForm(token, form("grant_type", "password", "client_id", cli.clientId()))
                        .json())
                .containsEntry("error", "unsupported_grant_type");
        assertThat(http.postForm(
                                token,
                                form(
                                        "grant_type", "client_credentials",
                                        "client_id", "00000000-0000-0000-0000-000000000000",
                                        "client_secret", "x",
                                        "scope", "https://redis.azure.com/.default"))
                        .json()
                        .get("error_codes"))
                .isEqualTo(List.of(700016L));
        assertThat(http.postForm(
                                token,
                                form(
                                        "grant_type", "client_credentials",
                                        "client_id", svc.clientId(),
                                        "client_secret", "s3cret-for-tests",
                                        "scope", "api://unknown/.default"))
                        .json()
                        .get("error_codes"))
                .isEqualTo(List.of(500011L));
        assertThat(http.postForm(
                                token,
                                form(
                                        "grant_type", "client_credentials",
                                        "client_id", svc.clientId(),
                                        "client_secret", "s3cret-for-tests",
                                        "scope", "api://gateway-api/Redis.Access"))
                        .json()
                        .get("error_codes"))
                .isEqualTo(List.of(1002012L));
    }
}
