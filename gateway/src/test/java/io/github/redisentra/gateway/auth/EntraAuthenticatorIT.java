package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpServer;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.GatewaySetup;
import io.github.redisentra.gateway.config.GatewayConfig;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The authenticator against the real emulator over HTTPS: every refusal reason, forged tokens, keys, overage. */
@Timeout(60)
class EntraAuthenticatorIT {
    static final String GROUP_A = "aaaaaaaa-0000-4000-8000-000000000001";
    static final String GROUP_B = "bbbbbbbb-0000-4000-8000-000000000002";
    static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant contoso;
    static Tenant fabrikam;
    static AppRegistration apiV2;
    static AppRegistration apiV1;
    static AppRegistration otherApi;
    static AppRegistration fabrikamApi;
    static User alice; // GROUP_A
    static User bob; // GROUP_B only
    static User carol; // 250 groups incl. GROUP_A (overage)
    static User dave; // 250 groups without GROUP_A (overage)
    static User erin; // no group, app role Redis.User
    static User fabrikamUser;
    static ManagedIdentity gatewayMi;
    static Path caFile;

    EntraAuthenticator auth;
    ListAppender<ILoggingEvent> auditEvents;
    HttpServer attacker;
    final AtomicInteger attackerRequests = new AtomicInteger();

    @BeforeAll
    static void startEmulator() {
        emu = EntraEmulator.builder().build().start();
        contoso = emu.createTenant("contoso");
        fabrikam = emu.createTenant("fabrikam");
        apiV2 = contoso.registerApp(AppSpec.api("gateway-v2")
                .acceptedTokenVersion(2)
                .appRoles("Redis.User")
                .groupMembershipClaims(true));
        apiV1 = contoso.registerApp(AppSpec.api("gateway-v1")
                .acceptedTokenVersion(1)
                .appIdUri("api://gateway-v1")
                .groupMembershipClaims(true));
        otherApi = contoso.registerApp(AppSpec.api("payroll").groupMembershipClaims(true));
        fabrikamApi = fabrikam.registerApp(
                AppSpec.api("gateway-v2").clientId(apiV2.clientId()).groupMembershipClaims(true));
        alice = contoso.addUser(UserSpec.named("alice").groups(GROUP_A));
        bob = contoso.addUser(UserSpec.named("bob").groups(GROUP_B));
        carol = contoso.addUser(UserSpec.named("carol").groupCount(250));
        carol.addGroups(GROUP_A);
        dave = contoso.addUser(UserSpec.named("dave").groupCount(250));
        erin = contoso.addUser(UserSpec.named("erin").appRoles(apiV2, "Redis.User"));
        fabrikamUser = fabrikam.addUser(UserSpec.named("mallory").groups(GROUP_A));
        gatewayMi = contoso.addManagedIdentity("gateway-mi");
        caFile = emu.writeCaCertificate(dir.resolve("emulator-ca.pem"));
    }

    @AfterAll
    static void stopEmulator() {
        if (emu != null) {
            emu.close();
        }
    }

    static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("TENANT_ID", contoso.id());
        m.put("EXPECTED_AUDIENCE", apiV2.clientId() + "," + apiV1.appIdUri());
        m.put("ALLOWED_GROUP_IDS", GROUP_A);
        m.put("ALLOWED_APP_ROLES", "Redis.User");
        m.put("REDIS_HOSTPORT", "127.0.0.1:6380");
        m.put("LISTEN_ADDR", "127.0.0.1:0");
        m.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        m.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
        m.put("HTTPS_CA_FILE", caFile.toString());
        m.put("HTTP_TIMEOUT", "5s");
        m.put("CLOCK_SKEW", "30s");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    EntraAuthenticator authenticator(Map<String, String> env, GraphGroups.BearerToken graph) throws Exception {
        EntraAuthenticator a =
                GatewaySetup.of(GatewayConfig.from(env)).entraAuthenticator(graph, new AuditLog(), Clock.systemUTC());
        return a;
    }

