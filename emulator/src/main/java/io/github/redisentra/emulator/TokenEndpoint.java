package io.github.redisentra.emulator;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.github.redisentra.emulator.internal.Exchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The v2 (and v1) token endpoint and the device-authorization endpoint. */
final class TokenEndpoint {
    private static final Logger log = LoggerFactory.getLogger(TokenEndpoint.class);
    static final Set<String> OIDC_SCOPES = Set.of("openid", "profile", "offline_access", "email");
    private static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private final EntraEmulator emulator;

    TokenEndpoint(EntraEmulator emulator) {
        this.emulator = emulator;
    }

    /** A parsed {@code scope} (or v1 {@code resource}) request. */
    record Scopes(
            Resource resource, List<String> requested, List<String> delegated, Set<String> oidc, boolean dotDefault) {
        boolean has(String oidcScope) {
            return oidc.contains(oidcScope);
        }

        /** The {@code scope} echoed in the response: the resource scopes as requested (see README). */
        String responseScope() {
            return String.join(" ", requested);
        }
    }

    void handle(Exchange ex, String tenantSegment) throws IOException {
        String correlation = ex.header("client-request-id");
        try {
            if (!"POST".equalsIgnoreCase(ex.method())) {
                throw OAuthError.invalidRequest(
                        900561, "The endpoint only accepts POST requests. Received a " + ex.method() + " request.");
            }
            Tenant tenant = tenant(tenantSegment);
            Map<String, String> p = ex.form();
            String grant = p.get("grant_type");
            if (grant == null || grant.isBlank()) {
                throw OAuthError.missing("grant_type");
            }
            log.debug("token request tenant={} grant_type={} client_id={}", tenant.id(), grant, p.get("client_id"));
            Map<String, Object> response = switch (grant) {
                case "authorization_code" -> authorizationCode(ex, tenant, p);
                case "refresh_token" -> refreshToken(ex, tenant, p);
                case "device_code", "urn:ietf:params:oauth:grant-type:device_code" -> deviceCodeGrant(ex, tenant, p);
                case "client_credentials" -> clientCredentials(ex, tenant, p);
                default ->
                    throw new OAuthError(
                            400,
                            "unsupported_grant_type",
                            70003,
                            "The app requested an unsupported grant type '" + grant + "'.");
            };
            ex.sendJson(200, response);
        } catch (OAuthError e) {
            log.debug("token request refused: {} AADSTS{}", e.error, e.code);
            ex.sendJson(e.status, e.toJson(correlation, emulator.httpsBaseUrl().toString()));
        }
    }

    // ---- grants

    private Map<String, Object> authorizationCode(Exchange ex, Tenant tenant, Map<String, String> p)
            throws OAuthError, IOException {
        AppRegistration client = client(tenant, p);
        TokenFactory.ClientAuth auth = authenticate(ex, tenant, client, p, false);
        String codeValue = require(p, "code");
        OAuthState.AuthCode code = emulator.oauth.redeemCode(codeValue);
        if (code == null) {
            throw OAuthError.invalidGrant(
                    70000,
                    "The provided authorization code or refresh token has expired, was already redeemed or"
                            + " is not valid.");
        }
        if (emulator.clock().instant().isAfter(code.expiresAt())) {
            throw OAuthError.invalidGrant(
                    70008,
                    "The provided authorization code or refresh token has expired due to"
                            + " inactivity. Send a new interactive authorization request for this user and resource.");
        }
        if (code.tenant() != tenant || code.client() != client) {
            throw OAuthError.invalidGrant(70000, "The authorization code was issued to another client or tenant.");
        }
        String redirect = p.get("redirect_uri");
        if (redirect == null || !redirect.equals(code.redirectUri())) {
            throw OAuthError.invalidGrant(
                    50011,
                    "The redirect URI '" + redirect + "' specified in the request does"
                            + " not match the redirect URI of the authorization request.");
        }
        if (code.codeChallenge() != null) {
            String verifier = p.get("code_verifier");
            if (verifier == null) {
                throw OAuthError.invalidGrant(
                        50148,
                        "The code_verifier does not match the code_challenge supplied in the authorization"
                                + " request for PKCE (no code_verifier sent).");
            }
            String expected = "plain".equalsIgnoreCase(code.codeChallengeMethod()) ? verifier : s256(verifier);
            if (!MessageDigest.isEqual(
                    expected.getBytes(StandardCharsets.US_ASCII),
                    code.codeChallenge().getBytes(StandardCharsets.US_ASCII))) {
                throw OAuthError.invalidGrant(
                        501481,
                        "The Code_Verifier does not match the code_challenge supplied in the authorization"
                                + " request.");
            }
        }
        String scopeParam = p.getOrDefault("scope", code.scope());
        Scopes scopes = parseScopes(tenant, scopeParam, p.get("resource"));
        return userTokenResponse(tenant, client, code.user(), scopes, code.nonce(), auth, p);
    }

