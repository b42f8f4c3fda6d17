package io.github.redisentra.gateway.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Entra (JWT) sign-in of clients: the tenant and audiences tokens must carry, the admission rules, the key and
 * metadata refresh, and Microsoft Graph for group overage.
 *
 * @param enabled whether Entra sign-in is on: always, except for an LDAP-only gateway ({@code LDAP_SERVERS} set and
 *     neither {@code TENANT_ID} nor {@code EXPECTED_AUDIENCE})
 * @param requiredGroupIds lower-cased group ids the user must all be a member of
 * @param allowedGroupIds lower-cased group ids of which the user must be a member of at least one (empty: no such rule)
 * @param allowAnyTenantApp whether {@code ALLOW_ANY_TENANT_USER} also admits app-only tokens (service principals,
 *     managed identities)
 * @param tokenCacheSize how many validated client tokens are kept (by hash) so they are not verified again;
 *     {@code 0}: none
 * @param authorityHost the authority host without a trailing slash
 * @param graphBaseUrl Microsoft Graph base URL without a trailing slash
 */
public record EntraSettings(
        boolean enabled,
        String tenantId,
        List<String> expectedAudiences,
        Set<String> requiredGroupIds,
        Set<String> allowedGroupIds,
        Set<String> allowedAppRoles,
        boolean allowAnyTenantUser,
        boolean allowAnyTenantApp,
        Duration clockSkew,
        int tokenCacheSize,
        URI authorityHost,
        Duration metadataRefreshInterval,
        Duration jwksRefreshInterval,
        Duration jwksUnknownKidInterval,
        URI graphBaseUrl,
        String graphTokenScope,
        Duration groupCacheTtl,
        HttpSettings http) {

    /** {@code {authority}/{tenant}/v2.0/.well-known/openid-configuration}. */
    public URI metadataUrlV2() {
        return URI.create(authorityHost + "/" + tenantId + "/v2.0/.well-known/openid-configuration");
    }

    /** {@code {authority}/{tenant}/.well-known/openid-configuration}. */
    public URI metadataUrlV1() {
        return URI.create(authorityHost + "/" + tenantId + "/.well-known/openid-configuration");
    }
}
