package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.aad.msal4j.MsalManagedIdentityEnvironment;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.config.UpstreamCredentialSource;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each way the gateway can obtain its upstream identity from azure-identity, driven through the gateway's own
 * configuration path ({@link GatewayConfig} → {@code UpstreamIdentity} → {@code AzureIdentities}) against the Entra
 * emulator, and ending with a client session through the gateway on a TLS redis-server whose ACL user (an
 * {@link AzureCacheStandIn}) accepts only that identity's tokens.
 *
 * <p>azure-identity 1.19 hands managed identity to MSAL, which reads its environment variables itself; the tests
 * set them through MSAL's package-private hook ({@link MsalManagedIdentityEnvironment}) instead of the process
 * environment. IMDS is found at {@code AZURE_POD_IDENTITY_AUTHORITY_HOST}, MSAL's documented override of
 * {@code 169.254.169.254}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UpstreamIdentityPathsIT {
    static final String GROUP = "0b1c5e6f-7a2d-4c3b-9e8f-5d4c3b2a1f00";

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice;
    static RedisServer redis;
    static Path emulatorCa;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        emulatorCa = emu.writeCaCertificate(dir.resolve("emulator-ca.pem"));
        redis = RedisServer.builder().tlsOnly().name("identity-paths").start();
    }

    @AfterEach
    void resetMsal() {
        MsalManagedIdentityEnvironment.reset();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
        if (emu != null) {
            emu.close();
        }
    }

    static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("TENANT_ID", tenant.id());
        m.put("EXPECTED_AUDIENCE", api.clientId());
        m.put("ALLOWED_GROUP_IDS", GROUP);
        m.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        m.put("HTTPS_CA_FILE", emulatorCa.toString());
        m.put("REDIS_HOSTPORT", "127.0.0.1:" + redis.tlsPort());
        m.put("REDIS_CA_FILE", redis.caFile().toString());
        m.put("LISTEN_ADDR", "127.0.0.1:0");
        m.put("ADMIN_ADDR", "off");
        m.put("HTTP_TIMEOUT", "5s");
        m.put("DRAIN_TIMEOUT", "1s");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    /**
     * Starts the gateway from {@code env}, and through it writes and reads a key as alice: the upstream connection
     * can only have been authenticated with a token of {@code upstreamObjectId}, the one identity the cache accepts.
     */
    static void sessionThroughGatewayWorks(
            Map<String, String> env, UpstreamCredentialSource kind, String upstreamObjectId) throws Exception {
        try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                .objectId(upstreamObjectId)
                .build()
                .watch(emu)) {
            GatewayConfig config = GatewayConfig.from(env);
            assertThat(config.upstreamIdentity().source()).isEqualTo(kind);
            try (GatewayRuntime runtime = GatewayRuntime.create(config, Clock.systemUTC())) {
                // the first upstream token, fetched through azure-identity from the emulator
                UpstreamIdentity upstream = runtime.upstream();
                assertThat(upstream.username(upstream.first().get(30, TimeUnit.SECONDS)))
                        .isEqualTo(upstreamObjectId);
                runtime.start(RespListenerWiring::start);
                GatewayRuntime.RespListener listener = runtime.listener().orElseThrow();
                try (RedisCli client =
                        RedisCli.connect("127.0.0.1", listener.localAddress().getPort())) {
                    String jwt = emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api));
                    assertThat(client.callString("AUTH", jwt)).isEqualTo("OK");
                    String key = "identity:" + kind;
                    assertThat(client.callString("SET", key, upstreamObjectId)).isEqualTo("OK");
                    assertThat(client.callString("GET", key)).isEqualTo(upstreamObjectId);
                } finally {
                    listener.drainAndClose(java.time.Duration.ZERO);
                }
            }
            // what redis-server itself says: the gateway's connection ran as that identity
            assertThat(redis.cli().callString("GET", "identity:" + kind)).isEqualTo(upstreamObjectId);
        }
    }

    // MSAL caches managed-identity tokens per identity across credential instances: each test uses its own
    // identity (only one test uses the system-assigned one) so that every test reaches its endpoint.

    @Test
    void systemAssignedManagedIdentityThroughImds() throws Exception {
        ManagedIdentity mi = tenant.addManagedIdentity("gateway-imds");
        tenant.setSystemAssignedIdentity(mi);
        MsalManagedIdentityEnvironment.set(
                Map.of("AZURE_POD_IDENTITY_AUTHORITY_HOST", emu.imdsEndpoint().toString()));
        long before = emu.requestCount(Endpoint.MANAGED_IDENTITY);
        sessionThroughGatewayWorks(env(), UpstreamCredentialSource.MANAGED_IDENTITY, mi.objectId());
        assertThat(emu.requestCount(Endpoint.MANAGED_IDENTITY)).isGreaterThan(before);
    }

    @Test
    void userAssignedManagedIdentityThroughImdsIsChosenByUamiClientId() throws Exception {
        ManagedIdentity user = tenant.addManagedIdentity("gateway-imds-user");
        MsalManagedIdentityEnvironment.set(
                Map.of("AZURE_POD_IDENTITY_AUTHORITY_HOST", emu.imdsEndpoint().toString()));
        long before = emu.requestCount(Endpoint.MANAGED_IDENTITY);
        sessionThroughGatewayWorks(
                env("UAMI_CLIENT_ID", user.clientId()), UpstreamCredentialSource.MANAGED_IDENTITY, user.objectId());
        assertThat(emu.requestCount(Endpoint.MANAGED_IDENTITY)).isGreaterThan(before);
    }

    @Test
    void userAssignedManagedIdentityThroughTheAppServiceEndpoint() throws Exception {
        ManagedIdentity mi = tenant.addManagedIdentity("gateway-appservice");
        MsalManagedIdentityEnvironment.set(Map.of(
                "IDENTITY_ENDPOINT", emu.appServiceIdentityEndpoint().toString(),
                "IDENTITY_HEADER", emu.appServiceIdentityHeader()));
        long before = emu.requestCount(Endpoint.MANAGED_IDENTITY);
        sessionThroughGatewayWorks(
                env("UAMI_CLIENT_ID", mi.clientId()), UpstreamCredentialSource.MANAGED_IDENTITY, mi.objectId());
        assertThat(emu.requestCount(Endpoint.MANAGED_IDENTITY)).isGreaterThan(before);
    }

    /**
     * The gateway's Graph token (for group overage) is asked of the managed-identity endpoint only when a token with
     * overage first needs it, and then once for every later overage user: never at start, never blocking.
     */
    @Test
    void theGraphTokenIsFetchedOnlyWhenAnOverageTokenFirstNeedsItThenOnce() throws Exception {
        ManagedIdentity mi = tenant.addManagedIdentity("gateway-graph-lazy");
        MsalManagedIdentityEnvironment.set(Map.of(
                "IDENTITY_ENDPOINT", emu.appServiceIdentityEndpoint().toString(),
                "IDENTITY_HEADER", emu.appServiceIdentityHeader()));
        User olga = tenant.addUser(UserSpec.named("olga").groupCount(250));
        olga.addGroups(GROUP);
        User oscar = tenant.addUser(UserSpec.named("oscar").groupCount(250));
        oscar.addGroups(GROUP);
        java.util.concurrent.atomic.AtomicInteger graphTokens = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger redisTokens = new java.util.concurrent.atomic.AtomicInteger();
        io.github.redisentra.emulator.TokenEventListener counter =
                new io.github.redisentra.emulator.TokenEventListener() {
                    @Override
                    public void onIssued(io.github.redisentra.emulator.IssuedToken t) {
                        if (t.kind() == io.github.redisentra.emulator.IssuedToken.Kind.MANAGED_IDENTITY
                                && mi.objectId().equals(t.subjectObjectId())) {
                            (t.audience().contains("graph.microsoft.com") ? graphTokens : redisTokens)
                                    .incrementAndGet();
                        }
                    }
                };
        emu.addTokenListener(counter);
        try (GatewayRuntime runtime = GatewayRuntime.create(
                GatewayConfig.from(env(
                        "UAMI_CLIENT_ID",
                        mi.clientId(),
                        "GRAPH_BASE_URL",
                        emu.graphBaseUrl().toString())),
                Clock.systemUTC())) {
            runtime.upstream().first().get(30, TimeUnit.SECONDS);
            assertThat(redisTokens)
                    .as("the same endpoint served the upstream token")
                    .hasPositiveValue();
            assertThat(admitted(runtime, alice)).isTrue();
            assertThat(graphTokens).as("no overage yet: no Graph token").hasValue(0);
            assertThat(admitted(runtime, olga)).isTrue();
            assertThat(graphTokens).as("the first overage token fetched it").hasValue(1);
            assertThat(admitted(runtime, oscar)).isTrue();
            assertThat(graphTokens).as("and it is kept for the next").hasValue(1);
        } finally {
            emu.removeTokenListener(counter);
        }
    }

    static boolean admitted(GatewayRuntime runtime, User user) throws Exception {
        String jwt = emu.mintAccessToken(TokenRequest.forUser(tenant, user, api));
        return runtime.clientAuthenticator()
                        .authenticate(new io.github.redisentra.gateway.auth.AuthRequest(
                                null, jwt, new java.net.InetSocketAddress("127.0.0.1", 40000)))
                        .toCompletableFuture()
                        .get(30, TimeUnit.SECONDS)
                instanceof io.github.redisentra.gateway.auth.AuthDecision.Allowed;
    }

    @Test
    void servicePrincipalWithAClientCertificate() throws Exception {
        RsaCertificate cert = RsaCertificate.selfSigned("gateway-sp");
        AppRegistration svc =
                tenant.registerApp(AppSpec.confidentialClient("gateway-sp-cert").certificate(cert.certificate()));
        Path pem = cert.writePem(dir.resolve("gateway-sp.pem"));
        sessionThroughGatewayWorks(
                env(
                        "AZURE_CLIENT_ID", svc.clientId(),
                        "AZURE_TENANT_ID", tenant.id(),
                        "AZURE_CLIENT_CERTIFICATE_PATH", pem.toString()),
                UpstreamCredentialSource.CLIENT_CERTIFICATE,
                svc.objectId());
    }

    /**
     * AKS workload identity: azure-identity reads {@code AZURE_FEDERATED_TOKEN_FILE} and presents its content as a
     * {@code jwt-bearer} client assertion. The emulator keeps no federated-credential records (which on Entra trust
     * the cluster's service-account issuer), so the file here holds an assertion signed by a certificate registered
     * for the app: the same protocol on the wire, validated by the emulator as a certificate assertion.
     */
    @Test
    void workloadIdentityThroughAFederatedTokenFile() throws Exception {
        RsaCertificate cert = RsaCertificate.selfSigned("workload");
        AppRegistration svc = tenant.registerApp(
                AppSpec.confidentialClient("gateway-workload").certificate(cert.certificate()));
        Instant now = Instant.now();
        SignedJWT assertion = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256)
                        .type(JOSEObjectType.JWT)
                        .x509CertThumbprint(Base64URL.encode(MessageDigest.getInstance("SHA-1")
                                .digest(cert.certificate().getEncoded())))
                        .build(),
                new JWTClaimsSet.Builder()
                        .issuer(svc.clientId())
                        .subject(svc.clientId())
                        .audience(emu.httpsBaseUrl() + "/" + tenant.id() + "/oauth2/v2.0/token")
                        .issueTime(Date.from(now))
                        .notBeforeTime(Date.from(now))
                        .expirationTime(Date.from(now.plusSeconds(3600)))
                        .jwtID(UUID.randomUUID().toString())
                        .build());
        assertion.sign(new RSASSASigner(cert.privateKey()));
        Path tokenFile = dir.resolve("azure-identity-token");
        Files.writeString(tokenFile, assertion.serialize());
        sessionThroughGatewayWorks(
                env(
                        "AZURE_CLIENT_ID", svc.clientId(),
                        "AZURE_TENANT_ID", tenant.id(),
                        "AZURE_FEDERATED_TOKEN_FILE", tokenFile.toString()),
                UpstreamCredentialSource.WORKLOAD_IDENTITY,
                svc.objectId());
    }

    /** An RSA key and self-signed certificate: what Entra app credentials use (the testkit CA issues EC keys). */
    record RsaCertificate(java.security.cert.X509Certificate certificate, java.security.PrivateKey privateKey) {
        static RsaCertificate selfSigned(String cn) throws Exception {
            java.security.KeyPairGenerator gen = java.security.KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048);
            java.security.KeyPair keys = gen.generateKeyPair();
            Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            org.bouncycastle.asn1.x500.X500Name name = new org.bouncycastle.asn1.x500.X500Name("CN=" + cn);
            var builder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
                    name,
                    java.math.BigInteger.valueOf(now.toEpochMilli()),
                    Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(java.time.Duration.ofDays(1))),
                    name,
                    keys.getPublic());
            java.security.cert.X509Certificate cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA")
                                    .build(keys.getPrivate())));
            return new RsaCertificate(cert, keys.getPrivate());
        }

        /** Certificate and PKCS#8 key in one PEM file, as {@code AZURE_CLIENT_CERTIFICATE_PATH} expects. */
        Path writePem(Path file) throws Exception {
            java.io.StringWriter pem = new java.io.StringWriter();
            try (org.bouncycastle.openssl.jcajce.JcaPEMWriter w =
                    new org.bouncycastle.openssl.jcajce.JcaPEMWriter(pem)) {
                w.writeObject(certificate);
                w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(privateKey, null));
            }
            return Files.writeString(file, pem.toString());
        }
    }
}
