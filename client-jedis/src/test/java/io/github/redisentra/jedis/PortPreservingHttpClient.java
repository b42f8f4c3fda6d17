package io.github.redisentra.jedis;

import com.microsoft.aad.msal4j.HttpRequest;
import com.microsoft.aad.msal4j.IHttpClient;
import com.microsoft.aad.msal4j.IHttpResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * MSAL's HTTP client for tests against the emulator on a port other than 443: MSAL drops the authority's port on
 * silent refresh (FACTS §9), so a request to the emulator's host without a port is sent to the emulator's port.
 * Test scope only: production code talks to Entra on 443.
 */
final class PortPreservingHttpClient implements IHttpClient {
    private static final Set<String> RESTRICTED =
            Set.of("host", "content-length", "content-type", "connection", "expect", "upgrade");

    private final HttpClient http;
    private final int port;

    PortPreservingHttpClient(SSLContext ssl, int port) {
        this.http = HttpClient.newBuilder()
                .sslContext(ssl)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        this.port = port;
    }

    @Override
    public IHttpResponse send(HttpRequest request) throws Exception {
        URI uri = request.url().toURI();
        if (uri.getPort() == -1 && "https".equals(uri.getScheme())) {
            uri = new URI(uri.getScheme(), uri.getUserInfo(), uri.getHost(), port, uri.getPath(), uri.getQuery(), null);
        }
        java.net.http.HttpRequest.Builder b =
                java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
        request.headers().forEach((k, v) -> {
            if (!RESTRICTED.contains(k.toLowerCase(java.util.Locale.ROOT))) {
                b.header(k, v);
            }
        });
        if (request.httpMethod() == com.microsoft.aad.msal4j.HttpMethod.POST) {
            String type = request.headers().entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase("Content-Type"))
                    .map(java.util.Map.Entry::getValue)
                    .findFirst()
                    // HttpURLConnection (MSAL's default client) sends this type with a POST body.
                    .orElse("application/x-www-form-urlencoded");
            b.header("Content-Type", type)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            request.body() == null ? "" : request.body()));
        } else {
            b.GET();
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        com.microsoft.aad.msal4j.HttpResponse out = new com.microsoft.aad.msal4j.HttpResponse();
        out.statusCode(r.statusCode());
        out.body(r.body());
        out.addHeaders(r.headers().map());
        return out;
    }
}
