package io.github.redisentra.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ManagedIdentityAndGraphIT {
    static final String GROUP = "33333333-3333-3333-3333-333333333333";

    static EntraEmulator emu;
    static Tenant tenant;
    static ManagedIdentity system;
    static ManagedIdentity user;
    static User carol;
    static EmulatorHttp http;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        system = tenant.addManagedIdentity("gateway-mi");
        tenant.setSystemAssignedIdentity(system);
        user = tenant.addManagedIdentity("user-mi");
        carol = tenant.addUser(UserSpec.named("carol").groups(GROUP).groupCount(250));
        http = new EmulatorHttp(emu);
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    private URI appService(String query) {
        return URI.create(emu.appServiceIdentityEndpoint() + "?" + query);
    }

    private URI imds(String query) {
        return URI.create(emu.imdsEndpoint() + "/metadata/identity/oauth2/token?" + query);
    }

    @Test
    void appServiceProtocolAnswersLikeAzure() throws Exception {
        EmulatorHttp.Reply r = http.get(
                appService("resource=https://redis.azure.com&api-version=2019-08-01"),
                "X-IDENTITY-HEADER",
                emu.appServiceIdentityHeader());
        assertThat(r.status()).isEqualTo(200);
        Map<String, Object> body = r.json();
        assertThat(body).containsEntry("resource", "https://redis.azure.com").containsEntry("token_type", "Bearer");
        assertThat(body.get("expires_on")).isInstanceOf(String.class);
        assertThat(body.get("client_id")).isEqualTo(system.clientId());
        JWTClaimsSet c = SignedJWT.parse((String) body.get("access_token")).getJWTClaimsSet();
        assertThat(c.getStringClaim("oid")).isEqualTo(system.objectId());
        assertThat(c.getExpirationTime().toInstant().getEpochSecond())
                .isEqualTo(Long.parseLong((String) body.get("expires_on")));
    }

    @Test
    void appServiceSelectsUserAssignedByClientIdResourceIdOrPrincipalId() throws Exception {
        for (String selector : List.of(
                "client_id=" + user.clientId(), "mi_res_id=" + user.resourceId(), "principal_id=" + user.objectId())) {
            EmulatorHttp.Reply r = http.get(
                    appService("resource=https://redis.azure.com&api-version=2019-08-01&" + selector),
                    "X-IDENTITY-HEADER",
                    emu.appServiceIdentityHeader());
            assertThat(r.status()).as(selector).isEqualTo(200);
            assertThat(SignedJWT.parse((String) r.json().get("access_token"))
                            .getJWTClaimsSet()
                            .getStringClaim("oid"))
                    .as(selector)
                    .isEqualTo(user.objectId());
        }
    }

    @Test
    void appServiceRefusesAMissingOrWrongHeader() throws Exception {
        URI uri = appService("resource=https://redis.azure.com&api-version=2019-08-01");
        assertThat(http.get(uri).status()).isEqualTo(400);
        assertThat(http.get(uri, "X-IDENTITY-HEADER", "wrong").status()).isEqualTo(401);
        assertThat(http.get(
                                appService("resource=https://redis.azure.com&api-version=2017-09-01"),
                                "X-IDENTITY-HEADER",
                                emu.appServiceIdentityHeader())
                        .status())
                .isEqualTo(400);
    }

    @Test
    void imdsRequiresTheMetadataHeaderAndServesUserAssignedIdentities() throws Exception {
        URI uri = imds("api-version=2018-02-01&resource=https://redis.azure.com&client_id=" + user.clientId());
        EmulatorHttp.Reply noHeader = http.get(uri);
        assertThat(noHeader.status()).isEqualTo(400);
        assertThat(noHeader.json()).containsEntry("error", "invalid_request");
        EmulatorHttp.Reply ok = http.get(uri, "Metadata", "true");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json()).containsKeys("access_token", "expires_in", "expires_on", "not_before", "resource");
        assertThat(SignedJWT.parse((String) ok.json().get("access_token"))
                        .getJWTClaimsSet()
                        .getStringClaim("oid"))
                .isEqualTo(user.objectId());
        assertThat(http.get(
                                imds("api-version=2018-02-01&resource=https://redis.azure.com&client_id="
                                        + "00000000-0000-0000-0000-000000000000"),
                                "Metadata",
                                "true")
                        .status())
                .isEqualTo(400);
    }

    private String graphToken() throws Exception {
        EmulatorHttp.Reply r = http.get(
                appService("resource=https://graph.microsoft.com&api-version=2019-08-01"),
                "X-IDENTITY-HEADER",
                emu.appServiceIdentityHeader());
        return (String) r.json().get("access_token");
    }

    private URI checkMemberGroups(String user) {
        return URI.create(emu.graphBaseUrl() + "/v1.0/users/" + user + "/checkMemberGroups");
    }

    @Test
    void checkMemberGroupsAnswersTheMatchingSubsetForAGraphToken() throws Exception {
        String other = "44444444-4444-4444-4444-444444444444";
        EmulatorHttp.Reply r = http.postJson(
                checkMemberGroups(carol.objectId()),
                "{\"groupIds\":[\"" + GROUP.toUpperCase() + "\",\"" + other + "\"]}",
                "Authorization",
                "Bearer " + graphToken());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("value")).isEqualTo(List.of(GROUP.toUpperCase()));
        // by UPN too
        assertThat(http.postJson(
                                checkMemberGroups(carol.upn()),
                                "{\"groupIds\":[\"" + GROUP + "\"]}",
                                "Authorization",
                                "Bearer " + graphToken())
                        .json()
                        .get("value"))
                .isEqualTo(List.of(GROUP));
    }

    @Test
    void checkMemberGroupsRefusesMoreThan20Ids() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            ids.add(String.format("\"00000000-0000-0000-0000-%012d\"", i));
        }
        EmulatorHttp.Reply r = http.postJson(
                checkMemberGroups(carol.objectId()),
                "{\"groupIds\":[" + ids.stream().collect(Collectors.joining(",")) + "]}",
                "Authorization",
                "Bearer " + graphToken());
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("Request_BadRequest");
    }

    @Test
    void checkMemberGroupsRequiresAValidGraphToken() throws Exception {
        String body = "{\"groupIds\":[\"" + GROUP + "\"]}";
        assertThat(http.postJson(checkMemberGroups(carol.objectId()), body).status())
                .isEqualTo(401);
        String redisToken =
                emu.mintAccessToken(TokenRequest.forManagedIdentity(tenant, system, "https://redis.azure.com"));
        assertThat(http.postJson(checkMemberGroups(carol.objectId()), body, "Authorization", "Bearer " + redisToken)
                        .status())
                .isEqualTo(401);
        String expired =
                emu.mintAccessToken(TokenRequest.forManagedIdentity(tenant, system, "https://graph.microsoft.com")
                        .issuedAt(java.time.Instant.now().minusSeconds(7200)));
        assertThat(http.postJson(checkMemberGroups(carol.objectId()), body, "Authorization", "Bearer " + expired)
                        .status())
                .isEqualTo(401);
        String forged =
                emu.mintAccessToken(TokenRequest.forManagedIdentity(tenant, system, "https://graph.microsoft.com"))
                        + "x";
        assertThat(http.postJson(checkMemberGroups(carol.objectId()), body, "Authorization", "Bearer " + forged)
                        .status())
                .isEqualTo(401);
        assertThat(http.postJson(
                                checkMemberGroups("nobody@contoso.test"),
                                body,
                                "Authorization",
                                "Bearer " + graphToken())
                        .status())
                .isEqualTo(404);
    }
}