    private Map<String, Object> refreshToken(Exchange ex, Tenant tenant, Map<String, String> p)
            throws OAuthError, IOException {
        AppRegistration client = client(tenant, p);
        TokenFactory.ClientAuth auth = authenticate(ex, tenant, client, p, false);
        String value = require(p, "refresh_token");
        OAuthState.RefreshGrant grant = emulator.oauth.redeemRefreshToken(value);
        if (grant == null) {
            throw OAuthError.invalidGrant(
                    70000, "The provided value for the 'refresh_token' is not valid (unknown or already redeemed).");
        }
        if (emulator.clock().instant().isAfter(grant.expiresAt())) {
            throw OAuthError.invalidGrant(700082, "The refresh token has expired due to inactivity.");
        }
        if (grant.client() != client || grant.tenant() != tenant) {
            throw OAuthError.invalidGrant(70000, "The refresh token was issued to a different client or tenant.");
        }
        String scopeParam = p.getOrDefault("scope", grant.scope());
        Scopes scopes = parseScopes(tenant, scopeParam, p.get("resource"));
        return userTokenResponse(tenant, client, grant.user(), scopes, null, auth, p);
    }

    private Map<String, Object> deviceCodeGrant(Exchange ex, Tenant tenant, Map<String, String> p)
            throws OAuthError, IOException {
        AppRegistration client = client(tenant, p);
        TokenFactory.ClientAuth auth = authenticate(ex, tenant, client, p, false);
        String deviceCode = p.get("device_code");
        if (deviceCode == null) {
            deviceCode = p.get("code"); // v1 device flow sends 'code'
        }
        if (deviceCode == null) {
            throw OAuthError.missing("device_code");
        }
        OAuthState.DeviceGrant g = emulator.oauth.deviceGrant(deviceCode);
        if (g == null || g.client != client || g.tenant != tenant) {
            throw new OAuthError(400, "bad_verification_code", 70019, "Verification code is not recognized.");
        }
        Instant now = emulator.clock().instant();
        if (now.isAfter(g.expiresAt)) {
            emulator.oauth.removeDeviceGrant(g);
            throw new OAuthError(
                    400,
                    "expired_token",
                    70020,
                    "The provided value for the input parameter"
                            + " 'device_code' is not valid. This device code has expired.");
        }
        if (g.denied) {
            emulator.oauth.removeDeviceGrant(g);
            throw new OAuthError(400, "authorization_declined", 70000, "The user declined the authentication request.");
        }
        Instant last = g.lastPoll;
        g.lastPoll = now;
        if (g.approvedBy == null) {
            // Polling much faster than the advertised interval earns slow_down (RFC 8628 §3.5).
            long minGapMs = emulator.deviceCodePollInterval().toMillis() / 2;
            if (last != null && Duration.between(last, now).toMillis() < minGapMs) {
                throw new OAuthError(
                        400,
                        "slow_down",
                        70016,
                        "OAuth 2.0 device flow error. Polling too fast;" + " wait the 'interval' between requests.");
            }
            throw new OAuthError(
                    400,
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization" + " is pending. Continue polling.");
        }
        emulator.oauth.removeDeviceGrant(g);
        Scopes scopes = parseScopes(tenant, p.getOrDefault("scope", g.scope), p.get("resource"));
        return userTokenResponse(tenant, client, g.approvedBy, scopes, null, auth, p);
    }

    private Map<String, Object> clientCredentials(Exchange ex, Tenant tenant, Map<String, String> p)
            throws OAuthError, IOException {
        AppRegistration client = client(tenant, p);
        if (client.isPublicClient()) {
            throw new OAuthError(
                    400,
                    "unauthorized_client",
                    700025,
                    "Client is public so neither 'client_assertion' nor"
                            + " 'client_secret' should be presented; client_credentials needs a confidential client.");
        }
        TokenFactory.ClientAuth auth = authenticate(ex, tenant, client, p, true);
        Scopes scopes = parseScopes(tenant, p.get("scope"), p.get("resource"));
        // MSAL adds "openid profile offline_access" even here; Entra ignores them, so do we.
        if (p.get("scope") != null
                && (!scopes.dotDefault() || scopes.requested().size() != 1)) {
            throw new OAuthError(
                    400,
                    "invalid_scope",
                    1002012,
                    "The provided value for scope " + p.get("scope")
                            + " is not valid. Client credential flows must have a scope value with /.default suffixed to"
                            + " the resource identifier (application ID URI).");
        }
        TokenRequest req = scopes.resource().app() != null
                ? TokenRequest.forApp(tenant, client, scopes.resource().app())
                : TokenRequest.forApp(tenant, client, scopes.resource().identifier());
        lifetimeOverride(req, p);
        IssuedToken token = emulator.issue(req, scopes.resource(), auth);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("token_type", "Bearer");
        long expiresIn = Duration.between(token.issuedAt(), token.expiresAt()).toSeconds();
        r.put("expires_in", expiresIn);
        r.put("ext_expires_in", expiresIn);
        r.put("access_token", token.value());
        if (p.get("resource") != null) { // v1 shape
            r.put("expires_on", Long.toString(token.expiresAt().getEpochSecond()));
            r.put("resource", p.get("resource"));
        }
        return r;
    }

    // ---- device authorization

    void deviceCode(Exchange ex, String tenantSegment) throws IOException {
        String correlation = ex.header("client-request-id");
        try {
            Tenant tenant = tenant(tenantSegment);
            Map<String, String> p = ex.parameters();
            AppRegistration client = client(tenant, p);
            String scope = p.get("scope");
            if (scope == null && p.get("resource") == null) {
                throw OAuthError.missing("scope");
            }
            parseScopes(tenant, scope, p.get("resource")); // validate now, as Entra does
            OAuthState.DeviceGrant g = emulator.oauth.newDeviceGrant(tenant, client, scope);
            String verificationUri = emulator.httpsBaseUrl() + "/devicelogin";
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("user_code", g.userCode);
            r.put("device_code", g.deviceCode);
            r.put("verification_uri", verificationUri);
            r.put("expires_in", emulator.deviceCodeLifetime().toSeconds());
            r.put("interval", emulator.deviceCodePollInterval().toSeconds());
            r.put(
                    "message",
                    "To sign in, use a web browser to open the page " + verificationUri + " and enter the code "
                            + g.userCode + " to authenticate.");
            log.debug(
                    "device code issued tenant={} client={} user_code={}", tenant.id(), client.clientId(), g.userCode);
            ex.sendJson(200, r);
        } catch (OAuthError e) {
            ex.sendJson(e.status, e.toJson(correlation, emulator.httpsBaseUrl().toString()));
        }
    }

    // ---- shared pieces

    Map<String, Object> userTokenResponse(
            Tenant tenant,
            AppRegistration client,
            User user,
            Scopes scopes,
            String nonce,
            TokenFactory.ClientAuth auth,
            Map<String, String> p) {
        TokenRequest req = scopes.resource().app() != null
                ? TokenRequest.forUser(tenant, user, scopes.resource().app())
                : TokenRequest.forUser(tenant, user, scopes.resource().identifier());
        req.client(client);
        req.scopes(scopes.delegated().toArray(String[]::new));
        lifetimeOverride(req, p);
        IssuedToken token = emulator.issue(req, scopes.resource(), auth);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("token_type", "Bearer");
        r.put("scope", scopes.responseScope());
        long expiresIn = Duration.between(token.issuedAt(), token.expiresAt()).toSeconds();
        r.put("expires_in", expiresIn);
        r.put("ext_expires_in", expiresIn);
        r.put("access_token", token.value());
        if (scopes.has("offline_access")) {
            r.put("refresh_token", emulator.oauth.newRefreshToken(tenant, client, user, scopesForRefresh(scopes)));
        }
        if (scopes.has("openid")) {
            r.put("id_token", emulator.tokenFactory().idToken(tenant, user, client, nonce));
        }
        if ("1".equals(p.get("client_info")) || scopes.has("openid")) {
            r.put("client_info", TokenFactory.clientInfo(user));
        }
        if (p.get("resource") != null) { // v1 shape
            r.put("expires_on", Long.toString(token.expiresAt().getEpochSecond()));
            r.put("resource", p.get("resource"));
        }
        return r;
    }

    private static String scopesForRefresh(Scopes scopes) {
        List<String> all = new ArrayList<>(scopes.requested());
        all.addAll(scopes.oidc());
        return String.join(" ", all);
    }

    /** Per-request lifetime: the emulator-only {@code x_emulator_token_lifetime} parameter (seconds). */
    static void lifetimeOverride(TokenRequest req, Map<String, String> p) {
        String seconds = p.get("x_emulator_token_lifetime");
        if (seconds != null) {
            try {
                req.lifetime(Duration.ofSeconds(Long.parseLong(seconds.trim())));
            } catch (IllegalArgumentException e) {
                // an unparsable override is ignored, as Entra ignores unknown parameters
            }
        }
    }

    Tenant tenant(String segment) throws OAuthError {
        var t = emulator.findTenant(segment);
        if (t.isPresent()) {
            return t.get();
        }
        if (DiscoveryEndpoints.isMultiTenantAlias(segment)
                && !emulator.tenants().isEmpty()) {
            return emulator.tenants().get(0); // the home tenant of every emulated user
        }
        throw OAuthError.invalidRequest(
                90002,
                "Tenant '" + segment + "' not found. Check to make sure you have the"
                        + " correct tenant ID and are signing into the correct cloud.");
    }

    static AppRegistration client(Tenant tenant, Map<String, String> p) throws OAuthError {
        String clientId = p.get("client_id");
        if (clientId == null || clientId.isBlank()) {
            throw OAuthError.missing("client_id");
        }
        return tenant.findApp(clientId)
                .orElseThrow(() -> new OAuthError(
                        400,
                        "unauthorized_client",
                        700016,
                        "Application with identifier '" + clientId + "' was not found in the directory '"
                                + tenant.name() + "'. This can happen if the application has not been installed by"
                                + " the administrator of the tenant or consented to by any user in the tenant."));
    }

    private TokenFactory.ClientAuth authenticate(
            Exchange ex, Tenant tenant, AppRegistration client, Map<String, String> p, boolean required)
            throws OAuthError {
        String secret = p.get("client_secret");
        String basic = ex.header("Authorization");
        if (secret == null && basic != null && basic.regionMatches(true, 0, "Basic ", 0, 6)) {
            String decoded =
                    new String(Base64.getDecoder().decode(basic.substring(6).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            if (colon > 0 && decoded.substring(0, colon).equalsIgnoreCase(client.clientId())) {
                secret = java.net.URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8);
            }
        }
        String assertion = p.get("client_assertion");
        if (client.isPublicClient()) {
            if (secret != null || assertion != null) {
                throw new OAuthError(
                        400,
                        "invalid_request",
                        700025,
                        "Client is public so neither" + " 'client_assertion' nor 'client_secret' should be presented.");
            }
            return TokenFactory.ClientAuth.NONE;
        }
        if (secret != null) {
            if (!client.hasSecret(secret)) {
                throw OAuthError.invalidClient(
                        7000215,
                        "Invalid client secret provided. Ensure the secret being sent"
                                + " in the request is the client secret value, not the client secret ID, for a secret added"
                                + " to app '" + client.clientId() + "'.");
            }
            return TokenFactory.ClientAuth.SECRET;
        }
        if (assertion != null) {
            verifyAssertion(tenant, client, assertion, p.get("client_assertion_type"));
            return TokenFactory.ClientAuth.CERTIFICATE;
        }
        throw OAuthError.invalidClient(
                7000218,
                "The request body must contain the following parameter:" + " 'client_assertion' or 'client_secret'.");
    }

    private void verifyAssertion(Tenant tenant, AppRegistration client, String assertion, String type)
            throws OAuthError {
        if (!JWT_BEARER.equals(type)) {
            throw OAuthError.invalidClient(
                    700024, "client_assertion_type must be '" + JWT_BEARER + "', got '" + type + "'.");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(assertion);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw OAuthError.invalidClient(700021, "The client assertion is not a signed JWT.");
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!JWSAlgorithm.RS256.equals(alg) && !JWSAlgorithm.PS256.equals(alg)) {
            throw OAuthError.invalidClient(
                    700027, "Client assertion algorithm " + alg + " is not supported; use RS256" + " or PS256.");
        }
        X509Certificate matched = null;
        for (X509Certificate cert : client.certificates()) {
            if (thumbprintMatches(jwt, cert)) {
                try {
                    if (jwt.verify(new RSASSAVerifier((RSAPublicKey) cert.getPublicKey()))) {
                        matched = cert;
                        break;
                    }
                } catch (JOSEException | ClassCastException e) {
                    // try the next certificate
                }
            }
        }
        if (matched == null) {
            log.debug(
                    "client assertion for {} not verified: header {}",
                    client.clientId(),
                    jwt.getHeader().toJSONObject());
            throw OAuthError.invalidClient(
                    700027,
                    "Client assertion failed signature validation: no certificate" + " registered for app '"
                            + client.clientId() + "' verifies it (check x5t / the key).");
        }
        if (!client.clientId().equalsIgnoreCase(claims.getIssuer())
                || !client.clientId().equalsIgnoreCase(claims.getSubject())) {
            throw OAuthError.invalidClient(
                    700021,
                    "Client assertion application identifier doesn't match"
                            + " 'client_id' parameter (iss and sub must be the client id).");
        }
        if (claims.getAudience() == null
                || claims.getAudience().stream().noneMatch(a -> isOwnTokenEndpoint(tenant, a))) {
            throw OAuthError.invalidClient(
                    700212,
                    "No matching federated identity record / audience: the client" + " assertion aud "
                            + claims.getAudience() + " must be this tenant's token endpoint.");
        }
        Instant now = emulator.clock().instant();
        if (claims.getExpirationTime() == null
                || claims.getExpirationTime().toInstant().isBefore(now.minusSeconds(300))) {
            throw OAuthError.invalidClient(700024, "Client assertion is not within its valid time range (expired).");
        }
        if (claims.getNotBeforeTime() != null
                && claims.getNotBeforeTime().toInstant().isAfter(now.plusSeconds(300))) {
            throw OAuthError.invalidClient(700024, "Client assertion is not within its valid time range (nbf).");
        }
    }

    private static boolean thumbprintMatches(SignedJWT jwt, X509Certificate cert) {
        try {
            Base64URL x5t = jwt.getHeader().getX509CertThumbprint();
            Base64URL x5t256 = jwt.getHeader().getX509CertSHA256Thumbprint();
            if (x5t == null && x5t256 == null) {
                return true; // no hint: try the key
            }
            byte[] der = cert.getEncoded();
            // Clients differ in the alphabet (MSAL4J sends standard Base64 with padding): compare normalized.
            if (x5t256 != null
                    && normalize(x5t256.toString())
                            .equals(normalize(Base64URL.encode(
                                            MessageDigest.getInstance("SHA-256").digest(der))
                                    .toString()))) {
                return true;
            }
            return x5t != null
                    && normalize(x5t.toString())
                            .equals(normalize(Base64URL.encode(
                                            MessageDigest.getInstance("SHA-1").digest(der))
                                    .toString()));
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            return false;
        }
    }

    private static String normalize(String base64) {
        return base64.replace('+', '-').replace('/', '_').replace("=", "");
    }

    private boolean isOwnTokenEndpoint(Tenant tenant, String aud) {
        String base = emulator.httpsBaseUrl().toString();
        String path = aud.startsWith(base) ? aud.substring(base.length()) : aud.replaceFirst("^https://[^/]+", "");
        String[] parts = path.split("/");
        if (parts.length < 2) {
            return false;
        }
        String seg = parts[1];
        boolean sameTenant = emulator.findTenant(seg).map(t -> t == tenant).orElse(false)
                || DiscoveryEndpoints.isMultiTenantAlias(seg);
        String lower = path.toLowerCase(Locale.ROOT);
        boolean tokenPath = lower.endsWith("/oauth2/v2.0/token") || lower.endsWith("/oauth2/token");
        boolean issuerPath = lower.equals("/" + seg.toLowerCase(Locale.ROOT) + "/v2.0")
                || lower.equals("/" + seg.toLowerCase(Locale.ROOT) + "/");
        return sameTenant && (tokenPath || issuerPath);
    }

    /** Parses a v2 {@code scope} (or, without it, a v1 {@code resource}) into one resource plus OIDC scopes. */
    Scopes parseScopes(Tenant tenant, String scope, String v1Resource) throws OAuthError {
        List<String> requested = new ArrayList<>();
        List<String> delegated = new ArrayList<>();
        Set<String> oidc = new java.util.LinkedHashSet<>();
        String resourceId = null;
        boolean dotDefault = false;
        if (scope != null) {
            for (String s : scope.trim().split("\\s+")) {
                if (s.isEmpty()) {
                    continue;
                }
                if (OIDC_SCOPES.contains(s.toLowerCase(Locale.ROOT))) {
                    oidc.add(s.toLowerCase(Locale.ROOT));
                    continue;
                }
                String res;
                String name;
                int slash = s.lastIndexOf('/');
                if (slash < 0) {
                    res = Resource.GRAPH; // bare scopes (User.Read) are Microsoft Graph's, as in Entra
                    name = s;
                } else {
                    res = s.substring(0, slash);
                    name = s.substring(slash + 1);
                }
                if (resourceId != null && !resourceId.equalsIgnoreCase(res)) {
                    throw new OAuthError(
                            400,
                            "invalid_scope",
                            28000,
                            "Provided value for the input parameter scope"
                                    + " is not valid because it contains more than one resource. Scope " + scope
                                    + " is not valid.");
                }
                resourceId = res;
                requested.add(s);
                if (name.equals(".default")) {
                    dotDefault = true;
                } else {
                    delegated.add(name);
                }
            }
        }
        if (resourceId == null && v1Resource != null) {
            resourceId = v1Resource;
            dotDefault = true;
        }
        if (resourceId == null) {
            if (oidc.isEmpty()) {
                throw OAuthError.missing("scope");
            }
            resourceId = Resource.GRAPH; // only OIDC scopes: Entra returns a Graph token
            delegated.add("User.Read");
        }
        final String rid = resourceId;
        Resource resource = Resource.resolve(tenant, resourceId)
                .orElseThrow(() -> new OAuthError(
                        400,
                        "invalid_resource",
                        500011,
                        "The resource principal named "
                                + rid + " was not found in the tenant named " + tenant.name()
                                + ". This can happen if the"
                                + " application has not been installed by the administrator of the tenant or consented to by"
                                + " any user in the tenant."));
        if (dotDefault) {
            delegated.clear();
            delegated.addAll(resource.scopes());
        } else if (resource.app() != null) {
            for (String name : delegated) {
                if (!resource.app().scopes().contains(name)) {
                    throw new OAuthError(
                            400,
                            "invalid_scope",
                            65005,
                            "The application asked for scope '" + name
                                    + "' that doesn't exist on the resource '"
                                    + resource.app().clientId() + "'. Exposed: "
                                    + resource.app().scopes());
                }
            }
        }
        return new Scopes(resource, requested, delegated, oidc, dotDefault);
    }

    private static String require(Map<String, String> p, String name) throws OAuthError {
        String v = p.get(name);
        if (v == null || v.isBlank()) {
            throw OAuthError.missing(name);
        }
        return v;
    }

    static String s256(String verifier) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
