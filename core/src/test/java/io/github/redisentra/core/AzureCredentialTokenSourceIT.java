package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.Configuration;
import com.azure.core.util.ConfigurationBuilder;
import com.azure.core.util.ConfigurationSource;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class AzureCredentialTokenSourceIT {
    static EntraEmulator emu;
    static Tenant tenant;
    static ManagedIdentity mi;

    @BeforeAll
    static void startEmulator() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        mi = tenant.addManagedIdentity("gateway-mi");
        tenant.setSystemAssignedIdentity(mi);
        com.microsoft.aad.msal4j.MsalManagedIdentityEnvironment.set(appServiceVariables());
    }

    @AfterAll
    static void stopEmulator() {
        com.microsoft.aad.msal4j.MsalManagedIdentityEnvironment.reset();
        if (emu != null) {
            emu.close();
        }
    }

    static Map<String, String> appServiceVariables() {
        return Map.of(
                "IDENTITY_ENDPOINT", emu.appServiceIdentityEndpoint().toString(),
                "IDENTITY_HEADER", emu.appServiceIdentityHeader());
    }

    /**
     * The App Service managed-identity protocol through azure-core's Configuration (not the process environment).
     * azure-identity 1.19 passes managed identity on to MSAL, which reads the variables itself: the test also sets
     * them through MSAL's test seam ({@code MsalManagedIdentityEnvironment}).
     */
    static Configuration appServiceConfiguration() {
        Map<String, String> env = appServiceVariables();
        ConfigurationSource empty = source -> Map.of();
        ConfigurationSource envSource = source -> env;
        return new ConfigurationBuilder(empty, empty, envSource).build();
    }

    static HttpClient trustingEmulator() {
        return new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(emu.sslContext())).build();
    }

    @Test
    void systemAssignedManagedIdentityThroughTheAppServiceEndpointGivesARedisToken() throws Exception {
        AzureCredentialTokenSource source = AzureCredentialTokenSource.of(new ManagedIdentityCredentialBuilder()
                .configuration(appServiceConfiguration())
                .httpClient(trustingEmulator())
                .build());
        long before = emu.requestCount(Endpoint.MANAGED_IDENTITY);
        AccessToken token = source.getToken(false);
        assertThat(token.objectId()).contains(mi.objectId());
        assertThat(source.redisUsername(token)).isEqualTo(mi.objectId());
        assertThat(token.expiresAt()).isAfter(Instant.now());
        assertThat(emu.requestCount(Endpoint.MANAGED_IDENTITY)).isGreaterThan(before);
        assertThat(source.describe()).contains("ManagedIdentityCredential", AzureCredentialTokenSource.REDIS_SCOPE);
    }

    @Test
    void userAssignedManagedIdentityIsChosenByClientId() throws Exception {
        ManagedIdentity other = tenant.addManagedIdentity("worker-mi");
        AzureCredentialTokenSource source = AzureCredentialTokenSource.of(new ManagedIdentityCredentialBuilder()
                .clientId(other.clientId())
                .configuration(appServiceConfiguration())
                .httpClient(trustingEmulator())
                .build());
        assertThat(source.getToken(false).objectId()).contains(other.objectId());
    }

    @Test
    void clientCertificateCredentialGetsAnAppTokenForTheGatewayApi() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair keys = gen.generateKeyPair();
        X509Certificate cert = selfSigned(keys);
        AppRegistration api = tenant.registerApp(AppSpec.api("cert-api").acceptedTokenVersion(2));
        AppRegistration svc =
                tenant.registerApp(AppSpec.confidentialClient("svc-cert").certificate(cert));

        StringWriter pem = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
            w.writeObject(cert);
            w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(keys.getPrivate(), null));
        }
        AzureCredentialTokenSource source = AzureCredentialTokenSource.of(
                new ClientCertificateCredentialBuilder()
                        .tenantId(tenant.id())
                        .clientId(svc.clientId())
                        .pemCertificate(new ByteArrayInputStream(pem.toString().getBytes(StandardCharsets.US_ASCII)))
                        .authorityHost(emu.httpsBaseUrl().toString())
                        .disableInstanceDiscovery()
                        .httpClient(trustingEmulator())
                        .build(),
                api.defaultScope());
        AccessToken token = source.getToken(true);
        assertThat(token.tenantId()).contains(tenant.id());
        assertThat(token.objectId()).isPresent();
    }

    /**
     * An identity provider down since start (a stopped emulator: connections refused): there has never been a token,
     * so the refresher backs off exponentially to maxBackoff instead of retrying every expiringBackoff, and a caller
     * waiting for a token (what a client's first connection does) gives up after its wait with a status that names
     * the failure.
     */
    @Test
    void anIdentityProviderDownSinceStartIsRetriedWithGrowingBackoffAndAWaitingCallerLearnsWhy() throws Exception {
        EntraEmulator stopped = EntraEmulator.builder().build().start();
        Tenant gone = stopped.createTenant("gone");
        AppRegistration api = gone.registerApp(AppSpec.api("gone-api"));
        AppRegistration svc =
                gone.registerApp(AppSpec.confidentialClient("gone-svc").secret("gone-secret"));
        String authority = stopped.httpsBaseUrl().toString();
        HttpClient http = new JdkHttpClientBuilder(
                        java.net.http.HttpClient.newBuilder().sslContext(stopped.sslContext()))
                .build();
        stopped.close();
        AzureCredentialTokenSource source = AzureCredentialTokenSource.of(
                new ClientSecretCredentialBuilder()
                        .tenantId(gone.id())
                        .clientId(svc.clientId())
                        .clientSecret("gone-secret")
                        .authorityHost(authority)
                        .disableInstanceDiscovery()
                        .retryPolicy(new com.azure.core.http.policy.RetryPolicy(
                                new com.azure.core.http.policy.FixedDelay(0, java.time.Duration.ofMillis(1))))
                        .httpClient(http)
                        .build(),
                api.defaultScope());
        // expiringBackoff 5 s: what the retries would be if they were treated like an expired token's.
        RefreshPolicy policy = RefreshPolicy.builder()
                .initialBackoff(java.time.Duration.ofMillis(250))
                .maxBackoff(java.time.Duration.ofSeconds(2))
                .expiringBackoff(java.time.Duration.ofSeconds(5))
                .build();
        java.util.List<java.time.Duration> delays = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (TokenRefresher refresher =
                TokenRefresher.builder(source).policy(policy).name("down").build()) {
            refresher.subscribe(new TokenListener() {
                @Override
                public void onToken(AccessToken token) {}

                @Override
                public void onRefreshFailure(Throwable error, int failures, Instant next) {
                    delays.add(java.time.Duration.between(Instant.now(), next));
                }
            });
            java.util.concurrent.CompletableFuture<AccessToken> waiting = refresher.validToken();
            assertThatThrownBy(() -> waiting.get(2, java.util.concurrent.TimeUnit.SECONDS))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
            waiting.cancel(false);
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> delays.size() >= 5);
            // Growing from a fraction of a second to the 1-2 s of the cap: never the 5-7.5 s of expiringBackoff.
            assertThat(delays.get(0)).isLessThan(java.time.Duration.ofMillis(900));
            assertThat(delays).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(java.time.Duration.ofSeconds(2)));
            assertThat(delays.get(delays.size() - 1)).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(900));
            String summary = refresher.status().summary();
            assertThat(summary)
                    .startsWith("no token has been obtained yet; ")
                    .contains("attempts in a row failed, the last with: ")
                    .contains("next attempt at ")
                    .doesNotContain("gone-secret");
            System.out.println("identity provider down since start: " + summary);
        }
    }

    @Test
    void aWrongClientSecretIsAnErrorWithoutTheSecret() {
        AppRegistration api = tenant.registerApp(AppSpec.api("secret-api"));
        AppRegistration svc =
                tenant.registerApp(AppSpec.confidentialClient("svc-secret").secret("right-secret"));
        AzureCredentialTokenSource good = AzureCredentialTokenSource.of(
                new ClientSecretCredentialBuilder()
                        .tenantId(tenant.id())
                        .clientId(svc.clientId())
                        .clientSecret("right-secret")
                        .authorityHost(emu.httpsBaseUrl().toString())
                        .disableInstanceDiscovery()
                        .httpClient(trustingEmulator())
                        .build(),
                api.defaultScope());
        assertThat(good.getToken(false).tenantId()).contains(tenant.id());

        AzureCredentialTokenSource bad = AzureCredentialTokenSource.of(
                new ClientSecretCredentialBuilder()
                        .tenantId(tenant.id())
                        .clientId(svc.clientId())
                        .clientSecret("wrong-secret-value")
                        .authorityHost(emu.httpsBaseUrl().toString())
                        .disableInstanceDiscovery()
                        .httpClient(trustingEmulator())
                        .build(),
                api.defaultScope());
        assertThatThrownBy(() -> bad.getToken(false))
                .satisfies(e -> assertThat(e.toString()).doesNotContain("wrong-secret-value"));
    }

    @Test
    void userAssignedManagedIdentityIsChosenByObjectIdAndByResourceId() throws Exception {
        ManagedIdentity byOid = tenant.addManagedIdentity("oid-mi");
        ManagedIdentity byResource = tenant.addManagedIdentity("resource-mi");
        // The factories as an application calls them; MSAL reads the App Service variables (test seam above).
        AccessToken a = AzureCredentialTokenSource.managedIdentityByObjectId(byOid.objectId())
                .getToken(false);
        AccessToken b = AzureCredentialTokenSource.managedIdentityByResourceId(byResource.resourceId())
                .getToken(false);
        assertThat(a.objectId()).contains(byOid.objectId());
        assertThat(b.objectId()).contains(byResource.objectId());
        assertThatThrownBy(() -> AzureCredentialTokenSource.managedIdentityByResourceId(byResource.clientId()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ARM resource id");
    }

    @Test
    void defaultAzureCredentialTakesItsEnvironmentLegThenItsManagedIdentityLeg() throws Exception {
        AppRegistration api = tenant.registerApp(AppSpec.api("dac-api"));
        AppRegistration svc =
                tenant.registerApp(AppSpec.confidentialClient("svc-dac").secret("dac-secret"));
        Map<String, String> environment = Map.of(
                "AZURE_TENANT_ID", tenant.id(),
                "AZURE_CLIENT_ID", svc.clientId(),
                "AZURE_CLIENT_SECRET", "dac-secret",
                "AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        AzureCredentialTokenSource viaEnvironment = AzureCredentialTokenSource.of(
                new DefaultAzureCredentialBuilder()
                        .configuration(configuration(environment))
                        .disableInstanceDiscovery()
                        .httpClient(trustingEmulator())
                        .build(),
                api.defaultScope());
        AccessToken app = viaEnvironment.getToken(false);
        assertThat(app.tenantId()).contains(tenant.id());
        assertThat(app.objectId()).isPresent().isNotEqualTo(java.util.Optional.of(mi.objectId()));

        // No service principal in the environment: the chain falls through to the managed identity.
        AzureCredentialTokenSource viaManagedIdentity =
                AzureCredentialTokenSource.of(new DefaultAzureCredentialBuilder()
                        .configuration(appServiceConfiguration())
                        .httpClient(trustingEmulator())
                        .build());
        assertThat(viaManagedIdentity.getToken(false).objectId()).contains(mi.objectId());
    }

    @Test
    void clientCertificateCredentialReadsAPasswordProtectedPfx(@TempDir Path dir) throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair keys = gen.generateKeyPair();
        X509Certificate cert = selfSigned(keys);
        AppRegistration api = tenant.registerApp(AppSpec.api("pfx-api"));
        AppRegistration svc =
                tenant.registerApp(AppSpec.confidentialClient("svc-pfx").certificate(cert));
        Path pfx = dir.resolve("svc.pfx");
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("svc", keys.getPrivate(), "pfx-pass".toCharArray(), new Certificate[] {cert});
        try (var out = Files.newOutputStream(pfx)) {
            store.store(out, "pfx-pass".toCharArray());
        }
        AzureCredentialTokenSource source = AzureCredentialTokenSource.of(
                AzureCredentialTokenSource.certificateCredential(tenant.id(), svc.clientId(), pfx, "pfx-pass")
                        .authorityHost(emu.httpsBaseUrl().toString())
                        .disableInstanceDiscovery()
                        .httpClient(trustingEmulator())
                        .build(),
                api.defaultScope());
        assertThat(source.getToken(false).tenantId()).contains(tenant.id());

        AzureCredentialTokenSource wrong = AzureCredentialTokenSource.of(
                AzureCredentialTokenSource.certificateCredential(tenant.id(), svc.clientId(), pfx, "not-the-pass")
                        .authorityHost(emu.httpsBaseUrl().toString())
                        .disableInstanceDiscovery()
                        .httpClient(trustingEmulator())
                        .build(),
                api.defaultScope());
        assertThatThrownBy(() -> wrong.getToken(false))
                .satisfies(e -> assertThat(e.toString()).doesNotContain("not-the-pass"));
        assertThatThrownBy(() -> AzureCredentialTokenSource.clientCertificate(
                        tenant.id(), svc.clientId(), dir.resolve("svc.pem"), "pem-pass"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read certificate")
                .hasMessageNotContaining("pem-pass");
    }

    /** Runs openssl in {@code dir}; fails the test with its output when it fails. */
    static void openssl(Path dir, String... args) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("openssl"));
        command.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor())
                .as("openssl %s: %s", String.join(" ", args), out)
                .isZero();
    }

    /**
     * A PEM whose key openssl encrypted (PKCS#8, PBES2: triple DES from {@code req}, AES-256 from {@code pkcs8}) signs in with its
     * password, decrypted in memory: no file with a plain key appears. A wrong password, and a key in OpenSSL's legacy
     * encrypted format, are refused at build time with what to do, never quoting the password.
     */
    @Test
    void clientCertificateCredentialReadsAnEncryptedPemKeyMadeByOpenssl(@TempDir Path dir) throws Exception {
        openssl(
                dir,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
                "-days",
                "1",
                "-subj",
                "/CN=svc-encrypted-pem",
                "-passout",
                "pass:pem-pass-value");
        String key = Files.readString(dir.resolve("key.pem"));
        assertThat(key).contains("BEGIN ENCRYPTED PRIVATE KEY");
        Path pem = dir.resolve("svc.pem");
        Files.writeString(pem, Files.readString(dir.resolve("cert.pem")) + key);
        X509Certificate cert;
        try (var in = Files.newInputStream(dir.resolve("cert.pem"))) {
            cert = (X509Certificate)
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        AppRegistration api = tenant.registerApp(AppSpec.api("pem-api"));
        AppRegistration svc =
                tenant.registerApp(AppSpec.confidentialClient("svc-pem").certificate(cert));
        java.util.Set<Path> before;
        try (var files = Files.list(dir)) {
            before = files.collect(java.util.stream.Collectors.toSet());
        }
        AzureCredentialTokenSource source = AzureCredentialTokenSource.of(
                AzureCredentialTokenSource.certificateCredential(tenant.id(), svc.clientId(), pem, "pem-pass-value")
                        .authorityHost(emu.httpsBaseUrl().toString())
                        .disableInstanceDiscovery()
                        .httpClient(trustingEmulator())
                        .build(),
                api.defaultScope());
        AccessToken token = source.getToken(false);
        assertThat(token.tenantId()).contains(tenant.id());
        assertThat(token.objectId()).contains(svc.objectId());
        try (var files = Files.list(dir)) {
            assertThat(files.collect(java.util.stream.Collectors.toSet())).isEqualTo(before);
        }

        // openssl req encrypts with triple DES; pkcs8 -topk8 (and genpkey) with AES-256: both sign in.
        openssl(
                dir,
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-256-cbc",
                "-in",
                "key.pem",
                "-passin",
                "pass:pem-pass-value",
                "-out",
                "aes.pem",
                "-passout",
                "pass:pem-pass-value");
        Path aes = dir.resolve("svc-aes.pem");
        Files.writeString(aes, Files.readString(dir.resolve("cert.pem")) + Files.readString(dir.resolve("aes.pem")));
        AzureCredentialTokenSource aesSource = AzureCredentialTokenSource.of(
                AzureCredentialTokenSource.certificateCredential(tenant.id(), svc.clientId(), aes, "pem-pass-value")
                        .authorityHost(emu.httpsBaseUrl().toString())
                        .disableInstanceDiscovery()
                        .httpClient(trustingEmulator())
                        .build(),
                api.defaultScope());
        assertThat(aesSource.getToken(false).objectId()).contains(svc.objectId());

        assertThatThrownBy(() -> AzureCredentialTokenSource.clientCertificate(
                        tenant.id(), svc.clientId(), pem, "not-the-pem-pass"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot decrypt the private key")
                .hasMessageContaining("openssl pkcs12 -export")
                .hasMessageNotContaining("not-the-pem-pass");

        openssl(
                dir,
                "rsa",
                "-in",
                "key.pem",
                "-passin",
                "pass:pem-pass-value",
                "-aes256",
                "-traditional",
                "-out",
                "legacy.pem",
                "-passout",
                "pass:pem-pass-value");
        Path legacy = dir.resolve("svc-legacy.pem");
        Files.writeString(
                legacy, Files.readString(dir.resolve("cert.pem")) + Files.readString(dir.resolve("legacy.pem")));
        assertThatThrownBy(() -> AzureCredentialTokenSource.clientCertificate(
                        tenant.id(), svc.clientId(), legacy, "pem-pass-value"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("legacy format")
                .hasMessageContaining("openssl pkcs8 -topk8")
                .hasMessageNotContaining("pem-pass-value");
    }

    static Configuration configuration(Map<String, String> env) {
        ConfigurationSource empty = source -> Map.of();
        ConfigurationSource envSource = source -> env;
        return new ConfigurationBuilder(empty, empty, envSource).build();
    }

    @Test
    void blankScopesAreRefused() {
        assertThatThrownBy(() -> AzureCredentialTokenSource.of(ctx -> null, " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scopes");
    }

    private static X509Certificate selfSigned(KeyPair keys) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X500Name name = new X500Name("CN=svc-cert");
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                name,
                BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)),
                Date.from(now.plus(1, ChronoUnit.DAYS)),
                name,
                keys.getPublic());
        return new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    }
}
