package io.github.redisentra.gateway.auth.ldap;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.github.redisentra.gateway.config.ConfigException;
import io.github.redisentra.gateway.config.LdapConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API for LDAP sign-in (the ValkeyAUTH RFC's {@code AUTH.STATUS}, {@code AUTH.FLUSHCACHE} and
 * {@code AUTH.RELOAD}), served under {@value #PREFIX} on the admin listener and authenticated with
 * {@code Authorization: Bearer <ADMIN_API_TOKEN>}:
 *
 * <ul>
 *   <li>{@code GET /admin/ldap/status} — servers (up, last check, latency, last error), cache (entries, hits,
 *       misses, hit ratio, evictions), sign-in counts; JSON.
 *   <li>{@code POST /admin/ldap/flush} — empties the credential cache; {@code POST /admin/ldap/flush?user=NAME} drops
 *       one user's entry.
 *   <li>{@code POST /admin/ldap/reload} — re-reads the {@code LDAP_*} settings (environment and system properties)
 *       and swaps in new pools; 400 with the problems when the new settings are invalid (the old ones stay).
 * </ul>
 */
public final class LdapAdminApi implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(LdapAdminApi.class);
    public static final String PREFIX = "/admin/ldap/";

    private final LdapAuthenticator ldap;
    private final byte[] tokenDigest;
    private final Supplier<Map<String, String>> environment;

    /**
     * @param token the bearer token clients must present (required: the API is not served without one)
     * @param environment where {@code reload} reads the settings from
     */
    public LdapAdminApi(LdapAuthenticator ldap, String token, Supplier<Map<String, String>> environment) {
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("the admin API needs a token");
        }
        this.ldap = ldap;
        this.tokenDigest = sha256(token);
        this.environment = environment;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!authorized(ex)) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                send(ex, 401, Map.of("error", "unauthorized"));
                return;
            }
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            switch (path) {
                case PREFIX + "status" -> {
                    if (!method.equals("GET")) {
                        send(ex, 405, Map.of("error", "use GET"));
                        return;
                    }
                    send(ex, 200, ldap.status());
                }
                case PREFIX + "flush" -> {
                    if (!method.equals("POST")) {
                        send(ex, 405, Map.of("error", "use POST"));
                        return;
                    }
                    Optional<String> user = query(ex, "user");
                    Map<String, Object> body = new LinkedHashMap<>();
                    if (user.isPresent()) {
                        body.put("flushed", ldap.flushCache(user.get()) ? 1 : 0);
                    } else {
                        body.put("flushed", ldap.flushCache());
                    }
                    send(ex, 200, body);
                }
                case PREFIX + "reload" -> {
                    if (!method.equals("POST")) {
                        send(ex, 405, Map.of("error", "use POST"));
                        return;
                    }
                    try {
                        Optional<LdapConfig> c = LdapConfig.read(environment.get());
                        if (c.isEmpty()) {
                            send(ex, 400, Map.of("error", "LDAP_SERVERS is no longer set; restart to turn LDAP off"));
                            return;
                        }
                        ldap.reload(c.get());
                        send(
                                ex,
                                200,
                                Map.of(
                                        "reloaded",
                                        true,
                                        "servers",
                                        c.get().servers().toString()));
                    } catch (ConfigException e) {
                        send(ex, 400, Map.of("error", "invalid LDAP settings", "problems", e.problems()));
                    } catch (Exception e) {
                        log.warn("LDAP reload failed: {}", e.toString());
                        send(
                                ex,
                                500,
                                Map.of("error", "reload failed: " + e.getClass().getSimpleName()));
                    }
                }
                default -> send(ex, 404, Map.of("error", "not found"));
            }
        }
    }

    private boolean authorized(HttpExchange ex) {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(tokenDigest, sha256(h.substring(7).trim()));
    }

    private static Optional<String> query(HttpExchange ex, String name) {
        String q = ex.getRequestURI().getRawQuery();
        if (q == null) {
            return Optional.empty();
        }
        for (String kv : q.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).equals(name)) {
                return Optional.of(URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    private static void send(HttpExchange ex, int status, Map<String, ?> body) throws IOException {
        byte[] bytes = JSONObjectUtils.toJSONString(new LinkedHashMap<>(body)).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
