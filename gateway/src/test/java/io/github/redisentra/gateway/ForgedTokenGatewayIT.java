package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpServer;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.it.NettyLeakCheck;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Forged and malformed client tokens against the assembled gateway (real {@code EntraAuthenticator}, real sockets,
 * the emulator as identity provider, a TLS redis-server as the cache). One row per case; each must get exactly
 * Redis's {@code -WRONGPASS}, leave the connection unauthenticated ({@code -NOAUTH} next), open no upstream
 * connection (neither the gateway's counter nor redis-server's {@code total_connections_received} moves), write an
 * audit event with the expected reason and without the token, and leave an authenticated bystander served.
 */
@Timeout(300)
@ExtendWith(NettyLeakCheck.class)
class ForgedTokenGatewayIT {
    static final String GROUP = "aaaaaaaa-0000-4000-8000-0000000000f7";
    static final String WRONGPASS = "-WRONGPASS invalid username-password pair or user is disabled.";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant contoso;
    static Tenant fabrikam;
    static AppRegistration api;
    static AppRegistration otherApi;
    static AppRegistration fabrikamApi;
    static AppRegistration svc;
    static User alice;
    static User bob;
    static User carol;
    static User fabrikamUser;
    static String retiredKeyToken;
    static RedisServer redis;
    static AzureCacheStandIn cache;
    static GatewayRuntime runtime;
    static int port;
    static RedisCli bystander;
    static HttpServer attacker;
    static final AtomicInteger attackerRequests = new AtomicInteger();
    static int bystanderCount;

    ListAppender<ILoggingEvent> audit;

