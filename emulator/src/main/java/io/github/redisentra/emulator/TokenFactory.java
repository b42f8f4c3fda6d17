package io.github.redisentra.emulator;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds and signs tokens with Entra's v1/v2 claim shapes. One path for endpoints and direct minting. */
final class TokenFactory {
    /** Entra puts at most this many groups in a JWT; more is "group overage". */
    static final int GROUP_OVERAGE_LIMIT = 200;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private final EntraEmulator emulator;

    TokenFactory(EntraEmulator emulator) {
        this.emulator = emulator;
    }

    /** How the client proved itself, for {@code azpacr}/{@code appidacr}: 0 public, 1 secret, 2 certificate. */
    enum ClientAuth {
        NONE("0"),
        SECRET("1"),
        CERTIFICATE("2");

        final String acr;

        ClientAuth(String acr) {
            this.acr = acr;
        }
    }

    IssuedToken accessToken(TokenRequest req, Resource resource, ClientAuth clientAuth) {
        Tenant tenant = req.tenant;
        Instant iat = req.issuedAt != null ? req.issuedAt : emulator.now();
        Duration lifetime = lifetimeOf(req, resource);
        Instant exp = iat.plus(lifetime);
        int version = req.version != null ? req.version : resource.version();

        Map<String, Object> c = new LinkedHashMap<>();
        c.put("aud", resource.audience());
        c.put("iss", version == 2 ? tenant.issuerV2() : tenant.issuerV1());
        c.put("iat", iat.getEpochSecond());
        c.put("nbf", iat.getEpochSecond());
        c.put("exp", exp.getEpochSecond());
        if (version == 1 && req.kind == IssuedToken.Kind.USER) {
            c.put("acr", "1");
        }
        c.put("aio", random(48));
        if (version == 1 && req.kind == IssuedToken.Kind.USER) {
            c.put("amr", List.of("pwd"));
        }

        String clientId;
        String oid;
        switch (req.kind) {
            case USER -> {
                AppRegistration client = req.client != null ? req.client : resource.app();
                clientId = client != null ? client.clientId() : resource.audience();
                oid = req.user.objectId();
                ClientAuth auth = clientAuth != null
                        ? clientAuth
                        : (client == null || client.isPublicClient() ? ClientAuth.NONE : ClientAuth.SECRET);
                putClient(c, version, clientId, auth);
                groupsClaims(c, req.user, resource, tenant);
                c.put("idtyp", "user");
                if (version == 1) {
                    c.put("ipaddr", "127.0.0.1");
                }
                c.put("name", req.user.displayName());
                c.put("oid", oid);
                if (version == 2) {
                    c.put("preferred_username", req.user.upn());
                }
                c.put("rh", random(32));
                List<String> roles = resource.app() == null ? List.of() : req.user.appRoles(resource.app());
                if (!roles.isEmpty()) {
                    c.put("roles", roles);
                }
                List<String> scopes = req.scopes != null ? req.scopes : resource.scopes();
                c.put("scp", String.join(" ", scopes));
                c.put("sub", pairwiseSubject(oid, clientId));
                c.put("tid", tenant.id());
                if (version == 1) {
                    c.put("unique_name", req.user.upn());
                    c.put("upn", req.user.upn());
                }
            }
            case APP -> {
                clientId = req.client.clientId();
                oid = req.client.objectId();
                putClient(c, version, clientId, clientAuth != null ? clientAuth : ClientAuth.SECRET);
                if (version == 1) {
                    c.put("idp", tenant.issuerV1());
                }
                c.put("idtyp", "app");
                c.put("oid", oid);
                c.put("rh", random(32));
                List<String> roles =
                        resource.app() == null ? List.of() : req.client.grantedRolesOn(resource.appRoleOwnerClientId());
                if (!roles.isEmpty()) {
                    c.put("roles", roles);
                }
                c.put("sub", oid);
                c.put("tid", tenant.id());
            }
            case MANAGED_IDENTITY -> {
                clientId = req.managedIdentity.clientId();
                oid = req.managedIdentity.objectId();
                putClient(c, version, clientId, ClientAuth.CERTIFICATE);
                if (version == 1) {
                    c.put("idp", tenant.issuerV1());
                }
                c.put("idtyp", "app");
                c.put("oid", oid);
                c.put("rh", random(32));
                c.put("sub", oid);
                c.put("tid", tenant.id());
                c.put("xms_mirid", req.managedIdentity.resourceId());
            }
            default -> throw new IllegalStateException("unknown kind " + req.kind);
        }
        c.put("uti", random(16));
        c.put("ver", version == 2 ? "2.0" : "1.0");

        c.putAll(req.extraClaims);
        req.removedClaims.forEach(c::remove);

        String jwt = sign(tenant, c);
        return new IssuedToken(tenant.id(), oid, clientId, String.valueOf(c.get("aud")), jwt, iat, exp, req.kind);
    }

