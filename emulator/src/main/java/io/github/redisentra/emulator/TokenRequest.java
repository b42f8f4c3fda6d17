package io.github.redisentra.emulator;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A token to mint directly through {@link EntraEmulator#mintAccessToken(TokenRequest)} — same claims and
 * signing path as the OAuth endpoints, without the OAuth dance. Also lets tests forge odd shapes.
 */
public final class TokenRequest {
    final Tenant tenant;
    final IssuedToken.Kind kind;
    final User user;
    final ManagedIdentity managedIdentity;
    final AppRegistration api;
    final String resource;
    AppRegistration client;
    Duration lifetime;
    Integer version;
    Instant issuedAt;
    List<String> scopes;
    final Map<String, Object> extraClaims = new LinkedHashMap<>();
    final Set<String> removedClaims = new HashSet<>();
    String nonce;

    private TokenRequest(
            Tenant tenant,
            IssuedToken.Kind kind,
            User user,
            ManagedIdentity mi,
            AppRegistration client,
            AppRegistration api,
            String resource) {
        this.tenant = Objects.requireNonNull(tenant, "tenant");
        this.kind = kind;
        this.user = user;
        this.managedIdentity = mi;
        this.client = client;
        this.api = api;
        this.resource = resource;
    }

    /** A delegated (user) token for {@code api}. The client ({@code azp}) defaults to the API itself. */
    public static TokenRequest forUser(Tenant tenant, User user, AppRegistration api) {
        return new TokenRequest(
                tenant,
                IssuedToken.Kind.USER,
                Objects.requireNonNull(user, "user"),
                null,
                null,
                Objects.requireNonNull(api, "api"),
                null);
    }

    /** A delegated (user) token for a resource URI such as {@code https://redis.azure.com}. */
    public static TokenRequest forUser(Tenant tenant, User user, String resource) {
        return new TokenRequest(
                tenant,
                IssuedToken.Kind.USER,
                Objects.requireNonNull(user, "user"),
                null,
                null,
                null,
                Objects.requireNonNull(resource, "resource"));
    }

    /** A managed-identity token for a resource URI such as {@code https://redis.azure.com}. */
    public static TokenRequest forManagedIdentity(Tenant tenant, ManagedIdentity mi, String resource) {
        return new TokenRequest(
                tenant,
                IssuedToken.Kind.MANAGED_IDENTITY,
                null,
                Objects.requireNonNull(mi, "managedIdentity"),
                null,
                null,
                Objects.requireNonNull(resource, "resource"));
    }

    /** An app-only (client credentials) token of {@code client} for {@code api}. */
    public static TokenRequest forApp(Tenant tenant, AppRegistration client, AppRegistration api) {
        return new TokenRequest(
                tenant,
                IssuedToken.Kind.APP,
                null,
                null,
                Objects.requireNonNull(client, "client"),
                Objects.requireNonNull(api, "api"),
                null);
    }

    /** An app-only (client credentials) token of {@code client} for a resource URI. */
    public static TokenRequest forApp(Tenant tenant, AppRegistration client, String resource) {
        return new TokenRequest(
                tenant,
                IssuedToken.Kind.APP,
                null,
                null,
                Objects.requireNonNull(client, "client"),
                null,
                Objects.requireNonNull(resource, "resource"));
    }

    /** The client application of a user token ({@code azp}/{@code appid}). */
    public TokenRequest client(AppRegistration client) {
        this.client = Objects.requireNonNull(client, "client");
        return this;
    }

    /** Token lifetime for this token only (overrides app, identity and emulator defaults). */
    public TokenRequest lifetime(Duration lifetime) {
        if (lifetime == null || lifetime.isNegative()) {
            throw new IllegalArgumentException("lifetime must be >= 0, got " + lifetime);
        }
        this.lifetime = lifetime;
        return this;
    }

    /** Claim shape: 1 or 2 (default: the API's {@code accessTokenAcceptedVersion}; 1 for resource URIs). */
    public TokenRequest version(int version) {
        if (version != 1 && version != 2) {
            throw new IllegalArgumentException("version must be 1 or 2, got " + version);
        }
        this.version = version;
        return this;
    }

    /** Adds or overrides a claim (forged shapes for negative tests). */
    public TokenRequest claim(String name, Object value) {
        extraClaims.put(Objects.requireNonNull(name), value);
        removedClaims.remove(name);
        return this;
    }

    /** Removes a claim from the token. */
    public TokenRequest removeClaim(String name) {
        removedClaims.add(Objects.requireNonNull(name));
        extraClaims.remove(name);
        return this;
    }

    /** The {@code iat}/{@code nbf} instant (default: the emulator clock plus clock skew). */
    public TokenRequest issuedAt(Instant issuedAt) {
        this.issuedAt = Objects.requireNonNull(issuedAt);
        return this;
    }

    /** Delegated scopes for {@code scp} (default: every scope the API exposes). */
    public TokenRequest scopes(String... scopes) {
        this.scopes = Arrays.asList(scopes);
        return this;
    }
}
