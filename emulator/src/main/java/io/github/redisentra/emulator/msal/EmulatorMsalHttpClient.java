package io.github.redisentra.emulator.msal;

import com.microsoft.aad.msal4j.HttpRequest;
import com.microsoft.aad.msal4j.HttpResponse;
import com.microsoft.aad.msal4j.IHttpClient;
import com.microsoft.aad.msal4j.IHttpResponse;
import io.github.redisentra.emulator.EntraEmulator;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * An MSAL4J {@link IHttpClient} for talking to the emulator in tests: it trusts the emulator's CA and sends
 * requests that MSAL addressed to the emulator's host <em>without</em> a port to the emulator's real HTTPS port.
 *
 * <p>Why: for an AAD-type authority MSAL4J 1.26 stores the cache "environment" as the host without the port
 * ({@code InstanceDiscoveryMetadataEntry.preferredCache} = {@code URL.getHost()}), and the silent flow then
 * rewrites the authority to that environment ({@code AcquireTokenSilentSupplier}), so the refresh-token request
 * goes to {@code https://localhost/...} (port 443). Against real Entra (port 443) that is harmless; against a
 * local emulator on another port it is "connection refused". This client repairs exactly that, in the transport,
 * so production code keeps using MSAL's own client and needs no workaround.
 *
 * <pre>{@code
 * PublicClientApplication.builder(clientId)
 *     .authority(tenant.authority().toString())
 *     .instanceDiscovery(false).validateAuthority(false)
 *     .httpClient(new EmulatorMsalHttpClient(emulator))
 *     .build();
 * }</pre>
 */
public final class EmulatorMsalHttpClient implements IHttpClient {
    /** Headers java.net.http computes itself and refuses to be given. */
    private static final Set<String> RESTRICTED = Set.of("host", "connection", "content-length", "expect", "upgrade");

    private final HttpClient http;
    private final int emulatorPort;

    public EmulatorMsalHttpClient(EntraEmulator emulator) {
        this(emulator.sslContext(), emulator.httpsPort());
    }

    public EmulatorMsalHttpClient(SSLContext trust, int emulatorHttpsPort) {
        this.emulatorPort = emulatorHttpsPort;
        this.http = HttpClient.newBuilder()
                .sslContext(trust)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public IHttpResponse send(HttpRequest request) throws Exception {
        java.net.http.HttpRequest.Builder builder =
                java.net.http.HttpRequest.newBuilder(target(request.url())).timeout(Duration.ofSeconds(30));
        if (request.headers() != null) {
            request.headers().forEach((name, value) -> {
                if (value != null && !RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                    builder.header(name, value);
                }
            });
        }
        String method = request.httpMethod().methodName;
        String body = request.body();
        builder.method(
                method,
                body == null
                        ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        java.net.http.HttpResponse<String> response =
                http.send(builder.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        HttpResponse out = new HttpResponse().statusCode(response.statusCode()).body(response.body());
        out.addHeaders(response.headers().map());
        return out;
    }

    /** The URL to call: MSAL's, with the emulator's port restored when MSAL dropped it. */
    URI target(URL url) throws URISyntaxException {
        URI uri = url.toURI();
        boolean loopback = "localhost".equalsIgnoreCase(uri.getHost()) || "127.0.0.1".equals(uri.getHost());
        boolean portDropped = uri.getPort() == -1 || uri.getPort() == 443;
        if ("https".equalsIgnoreCase(uri.getScheme()) && loopback && portDropped && emulatorPort != 443) {
            String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
            return new URI(uri.getScheme() + "://" + uri.getHost() + ":" + emulatorPort + uri.getRawPath() + query);
        }
        return uri;
    }

    @Override
    public String toString() {
        return "EmulatorMsalHttpClient[port " + emulatorPort + "]";
    }
}
