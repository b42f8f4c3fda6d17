package io.github.redisentra.core;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.AzureCliCredentialBuilder;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Tokens from any azure-identity {@link TokenCredential}: managed identity (system- or user-assigned), AKS
 * workload identity, a service principal's certificate or secret, the Azure CLI, {@code DefaultAzureCredential}.
 * The default scope is {@value #REDIS_SCOPE}, what Azure Cache for Redis and Azure Managed Redis expect.
 *
 * <pre>{@code
 * TokenSource source = AzureCredentialTokenSource.managedIdentity();          // system-assigned
 * TokenSource gateway = AzureCredentialTokenSource.of(credential, "api://my-gateway/.default");
 * }</pre>
 *
 * <p>The factories read their settings the way azure-identity does (environment variables such as {@code
 * AZURE_CLIENT_ID}, {@code IDENTITY_ENDPOINT}, {@code AZURE_AUTHORITY_HOST}); for anything else, build the
 * credential with azure-identity's builder and pass it to {@link #of(TokenCredential, String...)}.
 *
 * <p>Caching: azure-identity's MSAL-based credentials keep a token until about five minutes before it expires and
 * offer no way to bypass that cache, so {@code forceRefresh} cannot be honoured here. A {@link TokenRefresher} that
 * renews earlier is handed the same token again; it then backs off (without notifying listeners) until the
 * credential produces a new one.
 */
public final class AzureCredentialTokenSource implements TokenSource {
    /** The scope of Azure Cache for Redis and Azure Managed Redis. */
    public static final String REDIS_SCOPE = "https://redis.azure.com/.default";

    private final TokenCredential credential;
    private final List<String> scopes;

    private AzureCredentialTokenSource(TokenCredential credential, List<String> scopes) {
        this.credential = Objects.requireNonNull(credential, "credential");
        if (scopes.isEmpty() || scopes.stream().anyMatch(s -> s == null || s.isBlank())) {
            throw new IllegalArgumentException(
                    "scopes must be non-blank, e.g. " + REDIS_SCOPE + " or api://<app>/.default, got " + scopes);
        }
        this.scopes = List.copyOf(scopes);
    }

    /** Tokens from {@code credential} for {@code scopes} (default {@value #REDIS_SCOPE} when none are given). */
    public static AzureCredentialTokenSource of(TokenCredential credential, String... scopes) {
        return new AzureCredentialTokenSource(credential, scopes.length == 0 ? List.of(REDIS_SCOPE) : List.of(scopes));
    }

    /** The same credential for other scopes. */
    public AzureCredentialTokenSource forScopes(String... scopes) {
        return new AzureCredentialTokenSource(credential, List.of(scopes));
    }

    /** The system-assigned managed identity (App Service, VM/IMDS, AKS as azure-identity detects it). */
    public static AzureCredentialTokenSource managedIdentity() {
        return of(new ManagedIdentityCredentialBuilder().build());
    }

    /** A user-assigned managed identity, chosen by its client id. */
    public static AzureCredentialTokenSource managedIdentity(String clientId) {
        requireText("clientId", clientId);
        return of(new ManagedIdentityCredentialBuilder().clientId(clientId).build());
    }

    /**
     * A user-assigned managed identity, chosen by its object (principal) id &mdash; the id Azure Cache for Redis
     * access policies name, and the Redis user name of its tokens.
     */
    public static AzureCredentialTokenSource managedIdentityByObjectId(String objectId) {
        requireText("objectId", objectId);
        return of(new ManagedIdentityCredentialBuilder().objectId(objectId).build());
    }

    /**
     * A user-assigned managed identity, chosen by its ARM resource id ({@code
     * /subscriptions/…/resourceGroups/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>}).
     */
    public static AzureCredentialTokenSource managedIdentityByResourceId(String resourceId) {
        requireText("resourceId", resourceId);
        if (!resourceId.startsWith("/subscriptions/")) {
            throw new IllegalArgumentException("resourceId must be an ARM resource id such as /subscriptions/<id>"
                    + "/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>,"
                    + " got " + resourceId);
        }
        return of(new ManagedIdentityCredentialBuilder().resourceId(resourceId).build());
    }

    /**
     * AKS workload identity, configured by the variables the webhook injects ({@code AZURE_CLIENT_ID}, {@code
     * AZURE_TENANT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE}).
     */
    public static AzureCredentialTokenSource workloadIdentity() {
        return of(new WorkloadIdentityCredentialBuilder().build());
    }

    /** A service principal with a client secret. */
    public static AzureCredentialTokenSource clientSecret(String tenantId, String clientId, String secret) {
        requireText("tenantId", tenantId);
        requireText("clientId", clientId);
        requireText("client secret", secret);
        return of(new ClientSecretCredentialBuilder()
                .tenantId(tenantId)
                .clientId(clientId)
                .clientSecret(secret)
                .build());
    }

    /** A service principal with a certificate: a PEM file (certificate and unencrypted key) or a PFX without password. */
    public static AzureCredentialTokenSource clientCertificate(String tenantId, String clientId, Path certificate) {
        return clientCertificate(tenantId, clientId, certificate, null);
    }

    /**
     * A service principal with a certificate: a PFX/PKCS#12 file ({@code .pfx}, {@code .p12}) protected by
     * {@code password}, or a PEM file (certificate and private key). A PEM key encrypted as PKCS#8 ({@code BEGIN
     * ENCRYPTED PRIVATE KEY}, PBES2: what OpenSSL 3 writes) is decrypted with {@code password} in memory, since
     * azure-identity reads no encrypted PEM key; the plain key is never written to disk.
     *
     * @throws IllegalArgumentException when a PEM file cannot be read, its key is not encrypted PKCS#8 although a
     *     password is given (OpenSSL's legacy encrypted format, or a plain key), or the password does not decrypt it;
     *     the message says how to convert it
     */
    public static AzureCredentialTokenSource clientCertificate(
            String tenantId, String clientId, Path certificate, String password) {
        return of(
                certificateCredential(tenantId, clientId, certificate, password).build());
    }

    /**
     * azure-identity's builder for a certificate credential, set up like {@link #clientCertificate(String, String,
     * Path, String)}, for further settings (authority host, HTTP client) before {@code build()}.
     */
    public static ClientCertificateCredentialBuilder certificateCredential(
            String tenantId, String clientId, Path certificate, String password) {
        requireText("tenantId", tenantId);
        requireText("clientId", clientId);
        Objects.requireNonNull(certificate, "certificate");
        ClientCertificateCredentialBuilder b =
                new ClientCertificateCredentialBuilder().tenantId(tenantId).clientId(clientId);
        String file = certificate.toString();
        String lower = file.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith(".pfx") || lower.endsWith(".p12")) {
            b.pfxCertificate(file);
            if (password != null) {
                b.clientCertificatePassword(password);
            }
        } else {
            if (password != null) {
                b.pemCertificate(new java.io.ByteArrayInputStream(PemCertificate.decrypted(certificate, password)));
            } else {
                b.pemCertificate(file);
            }
        }
        return b;
    }

    /** The signed-in Azure CLI user ({@code az login}); for development. */
    public static AzureCredentialTokenSource azureCli() {
        return of(new AzureCliCredentialBuilder().build());
    }

    /** azure-identity's {@code DefaultAzureCredential} chain (environment, workload identity, managed identity, developer tools). */
    public static AzureCredentialTokenSource defaultAzureCredential() {
        return of(new DefaultAzureCredentialBuilder().build());
    }

    /** The scopes tokens are requested for. */
    public List<String> scopes() {
        return scopes;
    }

    @Override
    public AccessToken getToken(boolean forceRefresh) {
        TokenRequestContext request = new TokenRequestContext().setScopes(scopes);
        com.azure.core.credential.AccessToken t = credential.getTokenSync(request);
        if (t == null || t.getToken() == null) {
            throw new IllegalStateException(describe() + " returned no token");
        }
        return AccessToken.of(
                t.getToken(), t.getExpiresAt() == null ? null : t.getExpiresAt().toInstant());
    }

    @Override
    public String describe() {
        return "azure-identity " + credential.getClass().getSimpleName() + " for " + String.join(" ", scopes);
    }

    @Override
    public String toString() {
        return describe();
    }

    private static void requireText(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
    }
}