    @BeforeAll
    static void start() throws Exception {
        emu = EntraEmulator.builder().build().start();
        contoso = emu.createTenant("contoso");
        fabrikam = emu.createTenant("fabrikam");
        api = contoso.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        otherApi = contoso.registerApp(AppSpec.api("payroll").groupMembershipClaims(true));
        fabrikamApi = fabrikam.registerApp(
                AppSpec.api("gateway").clientId(api.clientId()).groupMembershipClaims(true));
        svc = contoso.registerApp(AppSpec.confidentialClient("gateway-sp").secret("forged-it-secret"));
        alice = contoso.addUser(UserSpec.named("alice").groups(GROUP));
        bob = contoso.addUser(UserSpec.named("bob").groups(UUID.randomUUID().toString()));
        carol = contoso.addUser(UserSpec.named("carol").groupCount(250));
        carol.addGroups(GROUP);
        fabrikamUser = fabrikam.addUser(UserSpec.named("mallory").groups(GROUP));
        // A real token signed by a key that is retired before the gateway ever loads the keys.
        String oldKid = contoso.signingKeys().currentKeyId();
        retiredKeyToken = mint(alice);
        contoso.signingKeys().rotate();
        contoso.signingKeys().retire(oldKid);

        Path emulatorCa = emu.writeCaCertificate(dir.resolve("emulator-ca.pem"));
        redis = RedisServer.builder().tlsOnly().name("forged-it").start();
        cache = AzureCacheStandIn.builder(redis)
                .objectId(svc.objectId())
                .build()
                .watch(emu);
        attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        attacker.createContext("/", ex -> {
            attackerRequests.incrementAndGet();
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        attacker.start();

        Map<String, String> env = TestGatewaySettings.base(
                emu, contoso.id(), api.clientId(), emulatorCa, redis.tlsPort(), redis.caFile());
        env.put("ALLOWED_GROUP_IDS", GROUP);
        env.put("ADMIN_ADDR", "off");
        env.put("CLOCK_SKEW", "1s");
        env.put("AZURE_CLIENT_ID", svc.clientId());
        env.put("AZURE_TENANT_ID", contoso.id());
        env.put("AZURE_CLIENT_SECRET", "forged-it-secret");
        runtime = GatewayRuntime.create(GatewayConfig.from(env), Clock.systemUTC());
        runtime.start(RespListenerWiring::start);
        port = runtime.listener().orElseThrow().localAddress().getPort();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> runtime.authenticator().keyStatus().keysLoaded());
        runtime.upstream().first().get(30, java.util.concurrent.TimeUnit.SECONDS);
        bystander = RedisCli.connect("127.0.0.1", port);
        assertThat(bystander.callString("AUTH", mint(alice))).isEqualTo("OK");
        bystander.call("DEL", "bystander");
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {bystander, runtime, cache, redis, emu}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
        if (attacker != null) {
            attacker.stop(0);
        }
    }

    @BeforeEach
    void attachAudit() {
        audit = new ListAppender<>();
        audit.start();
        ((Logger) LoggerFactory.getLogger(AuditLog.LOGGER)).addAppender(audit);
    }

    @AfterEach
    void detachAudit() {
        ((Logger) LoggerFactory.getLogger(AuditLog.LOGGER)).detachAppender(audit);
        emu.faults().reset();
    }

    // ---------------------------------------------------------------- the cases

    /** How a case presents its token: {@code AUTH <token>}, {@code AUTH <user> <token>} or {@code HELLO 3 AUTH}. */
    enum Via {
        AUTH,
        AUTH_AS_OTHER_USER,
        HELLO
    }

    record Case(String name, Function<Void, String> token, String reason, Via via) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Arguments row(String name, String reason, Function<Void, String> token) {
        return Arguments.of(new Case(name, token, reason, Via.AUTH));
    }

    static Arguments row(String name, String reason, Via via, Function<Void, String> token) {
        return Arguments.of(new Case(name, token, reason, via));
    }

    static Stream<Arguments> forgedTokens() {
        return Stream.of(
                // ---- algorithms
                row(
                        "alg none, empty signature",
                        "alg_not_allowed",
                        v -> b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + payload(mint(alice)) + "."),
                row(
                        "alg none with a signature",
                        "alg_not_allowed",
                        v -> b64("{\"alg\":\"none\"}") + "." + payload(mint(alice)) + ".c2ln"),
                row(
                        "alg NONE upper case",
                        "alg_not_allowed",
                        v -> b64("{\"alg\":\"NONE\"}") + "." + payload(mint(alice)) + "."),
                row("HS256 keyed with the RSA public key", "alg_not_allowed", v -> hmac("HS256")),
                row("HS384 keyed with the RSA public key", "alg_not_allowed", v -> hmac("HS384")),
                row("HS512 keyed with the RSA public key", "alg_not_allowed", v -> hmac("HS512")),
                row("RS512 signed by the tenant's real key", "alg_not_allowed", v -> withAlg("RS512", "SHA512withRSA")),
                row("RS384 signed by the tenant's real key", "alg_not_allowed", v -> withAlg("RS384", "SHA384withRSA")),
                row(
                        "ES256 header",
                        "alg_not_allowed",
                        v -> b64("{\"alg\":\"ES256\",\"kid\":\""
                                        + contoso.signingKeys().currentKeyId() + "\"}") + "." + payload(mint(alice))
                                + ".c2ln"),
                // ---- keys
                row(
                        "RS256 by a key not in JWKS, real kid",
                        "bad_signature",
                        v -> forge(header(contoso.signingKeys().currentKeyId()), claims(), attackerKey())),
                row(
                        "RS256 by a key not in JWKS, its own kid",
                        "unknown_kid",
                        v -> forge(header("attacker-kid"), claims(), attackerKey())),
                row("kid missing", "unknown_kid", v -> forge(header(null), claims(), realKey())),
                row("kid of a retired key", "unknown_kid", v -> retiredKeyToken),
                row("kid empty string", "unknown_kid", v -> forge(header(""), claims(), realKey())),
                row("jku header pointing at the attacker", "unknown_kid", v -> {
                    Map<String, Object> h = header("evil");
                    h.put("jku", attackerUrl());
                    return forge(h, claims(), attackerKey());
                }),
                row("x5u header pointing at the attacker", "unknown_kid", v -> {
                    Map<String, Object> h = header("evil");
                    h.put("x5u", attackerUrl());
                    return forge(h, claims(), attackerKey());
                }),
                row("embedded jwk with the real kid", "bad_signature", v -> {
                    Map<String, Object> h = header(contoso.signingKeys().currentKeyId());
                    RSAKey evil = attackerKey();
                    h.put("jwk", evil.toPublicJWK().toJSONObject());
                    return forge(h, claims(), evil);
                }),
                row("embedded jwk without kid", "unknown_kid", v -> {
                    Map<String, Object> h = header(null);
                    RSAKey evil = attackerKey();
                    h.put("jwk", evil.toPublicJWK().toJSONObject());
                    return forge(h, claims(), evil);
                }),
                row("embedded x5c with the real kid", "bad_signature", v -> {
                    Map<String, Object> h = header(contoso.signingKeys().currentKeyId());
                    h.put("x5c", List.of(Base64.encode("not a certificate").toString()));
                    return forge(h, claims(), attackerKey());
                }),
                row("crit exp", "unsupported_header", v -> {
                    Map<String, Object> h = header(contoso.signingKeys().currentKeyId());
                    h.put("crit", List.of("exp"));
                    h.put("exp", 1);
                    return forge(h, claims(), realKey());
                }),
                row("crit b64=false", "unsupported_header", v -> {
                    Map<String, Object> h = header(contoso.signingKeys().currentKeyId());
                    h.put("crit", List.of("b64"));
                    h.put("b64", false);
                    return forge(h, claims(), realKey());
                }),
                // ---- structure
                row(
                        "JWE instead of JWS",
                        "malformed",
                        v -> b64("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\"}") + ".a2V5.aXY.Y2lwaGVy.dGFn"),
                row("two segments", "malformed", v -> {
                    String t = mint(alice);
                    return t.substring(0, t.lastIndexOf('.'));
                }),
                row("four segments", "malformed", v -> mint(alice) + ".extra"),
                row("leading space", "malformed", v -> " " + mint(alice)),
                row("space after a dot", "malformed", v -> mint(alice).replaceFirst("\\.", ". ")),
                row("non-base64url payload", "malformed", v -> {
                    String[] p = mint(alice).split("\\.");
                    return p[0] + "." + p[1] + "+/=." + p[2];
                }),
                row("header not JSON", "malformed", v -> {
                    String[] p = mint(alice).split("\\.");
                    return b64("not json") + "." + p[1] + "." + p[2];
                }),
                row(
                        "payload a JSON array",
                        "malformed",
                        v -> signRs256(
                                JSONObjectUtils.toJSONString(
                                        header(contoso.signingKeys().currentKeyId())),
                                "[1,2]",
                                realKey())),
                row("huge header (40 KB)", "malformed", v -> {
                    String[] p = mint(alice).split("\\.");
                    return "x".repeat(40_000) + "." + p[1] + "." + p[2];
                }),
                row("not a JWT at all", "malformed", v -> "password"),
                row("empty signature", "bad_signature", v -> {
                    String[] p = mint(alice).split("\\.");
                    return p[0] + "." + p[1] + ".";
                }),
                row("one signature byte flipped", "bad_signature", v -> {
                    String[] p = mint(alice).split("\\.");
                    return p[0] + "." + p[1] + "." + (p[2].charAt(0) == 'A' ? 'B' : 'A') + p[2].substring(1);
                }),
                row("payload swapped under a real signature", "bad_signature", v -> {
                    String[] a = mint(alice).split("\\.");
                    String[] b = mint(bob).split("\\.");
                    return a[0] + "." + b[1] + "." + a[2];
                }),
                row("duplicate aud key, the last one foreign", "malformed", v -> {
                    String json = JSONObjectUtils.toJSONString(claims());
                    String dup = json.substring(0, json.length() - 1) + ",\"aud\":\"" + otherApi.clientId() + "\"}";
                    return signRs256(
                            JSONObjectUtils.toJSONString(
                                    header(contoso.signingKeys().currentKeyId())),
                            dup,
                            realKey());
                }),
                // ---- issuer, audience, tenant
                row("iss of another tenant", "wrong_issuer", v -> mintWith("iss", fabrikam.issuerV2())),
                row("iss with a trailing slash", "wrong_issuer", v -> mintWith("iss", contoso.issuerV2() + "/")),
                row(
                        "iss v1 host with the v2 path",
                        "wrong_issuer",
                        v -> mintWith("iss", "https://sts.windows.net/" + contoso.id() + "/v2.0")),
                row(
                        "iss v2 host without /v2.0",
                        "wrong_issuer",
                        v -> mintWith("iss", "https://login.microsoftonline.com/" + contoso.id() + "/")),
                row(
                        "aud of another API",
                        "wrong_audience",
                        v -> emu.mintAccessToken(TokenRequest.forUser(contoso, alice, otherApi))),
                row(
                        "aud an array of foreign audiences",
                        "wrong_audience",
                        v -> mintWith("aud", List.of("x", otherApi.clientId()))),
                row(
                        "tid of another tenant",
                        "wrong_tenant",
                        v -> mintWith("tid", UUID.randomUUID().toString())),
                row(
                        "another tenant's token signed by its real key",
                        "unknown_kid",
                        v -> emu.mintAccessToken(TokenRequest.forUser(fabrikam, fabrikamUser, fabrikamApi))),
                // ---- time
                row(
                        "exp passed",
                        "expired",
                        v -> emu.mintAccessToken(TokenRequest.forUser(contoso, alice, api)
                                .issuedAt(Instant.now().minus(Duration.ofHours(2)))
                                .lifetime(Duration.ofHours(1)))),
                row(
                        "nbf in the future",
                        "not_yet_valid",
                        v -> forgeClaims(c -> c.put("nbf", Instant.now().getEpochSecond() + 600))),
                row(
                        "iat far in the future",
                        "not_yet_valid",
                        v -> forgeClaims(c -> c.put("iat", Instant.now().getEpochSecond() + 3600))),
                // ---- claim types
                row("exp missing", "malformed", v -> forgeClaims(c -> c.remove("exp"))),
                row("exp a string", "malformed", v -> forgeClaims(c -> c.put("exp", String.valueOf(c.get("exp"))))),
                row("nbf a string", "malformed", v -> forgeClaims(c -> c.put("nbf", String.valueOf(c.get("nbf"))))),
                row("groups not an array", "malformed", v -> forgeClaims(c -> c.put("groups", GROUP))),
                row("groups holding a number", "malformed", v -> forgeClaims(c -> c.put("groups", List.of(GROUP, 7)))),
                row("roles a string", "malformed", v -> forgeClaims(c -> c.put("roles", "Redis.User"))),
                row("oid missing", "malformed", v -> forgeClaims(c -> c.remove("oid"))),
                row("oid not a GUID", "malformed", v -> forgeClaims(c -> c.put("oid", "../../users/x"))),
                row("tid a number", "malformed", v -> forgeClaims(c -> c.put("tid", 5))),
                // ---- authorization
                row("valid token, no allowed group", "missing_group", v -> mint(bob)),
                row("overage with Microsoft Graph down", "overage_unresolved", v -> {
                    emu.faults().outage(Endpoint.GRAPH, true);
                    return mint(carol);
                }),
                row(
                        "valid token, AUTH user name of someone else",
                        "username_mismatch",
                        Via.AUTH_AS_OTHER_USER,
                        v -> mint(alice)),
                row(
                        "HELLO 3 AUTH with alg none",
                        "alg_not_allowed",
                        Via.HELLO,
                        v -> b64("{\"alg\":\"none\"}") + "." + payload(mint(alice)) + "."),
                row(
                        "HELLO 3 AUTH with a foreign signature",
                        "bad_signature",
                        Via.HELLO,
                        v -> forge(header(contoso.signingKeys().currentKeyId()), claims(), attackerKey())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forgedTokens")
    void isRefusedWithWrongpassOpensNothingIsAuditedAndOthersAreServed(Case c) throws Exception {
        String token = c.token().apply(null);
        long upstreamBefore = upstreamConnectionsOpened();
        long redisBefore = redisConnectionsReceived();
        int attackerBefore = attackerRequests.get();

        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            byte[] cmd = switch (c.via()) {
                case AUTH -> RedisCli.encode("AUTH", token);
                case AUTH_AS_OTHER_USER -> RedisCli.encode("AUTH", bob.objectId(), token);
                case HELLO -> RedisCli.encode("HELLO", "3", "AUTH", "default", token);
            };
            s.getOutputStream().write(cmd);
            s.getOutputStream().write(RedisCli.encode("PING"));
            InputStream in = s.getInputStream();
            assertThat(line(in)).isEqualTo(WRONGPASS);
            assertThat(line(in)).as("still unauthenticated").isEqualTo("-NOAUTH Authentication required.");
        }

        await().atMost(Duration.ofSeconds(10))
                .until(() -> audit.list.stream()
                        .anyMatch(e -> e.getKeyValuePairs().toString().contains("result=\"denied\"")));
        assertThat(audit.list).hasSize(1);
        String kv = audit.list.get(0).getKeyValuePairs().toString();
        assertThat(kv).contains("reason=\"" + c.reason() + "\"");
        assertThat(audit.list.get(0).getFormattedMessage() + kv).doesNotContain(token);

        assertThat(upstreamConnectionsOpened())
                .as("gateway upstream connections")
                .isEqualTo(upstreamBefore);
        assertThat(redisConnectionsReceived())
                .as("connections redis-server received")
                .isEqualTo(redisBefore);
        assertThat(attackerRequests.get()).as("URLs from the token fetched").isEqualTo(attackerBefore);
        assertThat(bystander.call("INCR", "bystander")).isEqualTo((long) ++bystanderCount);
    }

    @Test
    void theCaseTableCoversAtLeastFortyDistinctForgeries() {
        List<Arguments> rows = forgedTokens().toList();
        assertThat(rows).hasSizeGreaterThanOrEqualTo(40);
        assertThat(rows.stream().map(a -> a.get()[0].toString()).distinct()).hasSameSizeAs(rows);
        assertThat(rows.stream()
                        .map(a -> ((Case) a.get()[0]).reason())
                        .distinct()
                        .count())
                .isGreaterThanOrEqualTo(12);
    }

    @Test
    void aTokenReplayedAfterItExpiredOnALiveConnectionIsRefused() throws Exception {
        String shortLived =
                emu.mintAccessToken(TokenRequest.forUser(contoso, alice, api).lifetime(Duration.ofSeconds(3)));
        long upstreamBefore = upstreamConnectionsOpened();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            s.getOutputStream().write(RedisCli.encode("AUTH", shortLived));
            assertThat(line(in)).isEqualTo("+OK");
            await().atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        s.getOutputStream().write(RedisCli.encode("PING"));
                        return line(in).equals("-NOAUTH Authentication required.");
                    });
            s.getOutputStream().write(RedisCli.encode("AUTH", shortLived));
            s.getOutputStream().write(RedisCli.encode("PING"));
            assertThat(line(in)).isEqualTo(WRONGPASS);
            assertThat(line(in)).isEqualTo("-NOAUTH Authentication required.");
        }
        assertThat(audit.list.get(audit.list.size() - 1).getKeyValuePairs().toString())
                .contains("reason=\"expired\"");
        assertThat(upstreamConnectionsOpened()).isEqualTo(upstreamBefore + 1); // only the first, valid AUTH
    }

