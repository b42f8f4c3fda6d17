package io.github.redisentra.emulator;

import io.github.redisentra.emulator.internal.Exchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Managed-identity token endpoints: App Service ({@code IDENTITY_ENDPOINT}) and IMDS. */
final class ManagedIdentityEndpoints {
    private static final Logger log = LoggerFactory.getLogger(ManagedIdentityEndpoints.class);

    private final EntraEmulator emulator;

    ManagedIdentityEndpoints(EntraEmulator emulator) {
        this.emulator = emulator;
    }

    /** {@code GET IDENTITY_ENDPOINT?resource=…&api-version=2019-08-01[&client_id|mi_res_id|principal_id]}. */
    void appService(Exchange ex) throws IOException {
        Map<String, String> q = ex.query();
        String header = ex.header("X-IDENTITY-HEADER");
        if (header == null) {
            appServiceError(ex, 400, "X-IDENTITY-HEADER header is missing from the request.");
            return;
        }
        if (!MessageDigest.isEqual(
                header.getBytes(StandardCharsets.UTF_8),
                emulator.appServiceIdentityHeader().getBytes(StandardCharsets.UTF_8))) {
            appServiceError(ex, 401, "The X-IDENTITY-HEADER value is not valid.");
            return;
        }
        if (!"2019-08-01".equals(q.get("api-version"))) {
            appServiceError(ex, 400, "api-version '" + q.get("api-version") + "' is not supported; use 2019-08-01.");
            return;
        }
        String resource = q.get("resource");
        if (resource == null || resource.isBlank()) {
            appServiceError(ex, 400, "The 'resource' query parameter is required.");
            return;
        }
        String selector = firstOf(q, "client_id", "mi_res_id", "principal_id", "object_id");
        Optional<ManagedIdentity> mi = find(selector);
        if (mi.isEmpty()) {
            appServiceError(
                    ex,
                    400,
                    selector == null
                            ? "No system-assigned managed identity is enabled for this app."
                            : "Managed identity '" + selector + "' is not assigned to this app.");
            return;
        }
        Optional<IssuedToken> token = issue(mi.get(), resource, q.get("x_emulator_token_lifetime"));
        if (token.isEmpty()) {
            appServiceError(
                    ex,
                    400,
                    "AADSTS500011: The resource principal named " + resource + " was not found in the tenant.");
            return;
        }
        IssuedToken t = token.get();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("access_token", t.value());
        r.put("expires_on", Long.toString(t.expiresAt().getEpochSecond()));
        r.put("resource", resource);
        r.put("token_type", "Bearer");
        r.put("client_id", mi.get().clientId());
        ex.sendJson(200, r);
    }

    /** {@code GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…} with {@code Metadata: true}. */
    void imds(Exchange ex) throws IOException {
        Map<String, String> q = ex.query();
        if (!"true".equalsIgnoreCase(ex.header("Metadata"))) {
            imdsError(ex, 400, "invalid_request", "Required metadata header not specified");
            return;
        }
        if (ex.header("X-Forwarded-For") != null) {
            imdsError(
                    ex,
                    400,
                    "invalid_request",
                    "Request contains X-Forwarded-For header; IMDS refuses proxied" + " requests");
            return;
        }
        if (q.get("api-version") == null) {
            imdsError(ex, 400, "invalid_request", "Required query variable 'api-version' is missing");
            return;
        }
        String resource = q.get("resource");
        if (resource == null || resource.isBlank()) {
            imdsError(ex, 400, "invalid_request", "Required query variable 'resource' is missing");
            return;
        }
        String selector = firstOf(q, "client_id", "object_id", "msi_res_id", "mi_res_id");
        Optional<ManagedIdentity> mi = find(selector);
        if (mi.isEmpty()) {
            imdsError(ex, 400, "invalid_request", "Identity not found");
            return;
        }
        Optional<IssuedToken> token = issue(mi.get(), resource, q.get("x_emulator_token_lifetime"));
        if (token.isEmpty()) {
            imdsError(
                    ex,
                    400,
                    "invalid_resource",
                    "AADSTS500011: The resource principal named " + resource + " was not found in the tenant.");
            return;
        }
        IssuedToken t = token.get();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("access_token", t.value());
        r.put("refresh_token", "");
        r.put(
                "expires_in",
                Long.toString(Duration.between(t.issuedAt(), t.expiresAt()).toSeconds()));
        r.put("expires_on", Long.toString(t.expiresAt().getEpochSecond()));
        r.put(
                "ext_expires_in",
                Long.toString(Duration.between(t.issuedAt(), t.expiresAt()).toSeconds()));
        r.put("not_before", Long.toString(t.issuedAt().getEpochSecond()));
        r.put("resource", resource);
        r.put("token_type", "Bearer");
        r.put("client_id", mi.get().clientId());
        ex.sendJson(200, r);
    }

    private Optional<ManagedIdentity> find(String selector) {
        for (Tenant t : emulator.tenants()) {
            Optional<ManagedIdentity> mi =
                    selector == null ? t.systemAssignedIdentity() : t.findManagedIdentity(selector);
            if (mi.isPresent()) {
                return mi;
            }
        }
        return Optional.empty();
    }

    private Optional<IssuedToken> issue(ManagedIdentity mi, String resource, String lifetimeSeconds) {
        return Resource.resolve(mi.tenant(), resource).map(r -> {
            TokenRequest req = r.app() != null
                    ? TokenRequest.forManagedIdentity(mi.tenant(), mi, r.app().appIdUri())
                    : TokenRequest.forManagedIdentity(mi.tenant(), mi, r.identifier());
            TokenEndpoint.lifetimeOverride(
                    req, java.util.Collections.singletonMap("x_emulator_token_lifetime", lifetimeSeconds));
            IssuedToken t = emulator.issue(req, r, TokenFactory.ClientAuth.CERTIFICATE);
            log.debug("managed identity token for {} resource={}", mi, resource);
            return t;
        });
    }

    private static String firstOf(Map<String, String> q, String... names) {
        for (String n : names) {
            String v = q.get(n);
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    private static void appServiceError(Exchange ex, int status, String message) throws IOException {
        ex.sendJson(status, Map.of("statusCode", status, "message", message));
    }

    private static void imdsError(Exchange ex, int status, String error, String description) throws IOException {
        ex.sendJson(status, Map.of("error", error, "error_description", description));
    }
}
