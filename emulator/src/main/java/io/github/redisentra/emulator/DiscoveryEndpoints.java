package io.github.redisentra.emulator;

import io.github.redisentra.emulator.internal.Exchange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** OpenID configuration (v1 and v2), JWKS and AAD instance discovery. */
final class DiscoveryEndpoints {
    private final EntraEmulator emulator;

    DiscoveryEndpoints(EntraEmulator emulator) {
        this.emulator = emulator;
    }

    void openIdConfiguration(Exchange ex, String tenantSegment, int version) throws IOException {
        String base = emulator.httpsBaseUrl().toString();
        Optional<Tenant> tenant = emulator.findTenant(tenantSegment);
        String tid;
        if (tenant.isPresent()) {
            tid = tenant.get().id();
        } else if (isMultiTenantAlias(tenantSegment)) {
            tid = "{tenantid}"; // Entra's multi-tenant documents carry this literal template
        } else {
            sendTenantNotFound(ex, tenantSegment);
            return;
        }
        String t = tenant.isPresent() ? tid : tenantSegment;
        Map<String, Object> doc = new LinkedHashMap<>();
        if (version == 2) {
            doc.put("token_endpoint", base + "/" + t + "/oauth2/v2.0/token");
            doc.put(
                    "token_endpoint_auth_methods_supported",
                    List.of("client_secret_post", "private_key_jwt", "client_secret_basic"));
            doc.put("jwks_uri", base + "/" + t + "/discovery/v2.0/keys");
            doc.put("response_modes_supported", List.of("query", "fragment", "form_post"));
            doc.put("subject_types_supported", List.of("pairwise"));
            doc.put("id_token_signing_alg_values_supported", List.of("RS256"));
            doc.put("response_types_supported", List.of("code", "id_token", "code id_token", "id_token token"));
            doc.put("scopes_supported", List.of("openid", "profile", "email", "offline_access"));
            doc.put("issuer", base + "/" + tid + "/v2.0");
            doc.put("request_uri_parameter_supported", false);
            doc.put("userinfo_endpoint", emulator.graphBaseUrl() + "/oidc/userinfo");
            doc.put("authorization_endpoint", base + "/" + t + "/oauth2/v2.0/authorize");
            doc.put("device_authorization_endpoint", base + "/" + t + "/oauth2/v2.0/devicecode");
            doc.put("http_logout_supported", true);
            doc.put("frontchannel_logout_supported", true);
            doc.put("end_session_endpoint", base + "/" + t + "/oauth2/v2.0/logout");
            doc.put(
                    "claims_supported",
                    List.of(
                            "sub",
                            "iss",
                            "cloud_instance_name",
                            "cloud_instance_host_name",
                            "cloud_graph_host_name",
                            "msgraph_host",
                            "aud",
                            "exp",
                            "iat",
                            "auth_time",
                            "acr",
                            "nonce",
                            "preferred_username",
                            "name",
                            "tid",
                            "ver",
                            "at_hash",
                            "c_hash",
                            "email"));
            doc.put("kerberos_endpoint", base + "/" + t + "/kerberos");
            doc.put("tenant_region_scope", null);
            doc.put("cloud_instance_name", emulator.httpsBaseUrl().getAuthority());
            doc.put("cloud_graph_host_name", emulator.httpsBaseUrl().getAuthority());
            doc.put("msgraph_host", emulator.graphBaseUrl().getAuthority() + "/graph");
            doc.put("rbac_url", base);
        } else {
            doc.put("token_endpoint", base + "/" + t + "/oauth2/token");
            doc.put(
                    "token_endpoint_auth_methods_supported",
                    List.of("client_secret_post", "private_key_jwt", "client_secret_basic"));
            doc.put("jwks_uri", base + "/" + t + "/discovery/keys");
            doc.put("response_modes_supported", List.of("query", "fragment", "form_post"));
            doc.put("subject_types_supported", List.of("pairwise"));
            doc.put("id_token_signing_alg_values_supported", List.of("RS256"));
            doc.put(
                    "response_types_supported",
                    List.of("code", "id_token", "code id_token", "token id_token", "token"));
            doc.put("scopes_supported", List.of("openid"));
            doc.put("issuer", base + "/" + tid + "/");
            doc.put("microsoft_multi_refresh_token", true);
            doc.put("authorization_endpoint", base + "/" + t + "/oauth2/authorize");
            doc.put("device_authorization_endpoint", base + "/" + t + "/oauth2/devicecode");
            doc.put("http_logout_supported", true);
            doc.put("frontchannel_logout_supported", true);
            doc.put("end_session_endpoint", base + "/" + t + "/oauth2/logout");
            doc.put(
                    "claims_supported",
                    List.of(
                            "sub",
                            "iss",
                            "cloud_instance_name",
                            "cloud_instance_host_name",
                            "cloud_graph_host_name",
                            "msgraph_host",
                            "aud",
                            "exp",
                            "iat",
                            "auth_time",
                            "acr",
                            "amr",
                            "nonce",
                            "email",
                            "given_name",
                            "family_name",
                            "nickname"));
            doc.put("check_session_iframe", base + "/" + t + "/oauth2/checksession");
            doc.put("userinfo_endpoint", base + "/" + t + "/openid/userinfo");
            doc.put("kerberos_endpoint", base + "/" + t + "/kerberos");
            doc.put("tenant_region_scope", null);
            doc.put("cloud_instance_name", emulator.httpsBaseUrl().getAuthority());
            doc.put("cloud_graph_host_name", emulator.httpsBaseUrl().getAuthority());
            doc.put("msgraph_host", emulator.graphBaseUrl().getAuthority() + "/graph");
            doc.put("rbac_url", base);
        }
        ex.sendJson(200, doc);
    }