    // ---------------------------------------------------------------- helpers

    static String line(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
                return sb.substring(0, sb.length() - 1);
            }
            sb.append((char) c);
        }
        throw new java.io.EOFException("closed after: " + sb);
    }

    static long upstreamConnectionsOpened() {
        String prefix = "redis_entra_gateway_upstream_connections_total ";
        return runtime.metrics()
                .render()
                .lines()
                .filter(l -> l.startsWith(prefix))
                .mapToLong(l ->
                        (long) Double.parseDouble(l.substring(prefix.length()).trim()))
                .findFirst()
                .orElseThrow();
    }

    static long redisConnectionsReceived() {
        String info = redis.cli().callString("INFO", "stats");
        return info.lines()
                .filter(l -> l.startsWith("total_connections_received:"))
                .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim()))
                .findFirst()
                .orElseThrow();
    }

    static String mint(User u) {
        return emu.mintAccessToken(TokenRequest.forUser(u.tenant(), u, api));
    }

    static String mintWith(String claim, Object value) {
        return emu.mintAccessToken(TokenRequest.forUser(contoso, alice, api).claim(claim, value));
    }

    static String payload(String jwt) {
        return jwt.split("\\.")[1];
    }

    static Map<String, Object> claims() {
        try {
            return JSONObjectUtils.parse(new Base64URL(payload(mint(alice))).decodeToString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String forgeClaims(java.util.function.Consumer<Map<String, Object>> change) {
        Map<String, Object> c = new LinkedHashMap<>(claims());
        change.accept(c);
        return forge(header(contoso.signingKeys().currentKeyId()), c, realKey());
    }

    static Map<String, Object> header(String kid) {
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

    static RSAKey realKey() {
        return contoso.signingKeys().currentPrivateKey();
    }

    static RSAKey attackerKey() {
        try {
            return new RSAKeyGenerator(2048).keyID("attacker").generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String attackerUrl() {
        return "http://127.0.0.1:" + attacker.getAddress().getPort() + "/keys";
    }

    static String forge(Map<String, Object> header, Map<String, Object> claims, RSAKey key) {
        return signRs256(JSONObjectUtils.toJSONString(header), JSONObjectUtils.toJSONString(claims), key);
    }

    static String signRs256(String headerJson, String payloadJson, RSAKey key) {
        return sign(b64(headerJson) + "." + b64(payloadJson), "SHA256withRSA", key);
    }

    static String sign(String input, String javaAlg, RSAKey key) {
        try {
            Signature s = Signature.getInstance(javaAlg);
            s.initSign(key.toPrivateKey());
            s.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + Base64URL.encode(s.sign());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String withAlg(String alg, String javaAlg) {
        Map<String, Object> h = header(contoso.signingKeys().currentKeyId());
        h.put("alg", alg);
        return sign(
                b64(JSONObjectUtils.toJSONString(h)) + "." + b64(JSONObjectUtils.toJSONString(claims())),
                javaAlg,
                realKey());
    }

    static String hmac(String alg) {
        try {
            RSAKey pub = realKey().toPublicJWK();
            String header = b64("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\",\"kid\":\"" + pub.getKeyID() + "\"}");
            String input = header + "." + payload(mint(alice));
            String javaAlg = "Hmac" + alg.replace("HS", "SHA");
            Mac mac = Mac.getInstance(javaAlg);
            mac.init(new SecretKeySpec(pub.toPublicKey().getEncoded(), javaAlg));
            return input + "." + Base64URL.encode(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