    java.util.concurrent.CompletionStage<String> graphToken() {
        return java.util.concurrent.CompletableFuture.completedFuture(emu.mintAccessToken(
                TokenRequest.forManagedIdentity(contoso, gatewayMi, "https://graph.microsoft.com")));
    }

    @BeforeEach
    void setUp() throws Exception {
        emu.faults().reset();
        auth = authenticator(env(), this::graphToken);
        auth.start().get(20, TimeUnit.SECONDS);
        Logger audit = (Logger) LoggerFactory.getLogger(AuditLog.LOGGER);
        auditEvents = new ListAppender<>();
        auditEvents.start();
        audit.addAppender(auditEvents);
        attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        attacker.createContext("/", ex -> {
            attackerRequests.incrementAndGet();
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        attacker.start();
    }

    @AfterEach
    void tearDown() {
        ((Logger) LoggerFactory.getLogger(AuditLog.LOGGER)).detachAppender(auditEvents);
        auth.close();
        attacker.stop(0);
        emu.faults().reset();
    }

    AuthDecision decide(String user, String token) throws Exception {
        return auth.authenticate(new AuthRequest(user, token, CLIENT))
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    AuthDecision decide(String token) throws Exception {
        return decide(null, token);
    }

    void assertDenied(String token, String reason) throws Exception {
        assertDenied(null, token, reason);
    }

    void assertDenied(String user, String token, String reason) throws Exception {
        AuthDecision d = decide(user, token);
        assertThat(d).isInstanceOf(AuthDecision.Denied.class);
        assertThat(((AuthDecision.Denied) d).reason()).isEqualTo(reason);
        assertThat(((AuthDecision.Denied) d).detail()).doesNotContain(token);
        ILoggingEvent last = auditEvents.list.get(auditEvents.list.size() - 1);
        assertThat(last.getKeyValuePairs().toString())
                .contains("reason=\"" + reason + "\"")
                .doesNotContain(token);
    }

    Principal assertAllowed(String user, String token) throws Exception {
        AuthDecision d = decide(user, token);
        assertThat(d).isInstanceOf(AuthDecision.Allowed.class);
        return ((AuthDecision.Allowed) d).principal();
    }

    static String mint(User u, AppRegistration api) {
        return emu.mintAccessToken(TokenRequest.forUser(u.tenant(), u, api));
    }

    // ---- forging helpers: take a real token's claims, change them, sign with whatever key the case needs ----

    static Map<String, Object> claimsOf(String jwt) throws Exception {
        return JSONObjectUtils.parse(new Base64URL(jwt.split("\\.")[1]).decodeToString());
    }

    static Map<String, Object> rs256Header(String kid) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("alg", "RS256");
        h.put("typ", "JWT");
        if (kid != null) {
            h.put("kid", kid);
        }
        return h;
    }

    static String b64(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    static String signRs256(String headerJson, String payloadJson, RSAKey key) throws Exception {
        String input = b64(headerJson) + "." + b64(payloadJson);
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(key.toPrivateKey());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + Base64URL.encode(s.sign());
    }

    static String forge(Map<String, Object> header, Map<String, Object> claims, RSAKey key) throws Exception {
        return signRs256(JSONObjectUtils.toJSONString(header), JSONObjectUtils.toJSONString(claims), key);
    }

    static String forgeWithTenantKey(Map<String, Object> claims) throws Exception {
        RSAKey key = contoso.signingKeys().currentPrivateKey();
        return forge(rs256Header(key.getKeyID()), claims, key);
    }

    static RSAKey attackerKey(String kid) throws Exception {
        return new RSAKeyGenerator(2048).keyID(kid).generate();
    }

    // ---- admitted ----

    @Test
    void v2TokenOfAGroupMemberIsAdmitted() throws Exception {
        Principal p = assertAllowed(null, mint(alice, apiV2));
        assertThat(p.objectId()).isEqualTo(alice.objectId().toLowerCase());
        assertThat(p.tenantId()).isEqualTo(contoso.id().toLowerCase());
        assertThat(p.groups()).containsExactly(GROUP_A);
        assertThat(p.displayName()).isEqualTo(alice.upn());
        assertThat(p.expiresAt()).isAfter(Instant.now());
        assertThat(auditEvents.list)
                .singleElement()
                .satisfies(e -> assertThat(e.getKeyValuePairs().toString())
                        .contains("result=\"allowed\"", "oid=\"" + alice.objectId() + "\"", "token_sha256="));
    }

    @Test
    void v1TokenWithAppIdUriAudienceIsAdmitted() throws Exception {
        String token = mint(alice, apiV1);
        assertThat(claimsOf(token)).containsEntry("iss", contoso.issuerV1()).containsEntry("aud", apiV1.appIdUri());
        assertAllowed(null, token);
    }

    @Test
    void appRoleAdmitsAUserWithoutGroups() throws Exception {
        Principal p = assertAllowed(null, mint(erin, apiV2));
        assertThat(p.roles()).containsExactly("Redis.User");
        assertThat(p.groups()).isEmpty();
    }

    @Test
    void anyTenantUserAdmitsUsersButNotAppOnlyTokensUnlessAppsAreAllowedToo() throws Exception {
        AppRegistration batch = contoso.registerApp(AppSpec.confidentialClient("batch-job"));
        String appToken = emu.mintAccessToken(TokenRequest.forApp(contoso, batch, apiV2));
        assertThat(claimsOf(appToken)).containsEntry("idtyp", "app").doesNotContainKey("scp");
        Map<String, Object> noIdtyp = claimsOf(mint(alice, apiV2));
        noIdtyp.remove("idtyp");
        Map<String, Object> noIdtypNoScp = new HashMap<>(noIdtyp);
        noIdtypNoScp.remove("scp");
        auth.close();
        auth = authenticator(
                env("ALLOWED_GROUP_IDS", "", "ALLOWED_APP_ROLES", "", "ALLOW_ANY_TENANT_USER", "true"),
                this::graphToken);
        auth.start().get(20, TimeUnit.SECONDS);
        assertAllowed(null, mint(bob, apiV2)); // any user of the tenant
        assertAllowed(null, forgeWithTenantKey(noIdtyp)); // idtyp is optional: scp makes it a user token
        assertDenied(appToken, "app_not_allowed");
        assertDenied(forgeWithTenantKey(noIdtypNoScp), "app_not_allowed");

        auth.close();
        auth = authenticator(
                env(
                        "ALLOWED_GROUP_IDS", "",
                        "ALLOWED_APP_ROLES", "",
                        "ALLOW_ANY_TENANT_USER", "true",
                        "ALLOW_ANY_TENANT_APP", "true"),
                this::graphToken);
        auth.start().get(20, TimeUnit.SECONDS);
        assertThat(assertAllowed(null, appToken).objectId()).isEqualTo(batch.objectId());
    }

    @Test
    void userNameMayBeEmptyDefaultOrTheTokensOid() throws Exception {
        String token = mint(alice, apiV2);
        assertAllowed("", token);
        assertAllowed("default", token);
        assertAllowed(alice.objectId().toUpperCase(), token);
        assertDenied("alice", token, "username_mismatch");
        assertDenied(bob.objectId(), token, "username_mismatch");
    }

    // ---- refusal reasons of issue 3 ----

    @Test
    void wrongSignatureIsRefused() throws Exception {
        String token = mint(alice, apiV2);
        RSAKey other = attackerKey(contoso.signingKeys().currentKeyId());
        String forged = forge(rs256Header(other.getKeyID()), claimsOf(token), other);
        assertDenied(forged, "bad_signature");
        String[] p = token.split("\\.");
        String flipped = p[0] + "." + p[1] + "." + (p[2].charAt(0) == 'A' ? 'B' : 'A') + p[2].substring(1);
        assertDenied(flipped, "bad_signature");
    }

    @Test
    void unknownKidIsRefused() throws Exception {
        RSAKey other = attackerKey("not-a-published-kid");
        assertDenied(forge(rs256Header(other.getKeyID()), claimsOf(mint(alice, apiV2)), other), "unknown_kid");
        assertDenied(forge(rs256Header(null), claimsOf(mint(alice, apiV2)), other), "unknown_kid");
    }

    @Test
    void expiredTokenIsRefused() throws Exception {
        String token = emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2)
                .issuedAt(Instant.now().minus(Duration.ofHours(2)))
                .lifetime(Duration.ofHours(1)));
        assertDenied(token, "expired");
    }

    @Test
    void expiryWithinTheClockSkewIsStillAccepted() throws Exception {
        String token = emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2)
                .issuedAt(Instant.now().minus(Duration.ofMinutes(10)).minusSeconds(5))
                .lifetime(Duration.ofMinutes(10)));
        assertAllowed(null, token);
    }

    @Test
    void notYetValidTokenIsRefused() throws Exception {
        Map<String, Object> c = claimsOf(mint(alice, apiV2));
        long now = Instant.now().getEpochSecond();
        c.put("nbf", now + 600);
        assertDenied(forgeWithTenantKey(c), "not_yet_valid");
    }

    @Test
    void iatFarInTheFutureIsRefused() throws Exception {
        Map<String, Object> c = claimsOf(mint(alice, apiV2));
        c.put("iat", Instant.now().getEpochSecond() + 3600);
        assertDenied(forgeWithTenantKey(c), "not_yet_valid");
    }

    @Test
    void wrongIssuerIsRefused() throws Exception {
        assertDenied(
                emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2).claim("iss", fabrikam.issuerV2())),
                "wrong_issuer");
        assertDenied(
                emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2).claim("iss", contoso.issuerV2() + "/")),
                "wrong_issuer");
        assertDenied(
                emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2)
                        .claim("iss", "https://login.microsoftonline.com/" + contoso.id() + "/v2.0")),
                "wrong_issuer");
    }

    @Test
    void v1AndV2IssuersAreBothAcceptedButNothingElse() throws Exception {
        assertThat(auth.issuers()).containsExactlyInAnyOrder(contoso.issuerV1(), contoso.issuerV2());
        assertAllowed(
                null,
                emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2).version(1)));
    }

    @Test
    void tokenForAnotherApiIsRefused() throws Exception {
        assertDenied(mint(alice, otherApi), "wrong_audience");
        assertDenied(
                emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2).claim("aud", List.of("x", "y"))),
                "wrong_audience");
    }

    @Test
    void wrongTenantIsRefused() throws Exception {
        assertDenied(
                emu.mintAccessToken(TokenRequest.forUser(contoso, alice, apiV2)
                        .claim("tid", UUID.randomUUID().toString())),
                "wrong_tenant");
    }

    @Test
    void tokenOfAnotherTenantSignedByThatTenantsRealKeyIsRefused() throws Exception {
        String token = mint(fabrikamUser, fabrikamApi);
        AuthDecision d = decide(token);
        assertThat(d).isInstanceOf(AuthDecision.Denied.class);
        assertThat(((AuthDecision.Denied) d).reason()).isIn("unknown_kid", "wrong_issuer");
    }

    @Test
    void userInNoAllowedGroupIsRefused() throws Exception {
        assertDenied(mint(bob, apiV2), "missing_group");
    }

    @Test
    void requiredGroupsMustAllMatch() throws Exception {
        auth.close();
        auth = authenticator(
                env("ALLOWED_GROUP_IDS", GROUP_A, "REQUIRED_GROUP_IDS", GROUP_A.toUpperCase() + "," + GROUP_B), null);
        auth.start().get(20, TimeUnit.SECONDS);
        assertDenied(mint(alice, apiV2), "missing_group");
        User both = contoso.addUser(UserSpec.named("both-" + UUID.randomUUID()).groups(GROUP_A, GROUP_B));
        assertThat(assertAllowed(null, mint(both, apiV2)).groups()).containsExactlyInAnyOrder(GROUP_A, GROUP_B);
    }

    @Test
    void algNoneIsRefused() throws Exception {
        String payload = mint(alice, apiV2).split("\\.")[1];
        assertDenied(b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + payload + ".", "alg_not_allowed");
        assertDenied(b64("{\"alg\":\"none\"}") + "." + payload + ".c2ln", "alg_not_allowed");
    }

    @Test
    void hmacSignedWithThePublicKeyIsRefused() throws Exception {
        RSAKey pub = contoso.signingKeys().currentPrivateKey().toPublicJWK();
        String payload = mint(alice, apiV2).split("\\.")[1];
        for (String alg : List.of("HS256", "HS384", "HS512")) {
            String header = b64("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\",\"kid\":\"" + pub.getKeyID() + "\"}");
            String javaAlg = "Hmac" + alg.replace("HS", "SHA");
            Mac mac = Mac.getInstance(javaAlg);
            mac.init(new SecretKeySpec(pub.toPublicKey().getEncoded(), javaAlg));
            String sig = Base64URL.encode(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII)))
                    .toString();
            assertDenied(header + "." + payload + "." + sig, "alg_not_allowed");
        }
    }

    // ---- issue 7: header tricks ----

    @Test
    void jkuX5uAndJwkHeadersAreNeverFetchedNorTrusted() throws Exception {
        Map<String, Object> claims = claimsOf(mint(alice, apiV2));
        RSAKey evil = attackerKey("evil");
        String url = "http://127.0.0.1:" + attacker.getAddress().getPort() + "/keys";

        Map<String, Object> jku = rs256Header("evil");
        jku.put("jku", url);
        assertDenied(forge(jku, claims, evil), "unknown_kid");

        Map<String, Object> x5u = rs256Header("evil");
        x5u.put("x5u", url);
        assertDenied(forge(x5u, claims, evil), "unknown_kid");

        Map<String, Object> jwk = rs256Header(contoso.signingKeys().currentKeyId());
        jwk.put("jwk", evil.toPublicJWK().toJSONObject());
        assertDenied(forge(jwk, claims, evil), "bad_signature");

        Map<String, Object> jwkNoKid = rs256Header(null);
        jwkNoKid.put("jwk", evil.toPublicJWK().toJSONObject());
        assertDenied(forge(jwkNoKid, claims, evil), "unknown_kid");

        assertThat(attackerRequests.get()).isZero();
    }

    @Test
    void critHeaderIsRefused() throws Exception {
        Map<String, Object> h = rs256Header(contoso.signingKeys().currentKeyId());
        h.put("crit", List.of("exp"));
        h.put("exp", 1);
        assertDenied(
                forge(h, claimsOf(mint(alice, apiV2)), contoso.signingKeys().currentPrivateKey()),
                "unsupported_header");
    }

    @Test
    void jweIsRefused() throws Exception {
        String jwe = b64("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\"}") + ".a2V5.aXY.Y2lwaGVy.dGFn";
        assertDenied(jwe, "malformed");
    }

    @Test
    void structurallyBrokenTokensAreMalformed() throws Exception {
        String token = mint(alice, apiV2);
        String[] p = token.split("\\.");
        List<String> broken = new ArrayList<>(List.of(
                token.substring(0, token.lastIndexOf('.')), // two segments
                p[0] + "." + p[1], // truncated
                token + ".extra", // four segments
                token + "." + p[2] + ".x.y", // six
                " " + token, // whitespace
                token.replace(".", ". "),
                p[0] + "." + p[1] + "+/=." + p[2], // not base64url
                "not-a-jwt",
                "",
                b64("not json") + "." + p[1] + "." + p[2],
                "x".repeat(70_000) + "." + p[1] + "." + p[2])); // huge header
        for (String b : broken) {
            AuthDecision d = decide(b);
            assertThat(d).as("refused").isInstanceOf(AuthDecision.Denied.class);
            assertThat(((AuthDecision.Denied) d).reason()).as("reason").isIn("malformed", "bad_signature");
        }
        assertDenied(p[0] + "." + p[1] + ".", "bad_signature");
    }

    @Test
    void duplicateJsonKeysAreRefused() throws Exception {
        Map<String, Object> c = claimsOf(mint(alice, apiV2));
        String json = JSONObjectUtils.toJSONString(c);
        String dup = json.substring(0, json.length() - 1) + ",\"aud\":\"" + otherApi.clientId() + "\"}";
        RSAKey key = contoso.signingKeys().currentPrivateKey();
        String token = signRs256(JSONObjectUtils.toJSONString(rs256Header(key.getKeyID())), dup, key);
        AuthDecision d = decide(token);
        assertThat(d).isInstanceOf(AuthDecision.Denied.class);
        assertThat(((AuthDecision.Denied) d).reason()).isIn("malformed", "wrong_audience");
    }

    // ---- issue 7: claim types ----

    @Test
    void claimsOfTheWrongTypeOrMissingAreMalformed() throws Exception {
        Map<String, Object> base = claimsOf(mint(alice, apiV2));
        Map<String, Object> c;
        c = new LinkedHashMap<>(base);
        c.remove("exp");
        assertDenied(forgeWithTenantKey(c), "malformed");
        c = new LinkedHashMap<>(base);
        c.put("exp", String.valueOf(base.get("exp")));
        assertDenied(forgeWithTenantKey(c), "malformed");
        c = new LinkedHashMap<>(base);
        c.put("nbf", String.valueOf(base.get("nbf")));
        assertDenied(forgeWithTenantKey(c), "malformed");
        c = new LinkedHashMap<>(base);
        c.put("groups", GROUP_A);
        assertDenied(forgeWithTenantKey(c), "malformed");
        c = new LinkedHashMap<>(base);
        c.put("groups", List.of(GROUP_A, 7));
        assertDenied(forgeWithTenantKey(c), "malformed");
        c = new LinkedHashMap<>(base);
        c.put("roles", "Redis.User");
        assertDenied(forgeWithTenantKey(c), "malformed");
        c = new LinkedHashMap<>(base);
        c.remove("oid");
        assertDenied(forgeWithTenantKey(c), "malformed");
        c = new LinkedHashMap<>(base);
        c.put("oid", "../../users/x");
        assertDenied(forgeWithTenantKey(c), "malformed");
        c = new LinkedHashMap<>(base);
        c.put("tid", 5);
        assertDenied(forgeWithTenantKey(c), "malformed");
        c = new LinkedHashMap<>(base);
        c.put("aud", 5);
        assertDenied(forgeWithTenantKey(c), "malformed");
    }

    // ---- keys: rotation, unknown-kid rate limit, retirement, outage ----

    @Test
    void rotatedKeyIsFetchedOnceAndFurtherUnknownKidsWaitForTheInterval() throws Exception {
        assertAllowed(null, mint(alice, apiV2));
        long before = emu.requestCount(Endpoint.JWKS);
        contoso.signingKeys().rotate();
        assertAllowed(null, mint(alice, apiV2)); // new kid → one refresh
        long afterRotation = emu.requestCount(Endpoint.JWKS);
        assertThat(afterRotation).isGreaterThan(before);

        contoso.signingKeys().rotate();
        assertDenied(mint(alice, apiV2), "unknown_kid"); // within 5 minutes: no second refresh
        RSAKey evil = attackerKey("evil-2");
        assertDenied(forge(rs256Header("evil-2"), claimsOf(mint(alice, apiV2)), evil), "unknown_kid");
        assertThat(emu.requestCount(Endpoint.JWKS)).isEqualTo(afterRotation);
    }

    @Test
    void retiredKeyIsRefusedAfterTheNextRefresh() throws Exception {
        String oldKid = contoso.signingKeys().currentKeyId();
        String oldToken = mint(alice, apiV2);
        assertAllowed(null, oldToken);
        contoso.signingKeys().rotate();
        contoso.signingKeys().retire(oldKid);
        auth.keys().refresh().get(20, TimeUnit.SECONDS);
        assertDenied(oldToken, "unknown_kid");
        assertAllowed(null, mint(alice, apiV2));
    }

    @Test
    void jwksOutageKeepsTheLastKnownGoodKeys() throws Exception {
        String token = mint(alice, apiV2);
        emu.faults().outage(Endpoint.JWKS, true);
        emu.faults().outage(Endpoint.DISCOVERY, true);
        auth.keys().refresh().handle((s, e) -> null).get(20, TimeUnit.SECONDS);
        assertThat(auth.keyStatus().keysLoaded()).isTrue();
        assertThat(auth.keyStatus().lastError()).isPresent();
        assertAllowed(null, token);
        emu.faults().reset();
        auth.keys().refresh().get(20, TimeUnit.SECONDS);
        assertThat(auth.keyStatus().lastError()).isEmpty();
    }

    @Test
    void withoutAnyKeysTokensAreRefusedAsKeysUnavailable() throws Exception {
        auth.close();
        emu.faults().outage(Endpoint.JWKS, true);
        auth = authenticator(env(), null);
        auth.start().handle((v, e) -> null).get(20, TimeUnit.SECONDS);
        assertThat(auth.keyStatus().keysLoaded()).isFalse();
        assertDenied(mint(alice, apiV2), "keys_unavailable");
    }

    @Test
    void keysThatFailedToLoadAtStartAreRetriedSoonAndTheGatewayRecoversByItself() throws Exception {
        auth.close();
        emu.faults().outage(Endpoint.JWKS, true);
        auth = authenticator(env(), null); // JWKS_REFRESH_INTERVAL is the 1 h default here
        auth.start().handle((v, e) -> null).get(20, TimeUnit.SECONDS);
        assertThat(auth.keyStatus().keysLoaded()).isFalse();
        long failedFetches = emu.requestCount(Endpoint.JWKS);

        emu.faults().outage(Endpoint.JWKS, false);
        // No client action: the backoff retries (about 1 s, 2 s, 4 s …) load the keys long before the hourly refresh.
        await().atMost(Duration.ofSeconds(30)).until(() -> auth.keyStatus().keysLoaded());
        assertAllowed(null, mint(alice, apiV2));
        long fetchesAfterRecovery = emu.requestCount(Endpoint.JWKS);
        assertThat(fetchesAfterRecovery - failedFetches)
                .as("JWKS fetches after the outage")
                .isBetween(1L, 8L);
    }

    // ---- overage ----

    @Test
    void overageUserInAnAllowedGroupIsAdmittedThroughGraph() throws Exception {
        String token = mint(carol, apiV2);
        assertThat(claimsOf(token)).containsKey("_claim_names").doesNotContainKey("groups");
        long graphBefore = emu.requestCount(Endpoint.GRAPH);
        Principal p = assertAllowed(null, token);
        assertThat(p.groups()).containsExactly(GROUP_A);
        assertThat(emu.requestCount(Endpoint.GRAPH)).isEqualTo(graphBefore + 1);
        assertAllowed(null, token); // cached per oid
        assertThat(emu.requestCount(Endpoint.GRAPH)).isEqualTo(graphBefore + 1);
    }

    @Test
    void overageUserInNoAllowedGroupIsRefused() throws Exception {
        assertDenied(mint(dave, apiV2), "missing_group");
    }

    @Test
    void overageWithGraphDownIsRefused() throws Exception {
        emu.faults().outage(Endpoint.GRAPH, true);
        assertDenied(mint(carol, apiV2), "overage_unresolved");
    }

    @Test
    void overageWithoutAGatewayIdentityIsRefused() throws Exception {
        auth.close();
        auth = authenticator(env(), null);
        auth.start().get(20, TimeUnit.SECONDS);
        assertDenied(mint(carol, apiV2), "overage_unresolved");
    }

    @Test
    void claimSourcesInATokenAreNeverCalled() throws Exception {
        String url = "http://127.0.0.1:" + attacker.getAddress().getPort() + "/aadgraph";
        Map<String, Object> c = claimsOf(mint(carol, apiV2));
        c.put("_claim_sources", Map.of("src1", Map.of("endpoint", url)));
        assertAllowed(null, forgeWithTenantKey(c));
        assertThat(attackerRequests.get()).isZero();
    }
}
