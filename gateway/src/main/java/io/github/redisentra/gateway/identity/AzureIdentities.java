package io.github.redisentra.gateway.identity;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import io.github.redisentra.core.AzureCredentialTokenSource;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.gateway.config.UpstreamIdentitySettings;
import io.github.redisentra.gateway.tls.TrustMaterial;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;

/**
 * azure-identity credentials for the gateway's Entra identity (upstream and Microsoft Graph), built from the
 * gateway's configuration: the authority host ({@code AZURE_AUTHORITY_HOST}), the extra CA ({@code HTTPS_CA_FILE})
 * and the identity settings. Managed identity is found the way azure-identity finds it ({@code IDENTITY_ENDPOINT}/
 * {@code IDENTITY_HEADER} on App Service, IMDS elsewhere), reading the process environment.
 */
final class AzureIdentities {
    private static final String PUBLIC_CLOUD = "https://login.microsoftonline.com";

    private AzureIdentities() {}

    static TokenSource tokenSource(UpstreamIdentitySettings config, String scope) {
        return AzureCredentialTokenSource.of(credential(config), scope);
    }

    static TokenCredential credential(UpstreamIdentitySettings config) {
        HttpClient http = httpClient(config);
        String authority = config.authorityHost().toString();
        return switch (config.source()) {
            case CLIENT_SECRET ->
                aad(new ClientSecretCredentialBuilder(), config)
                        .clientSecret(config.azureClientSecret().orElseThrow())
                        .httpClient(http)
                        .build();
            case CLIENT_CERTIFICATE -> {
                ClientCertificateCredentialBuilder b = aad(new ClientCertificateCredentialBuilder(), config);
                String file = config.azureClientCertificatePath().orElseThrow().toString();
                if (file.endsWith(".pfx") || file.endsWith(".p12")) {
                    b.pfxCertificate(file);
                    config.azureClientCertificatePassword().ifPresent(b::clientCertificatePassword);
                } else {
                    b.pemCertificate(file);
                }
                yield b.httpClient(http).build();
            }
            case WORKLOAD_IDENTITY ->
                aad(new WorkloadIdentityCredentialBuilder(), config)
                        .tokenFilePath(
                                config.azureFederatedTokenFile().orElseThrow().toString())
                        .httpClient(http)
                        .build();
            case MANAGED_IDENTITY -> {
                ManagedIdentityCredentialBuilder b = new ManagedIdentityCredentialBuilder();
                config.uamiClientId().ifPresent(b::clientId);
                yield b.httpClient(http).build();
            }
            default ->
                throw new IllegalArgumentException(config.source().description()
                        + " is not an azure-identity credential (authority " + authority + ")");
        };
    }

    private static <T extends com.azure.identity.AadCredentialBuilderBase<T>> T aad(
            T b, UpstreamIdentitySettings config) {
        String authority = config.authorityHost().toString();
        b.tenantId(config.azureTenantId().orElseThrow())
                .clientId(config.azureClientId().orElseThrow())
                .authorityHost(authority);
        if (!authority.equals(PUBLIC_CLOUD)
                && !authority.endsWith(".microsoftonline.us")
                && !authority.endsWith(".chinacloudapi.cn")) {
            // A private or emulated authority is not in Microsoft's instance-discovery list.
            b.disableInstanceDiscovery();
        }
        return b;
    }

    /** azure-identity's HTTP stack on the JDK client, trusting the JVM's anchors plus HTTPS_CA_FILE. */
    private static HttpClient httpClient(UpstreamIdentitySettings config) {
        try {
            java.net.http.HttpClient.Builder jdk = java.net.http.HttpClient.newBuilder()
                    .sslContext(TrustMaterial.load(config.http().caFile()).sslContext())
                    .connectTimeout(config.http().timeout());
            return new JdkHttpClientBuilder(jdk).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the TLS trust for HTTPS_CA_FILE: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read HTTPS_CA_FILE: " + e.getMessage(), e);
        }
    }
}
