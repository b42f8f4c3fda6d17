package io.github.redisentra.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiscoveryAndValidationIT {
    static EntraEmulator emu;
    static Tenant contoso;
    static Tenant fabrikam;
    static AppRegistration apiV2;
    static AppRegistration apiV1;
    static User alice;
    static User manyGroups;
    static EmulatorHttp http;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        contoso = emu.createTenant("contoso");
        fabrikam = emu.createTenant("fabrikam");
        apiV2 = contoso.registerApp(
                AppSpec.api("gateway-api").appIdUri("api://gateway-api").appRoles("Redis.User"));
        apiV1 = contoso.registerApp(
                AppSpec.api("legacy-api").acceptedTokenVersion(1).appIdUri("api://legacy-api"));
        alice = contoso.addUser(UserSpec.named("alice")
                .groups("11111111-1111-1111-1111-111111111111")
                .appRoles(apiV2, "Redis.User"));
        manyGroups = contoso.addUser(UserSpec.named("carol").groupCount(250));
        http = new EmulatorHttp(emu);
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    @Test
    void v2MetadataHasEntraShapeOnTheEmulatorsOwnHost() throws Exception {
        Map<String, Object> doc = http.get(contoso.openIdConfigurationV2()).json();
        String base = emu.httpsBaseUrl().toString();
        assertThat(doc.get("issuer")).isEqualTo(base + "/" + contoso.id() + "/v2.0");
        assertThat(doc.get("jwks_uri")).isEqualTo(base + "/" + contoso.id() + "/discovery/v2.0/keys");
        assertThat(doc.get("token_endpoint")).isEqualTo(base + "/" + contoso.id() + "/oauth2/v2.0/token");
        assertThat(doc.get("device_authorization_endpoint"))
                .isEqualTo(base + "/" + contoso.id() + "/oauth2/v2.0/devicecode");
        assertThat(http.get(contoso.openIdConfigurationV2()).body()).doesNotContain("microsoftonline", "windows.net");
    }

    @Test
    void v1MetadataUsesTheV1IssuerShapeAndKeysPath() throws Exception {
        Map<String, Object> doc = http.get(contoso.openIdConfigurationV1()).json();
        assertThat(doc.get("issuer")).isEqualTo(contoso.issuerV1());
        assertThat(doc.get("jwks_uri")).isEqualTo(emu.httpsBaseUrl() + "/" + contoso.id() + "/discovery/keys");
    }

    @Test
    void tenantCanBeAddressedByNameAndUnknownTenantGetsAadsts90002() throws Exception {
        Map<String, Object> byName = http.get(
                        java.net.URI.create(emu.httpsBaseUrl() + "/contoso.test/v2.0/.well-known/openid-configuration"))
                .json();
        assertThat(byName.get("issuer")).isEqualTo(contoso.issuerV2());
        EmulatorHttp.Reply unknown =
                http.get(java.net.URI.create(emu.httpsBaseUrl() + "/nope/v2.0/.well-known/openid-configuration"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("error_codes")).isEqualTo(List.of(90002L));
    }

    @Test
    void v2UserTokenValidatesWithNimbusAgainstDiscoveredKeys() throws Exception {
        String jwt = emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2));
        JWTClaimsSet claims = new TokenValidator(emu, contoso.openIdConfigurationV2(), apiV2.clientId()).validate(jwt);
        assertThat(claims.getStringClaim("ver")).isEqualTo("2.0");
        assertThat(claims.getStringClaim("oid")).isEqualTo(alice.objectId());
        assertThat(claims.getStringClaim("tid")).isEqualTo(contoso.id());
        assertThat(claims.getStringClaim("preferred_username")).isEqualTo(alice.upn());
        assertThat(claims.getStringClaim("azp")).isEqualTo(apiV2.clientId());
        assertThat(claims.getStringListClaim("roles")).containsExactly("Redis.User");
        assertThat(claims.getStringListClaim("groups")).containsExactly("11111111-1111-1111-1111-111111111111");
        assertThat(claims.getStringClaim("scp")).isEqualTo("user_impersonation");
        assertThat(claims.getStringClaim("uti")).isNotBlank();
        assertThat(claims.getSubject()).isNotEqualTo(alice.objectId()); // pairwise
    }

    @Test
    void v1ApiGetsV1ShapedTokensWithAppIdUriAudience() throws Exception {
        String jwt = emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV1));
        JWTClaimsSet claims =
                new TokenValidator(emu, contoso.openIdConfigurationV1(), "api://legacy-api").validate(jwt);
        assertThat(claims.getIssuer()).isEqualTo(contoso.issuerV1());
        assertThat(claims.getStringClaim("ver")).isEqualTo("1.0");
        assertThat(claims.getStringClaim("appid")).isEqualTo(apiV1.clientId());
        assertThat(claims.getStringClaim("upn")).isEqualTo(alice.upn());
        assertThat(claims.getClaim("azp")).isNull();
        // a v1 token is not accepted by a v2 validator (issuer differs)
        assertThatThrownBy(() ->
                        new TokenValidator(emu, contoso.openIdConfigurationV2(), "api://legacy-api").validate(jwt))
                .hasMessageContaining("iss");
    }

    @Test
    void rotatedKeyKeepsOldTokensValidUntilTheOldKeyIsRetired() throws Exception {
        Tenant t = emu.createTenant("rotation");
        AppRegistration api = t.registerApp(AppSpec.api("api"));
        User u = t.addUser(UserSpec.named("dave"));
        TokenValidator validator = new TokenValidator(emu, t.openIdConfigurationV2(), api.clientId());
        String oldKid = t.signingKeys().currentKeyId();
        String before = emu.mintAccessToken(TokenRequest.forUser(t, u, api));

        String newKid = t.signingKeys().rotate();
        String after = emu.mintAccessToken(TokenRequest.forUser(t, u, api));
        assertThat(com.nimbusds.jwt.SignedJWT.parse(after).getHeader().getKeyID())
                .isEqualTo(newKid);
        assertThat(validator.validate(before).getStringClaim("oid")).isEqualTo(u.objectId());
        assertThat(validator.validate(after).getStringClaim("oid")).isEqualTo(u.objectId());

        t.signingKeys().retire(oldKid);
        assertThat(t.signingKeys().publishedKeyIds()).containsExactly(newKid);
        assertThatThrownBy(() -> validator.validate(before)).hasMessageContaining("key");
        assertThat(validator.validate(after).getStringClaim("oid")).isEqualTo(u.objectId());
    }

    @Test
    void tokenOfAnotherTenantIsSignedByThatTenantsKeyAndRefusedHere() throws Exception {
        AppRegistration fabApi = fabrikam.registerApp(
                AppSpec.api("fab-api").clientId(apiV2.clientId() + "").appIdUri("api://fab-api"));
        User mallory = fabrikam.addUser(UserSpec.named("mallory"));
        String foreign = emu.mintAccessToken(TokenRequest.forUser(fabrikam, mallory, fabApi));
        assertThat(new TokenValidator(emu, fabrikam.openIdConfigurationV2(), fabApi.clientId())
                        .validate(foreign)
                        .getStringClaim("tid"))
                .isEqualTo(fabrikam.id());
        assertThatThrownBy(() ->
                        new TokenValidator(emu, contoso.openIdConfigurationV2(), apiV2.clientId()).validate(foreign))
                .isNotNull();
    }

    @Test
    void moreThan200GroupsBecomesOverageClaims() throws Exception {
        String jwt = emu.mintAccessToken(TokenRequest.forUser(contoso, manyGroups, apiV2));
        JWTClaimsSet claims = new TokenValidator(emu, contoso.openIdConfigurationV2(), apiV2.clientId()).validate(jwt);
        assertThat(claims.getClaim("groups")).isNull();
        assertThat(claims.getJSONObjectClaim("_claim_names")).containsEntry("groups", "src1");
        Map<String, Object> src = JSONObjectUtils.getJSONObject(claims.getJSONObjectClaim("_claim_sources"), "src1");
        assertThat((String) src.get("endpoint"))
                .startsWith(emu.httpsBaseUrl().toString())
                .endsWith("/users/" + manyGroups.objectId() + "/getMemberObjects");
    }

    @Test
    void mintingSupportsForgedShapesLifetimesAndManagedIdentities() throws Exception {
        ManagedIdentity mi = contoso.addManagedIdentity("mint-mi");
        String miJwt = emu.mintAccessToken(TokenRequest.forManagedIdentity(contoso, mi, "https://redis.azure.com")
                .lifetime(Duration.ofSeconds(15)));
        JWTClaimsSet mic = com.nimbusds.jwt.SignedJWT.parse(miJwt).getJWTClaimsSet();
        assertThat(mic.getAudience()).containsExactly("https://redis.azure.com");
        assertThat(mic.getStringClaim("oid")).isEqualTo(mi.objectId());
        assertThat(mic.getStringClaim("appid")).isEqualTo(mi.clientId());
        assertThat(mic.getStringClaim("idtyp")).isEqualTo("app");
        assertThat(mic.getExpirationTime().getTime() - mic.getIssueTime().getTime())
                .isEqualTo(15_000L);

        String forged = emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2)
                .claim("aud", "api://someone-else")
                .removeClaim("oid")
                .version(1));
        JWTClaimsSet fc = com.nimbusds.jwt.SignedJWT.parse(forged).getJWTClaimsSet();
        assertThat(fc.getAudience()).containsExactly("api://someone-else");
        assertThat(fc.getClaim("oid")).isNull();
        assertThat(fc.getStringClaim("ver")).isEqualTo("1.0");
    }
}
