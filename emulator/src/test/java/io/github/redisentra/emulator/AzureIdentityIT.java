package io.github.redisentra.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.ClientCertificateCredential;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.nimbusds.jwt.JWTClaimsSet;
import io.github.redisentra.emulator.internal.CertificateAuthority;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real azure-identity credentials (JDK HttpClient transport) against the emulator. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AzureIdentityIT {
    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static AppRegistration service;
    static ManagedIdentity systemMi;
    static ManagedIdentity userMi;
    static CertificateAuthority.SelfSigned serviceCert;
    static HttpClient transport;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(
                AppSpec.api("gateway-api").appIdUri("api://gateway-api").appRoles("Redis.Admin"));
        serviceCert = CertificateAuthority.selfSigned("svc");
        service = tenant.registerApp(AppSpec.confidentialClient("svc")
                .certificate(serviceCert.certificate())
                .secret("not-a-real-secret"));
        service.grantApplicationRoles(api, "Redis.Admin");
        systemMi = tenant.addManagedIdentity("system-mi");
        tenant.setSystemAssignedIdentity(systemMi);
        userMi = tenant.addManagedIdentity("user-mi");
        transport =
                new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(emu.sslContext())).build();
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    /**
     * Runs {@link ManagedIdentityProbe} in a child JVM whose environment has IDENTITY_ENDPOINT / IDENTITY_HEADER:
     * azure-identity 1.19 delegates managed identity to MSAL4J, which reads the process environment only (a
     * {@code Configuration} passed to the builder does not reach it), and this JVM's environment stays untouched.
     */
    private static String probe(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                ManagedIdentityProbe.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment()
                .keySet()
                .removeIf(k -> k.startsWith("IDENTITY_")
                        || k.startsWith("MSI_")
                        || k.startsWith("AZURE_")
                        || k.equals("IMDS_ENDPOINT"));
        pb.environment()
                .put("IDENTITY_ENDPOINT", emu.appServiceIdentityEndpoint().toString());
        pb.environment().put("IDENTITY_HEADER", emu.appServiceIdentityHeader());
        Process process = pb.start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return output.lines()
                    .filter(l -> l.startsWith("RESULT "))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(
                            "probe printed no result (exit " + process.exitValue() + "):\n" + output));
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void managedIdentityCredentialUsesTheAppServiceProtocolForTheSystemAssignedIdentity() throws Exception {
        long before = emu.requestCount(Endpoint.MANAGED_IDENTITY);
        String result = probe("https://redis.azure.com/.default");
        assertThat(result).contains("oid=" + systemMi.objectId(), "aud=https://redis.azure.com");
        long expiresAt = Long.parseLong(result.replaceAll(".*expiresAt=(\\d+).*", "$1"));
        assertThat(expiresAt).isGreaterThan(System.currentTimeMillis() / 1000);
        assertThat(emu.requestCount(Endpoint.MANAGED_IDENTITY)).isGreaterThan(before);
    }

    @Test
    void managedIdentityCredentialSelectsAUserAssignedIdentityByClientId() throws Exception {
        assertThat(probe("https://redis.azure.com/.default", userMi.clientId())).contains("oid=" + userMi.objectId());
    }

    @Test
    void clientCertificateCredentialGetsAnAppOnlyTokenWithGrantedRoles() throws Exception {
        ClientCertificateCredential credential = new ClientCertificateCredentialBuilder()
                .tenantId(tenant.id())
                .clientId(service.clientId())
                .pemCertificate(new ByteArrayInputStream(pem(serviceCert).getBytes(StandardCharsets.US_ASCII)))
                .authorityHost(emu.httpsBaseUrl().toString())
                .disableInstanceDiscovery()
                .httpClient(transport)
                .build();
        AccessToken token = credential.getTokenSync(new TokenRequestContext().addScopes(api.defaultScope()));
        JWTClaimsSet claims =
                new TokenValidator(emu, tenant.openIdConfigurationV2(), api.clientId()).validate(token.getToken());
        assertThat(claims.getStringClaim("azp")).isEqualTo(service.clientId());
        assertThat(claims.getStringClaim("azpacr")).isEqualTo("2");
        assertThat(claims.getStringClaim("idtyp")).isEqualTo("app");
        assertThat(claims.getStringClaim("oid")).isEqualTo(service.objectId());
        assertThat(claims.getStringListClaim("roles")).containsExactly("Redis.Admin");
    }

    @Test
    void clientCertificateCredentialWithAnUnregisteredCertificateIsRefused() {
        CertificateAuthority.SelfSigned other = CertificateAuthority.selfSigned("intruder");
        ClientCertificateCredential credential = new ClientCertificateCredentialBuilder()
                .tenantId(tenant.id())
                .clientId(service.clientId())
                .pemCertificate(new ByteArrayInputStream(pem(other).getBytes(StandardCharsets.US_ASCII)))
                .authorityHost(emu.httpsBaseUrl().toString())
                .disableInstanceDiscovery()
                .httpClient(transport)
                .build();
        assertThatThrownBy(() -> credential.getTokenSync(new TokenRequestContext().addScopes(api.defaultScope())))
                .hasMessageContaining("AADSTS700027");
    }

    @Test
    void clientSecretCredentialWorksAndAWrongSecretGetsAadsts7000215() {
        AccessToken token = new ClientSecretCredentialBuilder()
                .tenantId(tenant.id())
                .clientId(service.clientId())
                .clientSecret("not-a-real-secret")
                .authorityHost(emu.httpsBaseUrl().toString())
                .disableInstanceDiscovery()
                .httpClient(transport)
                .build()
                .getTokenSync(new TokenRequestContext().addScopes("https://redis.azure.com/.default"));
        assertThat(token.getExpiresAt()).isAfter(OffsetDateTime.now().plus(Duration.ofMinutes(30)));
        assertThatThrownBy(() -> new ClientSecretCredentialBuilder()
                        .tenantId(tenant.id())
                        .clientId(service.clientId())
                        .clientSecret("wrong")
                        .authorityHost(emu.httpsBaseUrl().toString())
                        .disableInstanceDiscovery()
                        .httpClient(transport)
                        .build()
                        .getTokenSync(new TokenRequestContext().addScopes("https://redis.azure.com/.default")))
                .hasMessageContaining("AADSTS7000215");
    }

    /** PKCS#8 key + certificate, the PEM layout azure-identity reads. */
    static String pem(CertificateAuthority.SelfSigned cert) {
        Base64.Encoder mime = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        return "-----BEGIN PRIVATE KEY-----\n"
                + mime.encodeToString(cert.keyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n"
                + CertificateAuthority.pem(cert.certificate());
    }
}
