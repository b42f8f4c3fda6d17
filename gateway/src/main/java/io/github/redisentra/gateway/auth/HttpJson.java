package io.github.redisentra.gateway.auth;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.github.redisentra.gateway.tls.TrustMaterial;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * JSON over HTTPS for the identity provider and Microsoft Graph: JDK {@link HttpClient} (its own threads, never an
 * event loop), a timeout on every request, no redirects followed, trust = JVM anchors plus an optional CA file.
 */
public final class HttpJson {
    private static final int MAX_BODY_CHARS = 4 * 1024 * 1024;

    private final HttpClient client;
    private final Duration timeout;

    public HttpJson(HttpClient client, Duration timeout) {
        this.client = client;
        this.timeout = timeout;
    }

    /** A client with {@code trust} (the JVM's anchors plus HTTPS_CA_FILE), running callbacks on {@code executor}. */
    public static HttpJson create(TrustMaterial trust, Duration timeout, Executor executor) {
        HttpClient client = HttpClient.newBuilder()
                .sslContext(trust.sslContext())
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
        return new HttpJson(client, timeout);
    }

    /** GETs a JSON object; fails with {@link HttpJsonException} on a non-200 status or a body that is not JSON. */
    public CompletableFuture<Map<String, Object>> get(URI uri) {
        HttpRequest req = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Accept", "application/json")
                .GET()
                .build();
        return send(req);
    }

    /** POSTs a JSON body with a bearer token (never logged) and returns the JSON object answered. */
    public CompletableFuture<Map<String, Object>> postJson(URI uri, String bearerToken, Map<String, ?> body) {
        HttpRequest req = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Accept", "application/json")
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + bearerToken)
                .POST(HttpRequest.BodyPublishers.ofString(JSONObjectUtils.toJSONString(castMap(body))))
                .build();
        return send(req);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<String, ?> m) {
        return (Map<String, Object>) m;
    }

    private CompletableFuture<Map<String, Object>> send(HttpRequest req) {
        CompletableFuture<HttpResponse<String>> sent;
        try {
            sent = client.sendAsync(req, HttpResponse.BodyHandlers.ofString());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sent.handle((resp, failure) -> {
            URI uri = req.uri();
            if (failure != null) {
                Throwable t = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                throw new HttpJsonException(req.method() + " " + uri + " failed: "
                        + t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
            }
            if (resp.statusCode() != 200) {
                throw new HttpJsonException(req.method() + " " + uri + " answered HTTP " + resp.statusCode());
            }
            String body = resp.body();
            if (body.length() > MAX_BODY_CHARS) {
                throw new HttpJsonException(req.method() + " " + uri + " answered a body over 4 MiB");
            }
            try {
                return JSONObjectUtils.parse(body);
            } catch (ParseException e) {
                throw new HttpJsonException(req.method() + " " + uri + " answered a body that is not a JSON object");
            }
        });
    }

    /** A request to the identity provider or Graph failed; the message names the URL and the status. */
    public static final class HttpJsonException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public HttpJsonException(String message) {
            super(message);
        }
    }
}