    /** A v2 ID token for a signed-in user, as MSAL expects next to the access token. */
    String idToken(Tenant tenant, User user, AppRegistration client, String nonce) {
        Instant iat = emulator.now();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("aud", client.clientId());
        c.put("iss", tenant.issuerV2());
        c.put("iat", iat.getEpochSecond());
        c.put("nbf", iat.getEpochSecond());
        c.put("exp", iat.plus(Duration.ofHours(1)).getEpochSecond());
        c.put("name", user.displayName());
        if (nonce != null) {
            c.put("nonce", nonce);
        }
        c.put("oid", user.objectId());
        c.put("preferred_username", user.upn());
        c.put("rh", random(32));
        c.put("sub", pairwiseSubject(user.objectId(), client.clientId()));
        c.put("tid", tenant.id());
        c.put("uti", random(16));
        c.put("ver", "2.0");
        return sign(tenant, c);
    }

    /** {@code client_info}: base64url JSON {uid, utid}; MSAL builds its account (home account id) from it. */
    static String clientInfo(User user) {
        String json = "{\"uid\":\"" + user.objectId() + "\",\"utid\":\""
                + user.tenant().id() + "\"}";
        return B64URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    Duration lifetimeOf(TokenRequest req, Resource resource) {
        if (req.lifetime != null) {
            return req.lifetime;
        }
        if (resource.app() != null && resource.app().tokenLifetime() != null) {
            return resource.app().tokenLifetime();
        }
        if (resource.app() == null) {
            Duration perResource =
                    req.tenant.resourceTokenLifetime(resource.identifier()).orElse(null);
            if (perResource != null) {
                return perResource;
            }
        }
        if (req.managedIdentity != null && req.managedIdentity.tokenLifetime() != null) {
            return req.managedIdentity.tokenLifetime();
        }
        if (req.client != null && req.client.tokenLifetime() != null) {
            return req.client.tokenLifetime();
        }
        return emulator.defaultTokenLifetime();
    }

    private static void putClient(Map<String, Object> c, int version, String clientId, ClientAuth auth) {
        if (version == 2) {
            c.put("azp", clientId);
            c.put("azpacr", auth.acr);
        } else {
            c.put("appid", clientId);
            c.put("appidacr", auth.acr);
        }
    }

    private void groupsClaims(Map<String, Object> c, User user, Resource resource, Tenant tenant) {
        if (resource.app() == null || !resource.app().groupMembershipClaims()) {
            return; // first-party resources and apps without groupMembershipClaims get no groups
        }
        List<String> groups = user.groups();
        if (groups.isEmpty()) {
            return;
        }
        if (groups.size() > GROUP_OVERAGE_LIMIT) {
            // Entra's overage shape. Real Entra points at the retired Azure AD Graph; the emulator keeps its own
            // host (the endpoint is deliberately not served: resolve overage with Microsoft Graph instead).
            c.put("_claim_names", Map.of("groups", "src1"));
            c.put(
                    "_claim_sources",
                    Map.of(
                            "src1",
                            Map.of(
                                    "endpoint",
                                    emulator.httpsBaseUrl() + "/aadgraph/" + tenant.id() + "/users/" + user.objectId()
                                            + "/getMemberObjects")));
        } else {
            c.put("groups", groups);
        }
    }

    String sign(Tenant tenant, Map<String, Object> claims) {
        RSAKey key = tenant.signingKeys().currentPrivateKey();
        try {
            JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256)
                    .type(JOSEObjectType.JWT)
                    .keyID(key.getKeyID())
                    .build();
            SignedJWT jwt = new SignedJWT(header, JWTClaimsSet.parse(claims));
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException | java.text.ParseException e) {
            throw new IllegalStateException("Could not sign a token for tenant " + tenant.id(), e);
        }
    }

    static String pairwiseSubject(String oid, String clientId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((oid + "|" + clientId).getBytes(StandardCharsets.UTF_8));
            return B64URL.encodeToString(digest).substring(0, 43);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return B64URL.encodeToString(b);
    }
}
