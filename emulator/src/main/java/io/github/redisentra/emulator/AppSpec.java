package io.github.redisentra.emulator;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** What to register: an API (resource), a public client, or a confidential client. */
public final class AppSpec {
    /** The kind of registration. */
    public enum Type {
        API,
        PUBLIC_CLIENT,
        CONFIDENTIAL_CLIENT
    }

    final String name;
    final Type type;
    String clientId;
    String appIdUri;
    int acceptedTokenVersion = 2;
    final List<String> appRoles = new ArrayList<>();
    final List<String> scopes = new ArrayList<>(List.of("user_impersonation"));
    final List<String> redirectUris = new ArrayList<>();
    final List<String> secrets = new ArrayList<>();
    final List<X509Certificate> certificates = new ArrayList<>();
    Duration tokenLifetime;
    boolean groupMembershipClaims = true;

    private AppSpec(String name, Type type) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("An app registration needs a non-blank name");
        }
        this.name = name;
        this.type = type;
    }

    /** A resource API (what the gateway validates tokens for). */
    public static AppSpec api(String name) {
        return new AppSpec(name, Type.API);
    }

    /** A public client (MSAL desktop/CLI app); redirect {@code http://localhost} is registered by default. */
    public static AppSpec publicClient(String name) {
        AppSpec spec = new AppSpec(name, Type.PUBLIC_CLIENT);
        spec.redirectUris.add("http://localhost");
        return spec;
    }

    /** A confidential client (daemon/service) authenticating with a secret and/or a certificate. */
    public static AppSpec confidentialClient(String name) {
        return new AppSpec(name, Type.CONFIDENTIAL_CLIENT);
    }

    /** A fixed client id (GUID) instead of a random one. */
    public AppSpec clientId(String clientId) {
        this.clientId = Objects.requireNonNull(clientId, "clientId");
        return this;
    }

    /** {@code accessTokenAcceptedVersion}: 1 (v1 issuer and claims) or 2 (default). */
    public AppSpec acceptedTokenVersion(int version) {
        if (version != 1 && version != 2) {
            throw new IllegalArgumentException("acceptedTokenVersion must be 1 or 2, got " + version);
        }
        this.acceptedTokenVersion = version;
        return this;
    }

    /** The App ID URI (default {@code api://{clientId}}). */
    public AppSpec appIdUri(String appIdUri) {
        this.appIdUri = Objects.requireNonNull(appIdUri, "appIdUri");
        return this;
    }

    /** App roles the API defines (assign them to users with {@link UserSpec#appRoles}). */
    public AppSpec appRoles(String... roles) {
        appRoles.addAll(Arrays.asList(roles));
        return this;
    }

    /** Delegated scopes the API exposes (default {@code user_impersonation}); replaces the list. */
    public AppSpec scopes(String... scopes) {
        this.scopes.clear();
        this.scopes.addAll(Arrays.asList(scopes));
        return this;
    }

    /** Adds a redirect URI. Loopback URIs match any port, as Entra allows for public clients. */
    public AppSpec redirectUri(String uri) {
        if (!redirectUris.contains(uri)) {
            redirectUris.add(uri);
        }
        return this;
    }

    /** Adds a client secret (confidential clients). */
    public AppSpec secret(String secret) {
        secrets.add(Objects.requireNonNull(secret, "secret"));
        return this;
    }

    /** Adds a certificate credential (confidential clients; verifies {@code private_key_jwt} assertions). */
    public AppSpec certificate(X509Certificate certificate) {
        certificates.add(Objects.requireNonNull(certificate, "certificate"));
        return this;
    }

    /** Lifetime of access tokens issued for this API (a token lifetime policy on its service principal). */
    public AppSpec tokenLifetime(Duration lifetime) {
        this.tokenLifetime = lifetime;
        return this;
    }

    /** Whether tokens for this API carry {@code groups} (default true, i.e. "groupMembershipClaims": "SecurityGroup"). */
    public AppSpec groupMembershipClaims(boolean on) {
        this.groupMembershipClaims = on;
        return this;
    }
}
