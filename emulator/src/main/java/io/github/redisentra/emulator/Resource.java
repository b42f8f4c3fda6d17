package io.github.redisentra.emulator;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a token is for: a registered API of the tenant, or one of the Microsoft first-party resources the
 * emulator knows (Azure Redis, Microsoft Graph, ARM). {@code audience} is the {@code aud} the token carries.
 */
record Resource(String identifier, AppRegistration app, int version, String audience, List<String> scopes) {
    static final String REDIS = "https://redis.azure.com";
    static final String GRAPH = "https://graph.microsoft.com";
    static final String GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
    static final String ARM = "https://management.azure.com";

    /** First-party resources: Microsoft issues v1-shaped tokens for them. */
    private static final Map<String, List<String>> FIRST_PARTY = Map.of(
            REDIS, List.of("user_impersonation"),
            GRAPH, List.of("User.Read", "profile", "openid", "email"),
            ARM, List.of("user_impersonation"));

    /**
     * Resolves a resource as named in a request: a client id (GUID), an App ID URI, or a first-party
     * resource URI (trailing slash tolerated).
     */
    static Optional<Resource> resolve(Tenant tenant, String requested) {
        if (requested == null || requested.isBlank()) {
            return Optional.empty();
        }
        String name = requested.endsWith("/") ? requested.substring(0, requested.length() - 1) : requested;
        Optional<AppRegistration> byClientId = tenant.findApp(name);
        if (byClientId.isPresent()) {
            AppRegistration app = byClientId.get();
            return Optional.of(new Resource(name, app, app.acceptedTokenVersion(), app.clientId(), app.scopes()));
        }
        Optional<AppRegistration> byUri = tenant.findAppByIdUri(name);
        if (byUri.isPresent()) {
            AppRegistration app = byUri.get();
            String aud = app.acceptedTokenVersion() == 2 ? app.clientId() : app.appIdUri();
            return Optional.of(new Resource(name, app, app.acceptedTokenVersion(), aud, app.scopes()));
        }
        if (name.equalsIgnoreCase(GRAPH_APP_ID)) {
            name = GRAPH;
        }
        String key = name.toLowerCase(Locale.ROOT);
        if (FIRST_PARTY.containsKey(key)) {
            return Optional.of(new Resource(key, null, 1, key, FIRST_PARTY.get(key)));
        }
        return Optional.empty();
    }

    static Resource of(AppRegistration api) {
        String aud = api.acceptedTokenVersion() == 2 ? api.clientId() : api.appIdUri();
        return new Resource(api.appIdUri(), api, api.acceptedTokenVersion(), aud, api.scopes());
    }

    boolean isGraph() {
        return GRAPH.equals(identifier);
    }

    /** The application that defines app roles for this resource (null for first-party resources). */
    String appRoleOwnerClientId() {
        return app == null ? null : app.clientId();
    }
}
