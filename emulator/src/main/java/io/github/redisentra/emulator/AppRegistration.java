package io.github.redisentra.emulator;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** A registered application (API, public client or confidential client) in a {@link Tenant}. */
public final class AppRegistration {
    private final Tenant tenant;
    private final String name;
    private final AppSpec.Type type;
    private final String clientId;
    private final String objectId = UUID.randomUUID().toString();
    private final String appIdUri;
    private final int acceptedTokenVersion;
    private final List<String> appRoles;
    private final List<String> scopes;
    private final List<String> redirectUris;
    private final List<String> secrets;
    private final List<X509Certificate> certificates;
    private final boolean groupMembershipClaims;
    private volatile Duration tokenLifetime;
    /** Application permissions granted to this app (as a client) on other APIs: api client id → roles. */
    private final Map<String, Set<String>> grantedRoles = new ConcurrentHashMap<>();

    AppRegistration(Tenant tenant, AppSpec spec) {
        this.tenant = tenant;
        this.name = spec.name;
        this.type = spec.type;
        this.clientId =
                spec.clientId != null ? spec.clientId : UUID.randomUUID().toString();
        this.appIdUri = spec.appIdUri != null ? spec.appIdUri : "api://" + clientId;
        this.acceptedTokenVersion = spec.acceptedTokenVersion;
        this.appRoles = List.copyOf(spec.appRoles);
        this.scopes = List.copyOf(spec.scopes);
        this.redirectUris = List.copyOf(spec.redirectUris);
        this.secrets = List.copyOf(spec.secrets);
        this.certificates = List.copyOf(spec.certificates);
        this.tokenLifetime = spec.tokenLifetime;
        this.groupMembershipClaims = spec.groupMembershipClaims;
    }

    public Tenant tenant() {
        return tenant;
    }

    public String name() {
        return name;
    }

    public AppSpec.Type type() {
        return type;
    }

    public boolean isPublicClient() {
        return type == AppSpec.Type.PUBLIC_CLIENT;
    }

    public String clientId() {
        return clientId;
    }

    /** The object id of the app's service principal (the {@code oid} of its app-only tokens). */
    public String objectId() {
        return objectId;
    }

    public String appIdUri() {
        return appIdUri;
    }

    /** {@code {appIdUri}/.default}. */
    public String defaultScope() {
        return appIdUri + "/.default";
    }

    public int acceptedTokenVersion() {
        return acceptedTokenVersion;
    }

    public List<String> appRoles() {
        return appRoles;
    }

    public List<String> scopes() {
        return scopes;
    }

    public List<String> redirectUris() {
        return redirectUris;
    }

    public boolean groupMembershipClaims() {
        return groupMembershipClaims;
    }

    /** Access-token lifetime for this API, or null for the emulator default. */
    public Duration tokenLifetime() {
        return tokenLifetime;
    }

    /** Changes the access-token lifetime for this API from now on (null: emulator default). */
    public AppRegistration tokenLifetime(Duration lifetime) {
        this.tokenLifetime = lifetime;
        return this;
    }

    /** Grants application permissions (app roles of {@code api}) to this app for client-credentials tokens. */
    public AppRegistration grantApplicationRoles(AppRegistration api, String... roles) {
        for (String role : roles) {
            if (!api.appRoles().contains(role)) {
                throw new IllegalArgumentException(
                        "API " + api.name() + " defines no app role '" + role + "' (defined: " + api.appRoles() + ")");
            }
        }
        grantedRoles
                .computeIfAbsent(api.clientId(), k -> ConcurrentHashMap.newKeySet())
                .addAll(List.of(roles));
        return this;
    }

    List<String> grantedRolesOn(String apiClientId) {
        return List.copyOf(grantedRoles.getOrDefault(apiClientId, Set.of()));
    }

    boolean hasSecret(String candidate) {
        return candidate != null && secrets.stream().anyMatch(s -> constantTimeEquals(s, candidate));
    }

    boolean hasSecrets() {
        return !secrets.isEmpty();
    }

    List<X509Certificate> certificates() {
        return certificates;
    }

    /** Whether {@code redirectUri} is registered; loopback URIs match on any port, as Entra does. */
    boolean acceptsRedirect(String redirectUri) {
        URI asked;
        try {
            asked = URI.create(redirectUri);
        } catch (IllegalArgumentException e) {
            return false;
        }
        for (String registered : redirectUris) {
            if (registered.equals(redirectUri)) {
                return true;
            }
            URI reg = URI.create(registered);
            // Entra ignores the port of loopback redirect URIs (native apps pick a free port); scheme, host and
            // path must still match.
            if (isLoopback(reg)
                    && "http".equalsIgnoreCase(asked.getScheme())
                    && reg.getHost().equalsIgnoreCase(asked.getHost())
                    && normalizedPath(reg).equals(normalizedPath(asked))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLoopback(URI uri) {
        String host = uri.getHost();
        return host != null && (host.equalsIgnoreCase("localhost") || host.equals("127.0.0.1") || host.equals("[::1]"));
    }

    private static String normalizedPath(URI uri) {
        String path = uri.getPath();
        return path == null || path.isEmpty() ? "/" : path;
    }

    private static boolean constantTimeEquals(String a, String b) {
        return java.security.MessageDigest.isEqual(
                a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "AppRegistration[" + name + " " + type + " clientId=" + clientId + " appIdUri=" + appIdUri + " v"
                + acceptedTokenVersion + "]";
    }
}