    void keys(Exchange ex, String tenantSegment) throws IOException {
        Optional<Tenant> tenant = emulator.findTenant(tenantSegment);
        List<Map<String, Object>> keys = new ArrayList<>();
        if (tenant.isPresent()) {
            keys.addAll(jwks(tenant.get()));
        } else if (isMultiTenantAlias(tenantSegment)) {
            // Entra's common keys are shared by every tenant; here each tenant has its own, so publish all.
            for (Tenant t : emulator.tenants()) {
                keys.addAll(jwks(t));
            }
        } else {
            sendTenantNotFound(ex, tenantSegment);
            return;
        }
        ex.sendJson(200, Map.of("keys", keys));
    }

    private static List<Map<String, Object>> jwks(Tenant tenant) {
        List<Map<String, Object>> out = new ArrayList<>();
        tenant.signingKeys().publicJwkSet().getKeys().forEach(k -> {
            Map<String, Object> json = new LinkedHashMap<>(k.toJSONObject());
            json.remove("alg"); // Entra omits alg; validators use the token header's RS256
            json.put("issuer", tenant.issuerV2());
            out.add(json);
        });
        return out;
    }

    void instanceDiscovery(Exchange ex) throws IOException {
        String host = emulator.httpsBaseUrl().getAuthority();
        String authorizeEndpoint = ex.query().get("authorization_endpoint");
        String tenant = "common";
        if (authorizeEndpoint != null) {
            String[] parts = java.net.URI.create(authorizeEndpoint).getPath().split("/");
            if (parts.length > 1 && !parts[1].isEmpty()) {
                tenant = parts[1];
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put(
                "tenant_discovery_endpoint",
                emulator.httpsBaseUrl() + "/" + tenant + "/v2.0/.well-known/openid-configuration");
        doc.put("api-version", "1.1");
        doc.put(
                "metadata",
                List.of(Map.of("preferred_network", host, "preferred_cache", host, "aliases", List.of(host))));
        ex.sendJson(200, doc);
    }

    static boolean isMultiTenantAlias(String segment) {
        return segment.equalsIgnoreCase("common")
                || segment.equalsIgnoreCase("organizations")
                || segment.equalsIgnoreCase("consumers");
    }

    private void sendTenantNotFound(Exchange ex, String tenantSegment) throws IOException {
        OAuthError e = OAuthError.invalidRequest(
                90002,
                "Tenant '" + tenantSegment + "' not found. Check to make sure you have the correct tenant ID and are"
                        + " signing into the correct cloud.");
        ex.sendJson(
                400,
                e.toJson(ex.header("client-request-id"), emulator.httpsBaseUrl().toString()));
    }
}
