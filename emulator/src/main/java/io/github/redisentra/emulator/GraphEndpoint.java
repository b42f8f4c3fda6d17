package io.github.redisentra.emulator;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.github.redisentra.emulator.internal.Exchange;
import java.io.IOException;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Microsoft Graph, the part needed for group overage: {@code POST /v1.0/users/{id}/checkMemberGroups} (and
 * {@code getMemberGroups}). Requires a valid emulator-issued bearer token for {@code https://graph.microsoft.com}.
 */
final class GraphEndpoint {
    private static final Logger log = LoggerFactory.getLogger(GraphEndpoint.class);
    static final int MAX_GROUP_IDS = 20;

    private final EntraEmulator emulator;

    GraphEndpoint(EntraEmulator emulator) {
        this.emulator = emulator;
    }

    void handle(Exchange ex) throws IOException {
        List<String> s = ex.segments(); // graph, v1.0, users, {id}, checkMemberGroups
        if (s.size() != 5 || !s.get(1).equals("v1.0") || !s.get(2).equals("users")) {
            graphError(ex, 400, "BadRequest", "Resource not found for the segment '" + ex.path() + "'.");
            return;
        }
        String action = s.get(4);
        if (!action.equals("checkMemberGroups") && !action.equals("getMemberGroups")) {
            graphError(ex, 400, "BadRequest", "Resource not found for the segment '" + action + "'.");
            return;
        }
        if (!"POST".equalsIgnoreCase(ex.method())) {
            graphError(ex, 405, "Request_BadRequest", "The HTTP method '" + ex.method() + "' is not allowed.");
            return;
        }
        Optional<Tenant> caller = authenticate(ex);
        if (caller.isEmpty()) {
            return;
        }
        Optional<User> user = caller.get().findUser(s.get(3));
        if (user.isEmpty()) {
            graphError(
                    ex,
                    404,
                    "Request_ResourceNotFound",
                    "Resource '" + s.get(3) + "' does not exist or one of"
                            + " its queried reference-property objects are not present.");
            return;
        }
        Map<String, Object> body;
        try {
            body = ex.jsonBody();
        } catch (IOException e) {
            graphError(ex, 400, "BadRequest", "Unable to read JSON request payload.");
            return;
        }
        List<String> result = new ArrayList<>();
        if (action.equals("checkMemberGroups")) {
            Object ids = body.get("groupIds");
            if (!(ids instanceof List<?> list)) {
                graphError(ex, 400, "Request_BadRequest", "The 'groupIds' property is required (a list of group ids).");
                return;
            }
            if (list.size() > MAX_GROUP_IDS) {
                graphError(
                        ex,
                        400,
                        "Request_BadRequest",
                        "Invalid value specified for property 'groupIds' of"
                                + " resource 'User': at most " + MAX_GROUP_IDS + " group ids per request, got "
                                + list.size()
                                + ".");
                return;
            }
            for (Object id : list) {
                if (id instanceof String g && user.get().isMemberOf(g)) {
                    result.add(g);
                }
            }
        } else {
            result.addAll(user.get().groups());
        }
        log.debug("graph {} for oid={}: {} match(es)", action, user.get().objectId(), result.size());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("@odata.context", emulator.graphBaseUrl() + "/v1.0/$metadata#Collection(Edm.String)");
        r.put("value", result);
        ex.sendJson(200, r);
    }

    /** Validates the bearer token (signature by the issuing tenant's published key, iss, aud, exp). */
    private Optional<Tenant> authenticate(Exchange ex) throws IOException {
        String auth = ex.header("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            graphError(ex, 401, "InvalidAuthenticationToken", "Access token is empty.");
            return Optional.empty();
        }
        try {
            SignedJWT jwt = SignedJWT.parse(auth.substring(7).trim());
            if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
                throw new ParseException("alg", 0);
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            Optional<Tenant> tenant = emulator.findTenant(claims.getStringClaim("tid"));
            if (tenant.isEmpty()) {
                graphError(ex, 401, "InvalidAuthenticationToken", "Access token validation failure. Unknown tenant.");
                return Optional.empty();
            }
            JWK key = tenant.get()
                    .signingKeys()
                    .publicJwkSet()
                    .getKeyByKeyId(jwt.getHeader().getKeyID());
            if (key == null || !jwt.verify(new RSASSAVerifier(key.toRSAKey()))) {
                graphError(
                        ex, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid signature.");
                return Optional.empty();
            }
            String iss = claims.getIssuer();
            if (!tenant.get().issuerV1().equals(iss) && !tenant.get().issuerV2().equals(iss)) {
                graphError(ex, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid issuer.");
                return Optional.empty();
            }
            List<String> aud = claims.getAudience();
            if (aud == null
                    || aud.stream()
                            .noneMatch(a -> a.equalsIgnoreCase(Resource.GRAPH)
                                    || a.equalsIgnoreCase(Resource.GRAPH + "/")
                                    || a.equalsIgnoreCase(Resource.GRAPH_APP_ID))) {
                graphError(ex, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.");
                return Optional.empty();
            }
            if (claims.getExpirationTime() == null
                    || !claims.getExpirationTime()
                            .toInstant()
                            .isAfter(emulator.clock().instant())) {
                graphError(ex, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.");
                return Optional.empty();
            }
            return tenant;
        } catch (ParseException | JOSEException e) {
            graphError(ex, 401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.");
            return Optional.empty();
        }
    }

    private static void graphError(Exchange ex, int status, String code, String message) throws IOException {
        ex.sendJson(status, Map.of("error", Map.of("code", code, "message", message)));
    }
}
