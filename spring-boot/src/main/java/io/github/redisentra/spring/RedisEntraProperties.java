package io.github.redisentra.spring;

import io.github.redisentra.core.RefreshPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings under {@code redis.entra.*}: where Entra ID tokens come from, how they are renewed and how Spring Data
 * Redis sends them. Nothing happens unless {@code redis.entra.enabled=true}.
 *
 * <p>Secrets ({@code client-secret}, {@code certificate-password}, {@code token}) never appear in {@link #toString()}.
 */
@ConfigurationProperties(prefix = "redis.entra")
public class RedisEntraProperties {

    /** Kinds of credential a token can come from. */
    public enum Credential {
        /** A user signs in once with a device code (printed to the log), then renews silently. Needs client-id. */
        DEVICE_CODE,
        /** A user signs in once in the system browser, then renews silently. Needs client-id. */
        BROWSER,
        /**
         * The managed identity of the host: system-assigned, or user-assigned chosen by client-id,
         * managed-identity-object-id or managed-identity-resource-id (at most one).
         */
        MANAGED_IDENTITY,
        /** AKS workload identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE from the webhook). */
        WORKLOAD_IDENTITY,
        /** A service principal with a client secret. Needs tenant-id, client-id, client-secret. */
        CLIENT_SECRET,
        /**
         * A service principal with a certificate (PEM, or PFX with certificate-password if it has one). Needs tenant-id,
         * client-id, certificate.
         */
        CLIENT_CERTIFICATE,
        /** The signed-in Azure CLI user ({@code az login}); for development. */
        AZURE_CLI,
        /** One fixed token (a JWT with exp); it is never renewed. Needs token. */
        STATIC,
        /** A command printing a token (run with sh -c, off every I/O thread). Needs command. */
        COMMAND
    }

    /** Redis protocol version for connections that carry tokens. */
    public enum Protocol {
        /** RESP2: Lettuce then refuses pub/sub connections, or skips their re-authentication. */
        RESP2,
        /** RESP3: re-authentication works on every connection, pub/sub included. */
        RESP3
    }

    /** Whether to sign Spring Data Redis in with Entra ID tokens. */
    private boolean enabled;

    /** Where tokens come from. */
    private Credential credential = Credential.MANAGED_IDENTITY;

    /**
     * Application (client) id: of the public client app (device-code, browser), the service principal
     * (client-secret, client-certificate) or the user-assigned managed identity (managed-identity; empty =
     * system-assigned).
     */
    private String clientId;

    /** Directory (tenant) id, for device-code, browser, client-secret and client-certificate. */
    private String tenantId;

    /**
     * Authority for device-code and browser sign-in; default https://login.microsoftonline.com/{tenant-id}/
     * (organizations when no tenant-id is set).
     */
    private String authority;

    /** Token scopes: https://redis.azure.com/.default for Azure caches, api://{gateway app}/.default for the gateway. */
    private List<String> scopes = new ArrayList<>(List.of("https://redis.azure.com/.default"));

    /** Redis user name sent with each token; default the token's oid claim (what Azure caches expect). */
    private String username;

    /** Client secret of the service principal (credential client-secret). */
    private String clientSecret;

    /** Certificate file (PEM with key, or PFX) of the service principal (credential client-certificate). */
    private Path certificate;

    /**
     * Password of a PFX certificate file, or of a PEM file's encrypted PKCS#8 key (decrypted in memory); never logged.
     */
    private String certificatePassword;

    /** Object (principal) id of the user-assigned managed identity (credential managed-identity). */
    private String managedIdentityObjectId;

    /** ARM resource id of the user-assigned managed identity (credential managed-identity). */
    private String managedIdentityResourceId;

    /** The token (credential static). */
    private String token;

    /** The command printing a token (credential command). */
    private String command;

    /** Time limit for one run of the command (credential command). */
    private Duration commandTimeout = Duration.ofSeconds(30);

    /** Directory of the persistent MSAL token cache for device-code and browser sign-in; empty = memory only. */
    private Path cacheDirectory;

    /** Allow an owner-only plain file when the OS offers no protected token store (Linux without libsecret). */
    private boolean allowUnprotectedCache;

    /** How long device-code or browser sign-in waits for the user at start. */
    private Duration signInTimeout = Duration.ofMinutes(15);

    /**
     * RESP3 (default) lets Lettuce and Redisson re-authenticate every connection, pub/sub included. RESP2 only for
     * servers without RESP3: pub/sub connections then cannot be re-authenticated.
     */
    private Protocol protocol = Protocol.RESP3;

    /**
     * Refuse to start when the first token cannot be had (the first attempt fails, or none arrives within
     * first-token-timeout). false: start anyway; the refresher keeps retrying and the health indicator says DOWN.
     */
    private boolean failFast = true;

    /** How long the start waits for the first token. */
    private Duration firstTokenTimeout = Duration.ofSeconds(30);

    /**
     * How long a new connection waits for a valid token when there is none (the current one expired while renewal
     * failed, or no token yet); zero fails at once. Unset: the client's own default, 60 s for Lettuce and Redisson, zero
     * for Jedis (commands fail fast; with a wait, a command that needs a new connection blocks its thread this long).
     */
    private Duration tokenWait;

    /** Renewal timing; validated at start. */
    private final Refresh refresh = new Refresh();

    /** Renewal timing (see the core RefreshPolicy). */
    public static class Refresh {
        /** Fraction of a token's lifetime after which it is renewed (between 0 and 1, exclusive). */
        private double ratio = 0.75;

        /** Renew no later than this long before expiry (when the token lives longer); 0 disables it. */
        private Duration lowerBound = Duration.ofMinutes(3);

        /** The shortest time between two renewals. */
        private Duration minimumDelay = Duration.ofSeconds(10);

        /** Renewals move earlier by a random part of the delay, up to this fraction (0 to 0.5). */
        private double jitterRatio = 0.05;

        /** Backoff after the first failed renewal. */
        private Duration initialBackoff = Duration.ofSeconds(1);

        /** Longest backoff between failed renewals. */
        private Duration maxBackoff = Duration.ofSeconds(60);

        /**
         * Retry delay while no valid token is held or the current one is about to expire (random between this and 1.5
         * times this): how soon a recovered identity provider is used.
         */
        private Duration expiringBackoff = Duration.ofSeconds(2);

        /** How long one token request may take before it is abandoned and counted as a failure. */
        private Duration requestTimeout = Duration.ofSeconds(30);

        /**
         * The policy these settings describe.
         *
         * @throws RedisEntraConfigurationException naming the {@code redis.entra.refresh.*} property that is wrong
         */
        public RefreshPolicy toPolicy() {
            RefreshPolicy.Builder b = RefreshPolicy.builder();
            apply("ratio", () -> b.refreshRatio(ratio));
            apply("lower-bound", () -> b.lowerBound(lowerBound));
            apply("minimum-delay", () -> b.minimumDelay(minimumDelay));
            apply("jitter-ratio", () -> b.jitterRatio(jitterRatio));
            apply("initial-backoff", () -> b.initialBackoff(initialBackoff));
            apply("max-backoff", () -> b.maxBackoff(maxBackoff));
            apply("expiring-backoff", () -> b.expiringBackoff(expiringBackoff));
            apply("request-timeout", () -> b.requestTimeout(requestTimeout));
            try {
                return b.build();
            } catch (IllegalArgumentException e) {
                throw new RedisEntraConfigurationException(
                        "redis.entra.refresh.max-backoff: " + e.getMessage() + ".",
                        "Make redis.entra.refresh.max-backoff at least redis.entra.refresh.initial-backoff.");
            }
        }

        private static void apply(String property, Runnable setter) {
            try {
                setter.run();
            } catch (IllegalArgumentException | NullPointerException e) {
                // no cause: the message already says everything, and the property name must be what the user reads
                // first
                throw new RedisEntraConfigurationException(
                        "redis.entra.refresh." + property + ": " + e.getMessage() + ".",
                        "Fix redis.entra.refresh." + property + ".");
            }
        }

        public double getRatio() {
            return ratio;
        }

        public void setRatio(double ratio) {
            this.ratio = ratio;
        }

        public Duration getLowerBound() {
            return lowerBound;
        }

        public void setLowerBound(Duration lowerBound) {
            this.lowerBound = lowerBound;
        }

        public Duration getExpiringBackoff() {
            return expiringBackoff;
        }

        public void setExpiringBackoff(Duration expiringBackoff) {
            this.expiringBackoff = expiringBackoff;
        }

        public Duration getRequestTimeout() {
            return requestTimeout;
        }

        public void setRequestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
        }

        public Duration getMinimumDelay() {
            return minimumDelay;
        }

        public void setMinimumDelay(Duration minimumDelay) {
            this.minimumDelay = minimumDelay;
        }

        public double getJitterRatio() {
            return jitterRatio;
        }

        public void setJitterRatio(double jitterRatio) {
            this.jitterRatio = jitterRatio;
        }

        public Duration getInitialBackoff() {
            return initialBackoff;
        }

        public void setInitialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
        }

        public Duration getMaxBackoff() {
            return maxBackoff;
        }

        public void setMaxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
        }
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Credential getCredential() {
        return credential;
    }

    public void setCredential(Credential credential) {
        this.credential = credential;
    }

    public String getClientId() {
        return clientId;
    }

    public void setClientId(String clientId) {
        this.clientId = clientId;
    }

    public String getTenantId() {
        return tenantId;
    }

    public void setTenantId(String tenantId) {
        this.tenantId = tenantId;
    }

    public String getAuthority() {
        return authority;
    }

    public void setAuthority(String authority) {
        this.authority = authority;
    }

    public List<String> getScopes() {
        return scopes;
    }

    public void setScopes(List<String> scopes) {
        this.scopes = scopes;
    }

    public String getUsername() {
        return username;
    }

    public void setUsername(String username) {
        this.username = username;
    }

    public String getClientSecret() {
        return clientSecret;
    }

    public void setClientSecret(String clientSecret) {
        this.clientSecret = clientSecret;
    }

    public String getCertificatePassword() {
        return certificatePassword;
    }

    public void setCertificatePassword(String certificatePassword) {
        this.certificatePassword = certificatePassword;
    }

    public String getManagedIdentityObjectId() {
        return managedIdentityObjectId;
    }

    public void setManagedIdentityObjectId(String managedIdentityObjectId) {
        this.managedIdentityObjectId = managedIdentityObjectId;
    }

    public String getManagedIdentityResourceId() {
        return managedIdentityResourceId;
    }

    public void setManagedIdentityResourceId(String managedIdentityResourceId) {
        this.managedIdentityResourceId = managedIdentityResourceId;
    }

    public Path getCertificate() {
        return certificate;
    }

    public void setCertificate(Path certificate) {
        this.certificate = certificate;
    }

    public String getToken() {
        return token;
    }

    public void setToken(String token) {
        this.token = token;
    }

    public String getCommand() {
        return command;
    }

    public void setCommand(String command) {
        this.command = command;
    }

    public Duration getCommandTimeout() {
        return commandTimeout;
    }

    public void setCommandTimeout(Duration commandTimeout) {
        this.commandTimeout = commandTimeout;
    }

    public Path getCacheDirectory() {
        return cacheDirectory;
    }

    public void setCacheDirectory(Path cacheDirectory) {
        this.cacheDirectory = cacheDirectory;
    }

    public boolean isAllowUnprotectedCache() {
        return allowUnprotectedCache;
    }

    public void setAllowUnprotectedCache(boolean allowUnprotectedCache) {
        this.allowUnprotectedCache = allowUnprotectedCache;
    }

    public Duration getSignInTimeout() {
        return signInTimeout;
    }

    public void setSignInTimeout(Duration signInTimeout) {
        this.signInTimeout = signInTimeout;
    }

    public Protocol getProtocol() {
        return protocol;
    }

    public void setProtocol(Protocol protocol) {
        this.protocol = protocol;
    }

    public boolean isFailFast() {
        return failFast;
    }

    public void setFailFast(boolean failFast) {
        this.failFast = failFast;
    }

    public Duration getFirstTokenTimeout() {
        return firstTokenTimeout;
    }

    public void setFirstTokenTimeout(Duration firstTokenTimeout) {
        this.firstTokenTimeout = firstTokenTimeout;
    }

    public Duration getTokenWait() {
        return tokenWait;
    }

    public void setTokenWait(Duration tokenWait) {
        this.tokenWait = tokenWait;
    }

    public Refresh getRefresh() {
        return refresh;
    }

    @Override
    public String toString() {
        return "RedisEntraProperties[enabled=" + enabled + ", credential=" + credential + ", clientId=" + clientId
                + ", tenantId=" + tenantId + ", scopes=" + scopes + ", username=" + username + ", protocol="
                + protocol + ", failFast=" + failFast + ", clientSecret=" + (clientSecret == null ? "-" : "[set]")
                + ", certificatePassword=" + (certificatePassword == null ? "-" : "[set]") + ", token="
                + (token == null ? "-" : "[set]") + "]";
    }
}
