package io.github.redisentra.gateway.admin;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.github.redisentra.gateway.auth.LockingAuthenticator;
import io.github.redisentra.gateway.auth.UserLocks;
import io.github.redisentra.gateway.config.GatewayConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incident-response API under {@value #PATH} on the admin listener, behind the {@code ADMIN_API_TOKEN} bearer
 * token (like the LDAP admin API):
 *
 * <ul>
 *   <li>{@code GET /admin/locks} — the locks in force;
 *   <li>{@code POST /admin/locks?user=<oid or directory user name>[&ttl=1h][&reason=…]} — locks the user out: their
 *       open sessions are closed now, and their credentials issued before this moment are refused until the lock is
 *       lifted or its {@code ttl} runs out;
 *   <li>{@code DELETE /admin/locks?user=…} — lifts the lock.
 * </ul>
 *
 * Answers are JSON. Locks apply to this gateway process (each replica has its own API and file).
 */
public final class UserLockApi implements HttpHandler {
    public static final String PATH = "/admin/locks";
    private static final Logger log = LoggerFactory.getLogger(UserLockApi.class);

    private final LockingAuthenticator lockout;
    private final byte[] tokenDigest;

    public UserLockApi(LockingAuthenticator lockout, String token) {
        this.lockout = lockout;
        this.tokenDigest = sha256(token);
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!authorized(ex)) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                send(ex, 401, Map.of("error", "unauthorized"));
                return;
            }
            if (!ex.getRequestURI().getPath().equals(PATH)) {
                send(ex, 404, Map.of("error", "not found"));
                return;
            }
            String by = String.valueOf(ex.getRemoteAddress());
            switch (ex.getRequestMethod()) {
                case "GET" -> send(ex, 200, list());
                case "POST" -> {
                    Optional<String> user = query(ex, "user").filter(u -> !u.isBlank());
                    if (user.isEmpty()) {
                        send(ex, 400, Map.of("error", "name the user: ?user=<oid or directory user name>"));
                        return;
                    }
                    Duration ttl = null;
                    Optional<String> ttlText = query(ex, "ttl");
                    if (ttlText.isPresent()) {
                        ttl = GatewayConfig.parseDuration(ttlText.get());
                        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
                            send(ex, 400, Map.of("error", "ttl must be a positive duration such as 30m or 12h"));
                            return;
                        }
                    }
                    LockingAuthenticator.Locked l =
                            lockout.lock(user.get(), ttl, query(ex, "reason").orElse(null), by);
                    Map<String, Object> body = json(l.lock());
                    body.put("sessions_closed", l.sessionsClosed());
                    send(ex, 200, body);
                }
                case "DELETE" -> {
                    Optional<String> user = query(ex, "user").filter(u -> !u.isBlank());
                    if (user.isEmpty()) {
                        send(ex, 400, Map.of("error", "name the user: ?user=<oid or directory user name>"));
                        return;
                    }
                    boolean lifted = lockout.unlock(user.get(), by);
                    send(ex, 200, Map.of("user", UserLocks.normalize(user.get()), "unlocked", lifted));
                }
                default -> send(ex, 405, Map.of("error", "use GET, POST or DELETE"));
            }
        } catch (IOException e) {
            log.warn("user lock change failed: {}", e.toString());
            send(ex, 500, Map.of("error", "cannot persist the lock: " + e.getMessage()));
        }
    }

    private Map<String, Object> list() {
        List<Object> locks = new ArrayList<>();
        for (UserLocks.Lock l : lockout.locks().active()) {
            locks.add(json(l));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("locks", locks);
        body.put("file", lockout.locks().path().map(Object::toString).orElse(null));
        return body;
    }

    private static Map<String, Object> json(UserLocks.Lock l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("user", l.user());
        m.put("locked_at", l.lockedAt().toString());
        m.put("expires_at", l.expiresAt() == null ? null : l.expiresAt().toString());
        m.put("reason", l.reason());
        return m;
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
