package io.github.redisentra.emulator;

import com.sun.net.httpserver.HttpHandler;
import io.github.redisentra.emulator.internal.Exchange;
import io.github.redisentra.emulator.internal.Html;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps request paths to endpoints, applies injected faults and counts requests. */
final class Router {
    private static final Logger log = LoggerFactory.getLogger(Router.class);

    private final EntraEmulator emulator;
    private final DiscoveryEndpoints discovery;
    private final TokenEndpoint token;
    private final SignInPages signIn;
    private final ManagedIdentityEndpoints managedIdentity;
    private final GraphEndpoint graph;

    Router(EntraEmulator emulator) {
        this.emulator = emulator;
        this.discovery = new DiscoveryEndpoints(emulator);
        this.token = new TokenEndpoint(emulator);
        this.signIn = new SignInPages(emulator, token);
        this.managedIdentity = new ManagedIdentityEndpoints(emulator);
        this.graph = new GraphEndpoint(emulator);
    }

    HttpHandler forScheme(boolean secure) {
        return http -> handle(new Exchange(http, secure));
    }

    @FunctionalInterface
    interface Action {
        void run(Exchange ex) throws IOException;
    }

    private record Route(Endpoint endpoint, Action action) {}

    private void handle(Exchange ex) {
        try {
            Route route = route(ex);
            if (route == null) {
                log.debug("{} {} -> 404", ex.method(), ex.path());
                ex.sendJson(404, Map.of("error", "not_found", "error_description", "No such endpoint: " + ex.path()));
                return;
            }
            Endpoint endpoint = route.endpoint();
            if (endpoint != null) {
                emulator.countRequest(endpoint);
                Faults faults = emulator.faults();
                var latency = faults.latencyOf(endpoint);
                if (!latency.isZero()) {
                    Thread.sleep(latency.toMillis());
                }
                Faults.OutageMode outage = faults.outageOf(endpoint);
                if (outage == Faults.OutageMode.CONNECTION_DROP) {
                    log.debug("{} {} -> dropped (injected outage)", ex.method(), ex.path());
                    ex.drop();
                    return;
                }
                if (outage == Faults.OutageMode.HTTP_503) {
                    log.debug("{} {} -> 503 (injected outage)", ex.method(), ex.path());
                    OAuthError e = new OAuthError(
                            503, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.");
                    ex.sendJson(
                            503,
                            e.toJson(
                                    ex.header("client-request-id"),
                                    emulator.httpsBaseUrl().toString()));
                    return;
                }
                if (faults.isThrottled(endpoint)) {
                    log.debug("{} {} -> 429 (injected throttling)", ex.method(), ex.path());
                    String retry = Long.toString(faults.retryAfter().toSeconds());
                    OAuthError e = new OAuthError(
                            429,
                            "temporarily_unavailable",
                            50196,
                            "The server terminated an operation because it "
                                    + "encountered a client request loop. Too many requests; retry after " + retry
                                    + " seconds.");
                    ex.sendJson(
                            429,
                            e.toJson(
                                    ex.header("client-request-id"),
                                    emulator.httpsBaseUrl().toString()),
                            Map.of("Retry-After", retry));
                    return;
                }
            }
            route.action().run(ex);
            log.debug("{} {} handled by {}", ex.method(), ex.path(), endpoint);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ex.drop();
        } catch (Exception e) {
            log.warn("Emulator failed on {} {}", ex.method(), ex.path(), e);
            try {
                ex.sendJson(500, Map.of("error", "server_error", "error_description", "Emulator error: " + e));
            } catch (IOException | RuntimeException ignored) {
                ex.drop();
            }
        }
    }

    private Route route(Exchange ex) {
        List<String> s = ex.segments();
        String path = ex.path();
        if (s.isEmpty()) {
            return new Route(null, this::index);
        }
        if (s.size() == 1 && s.get(0).equals("ca.pem")) {
            return new Route(null, e -> e.send(200, "application/x-pem-file", emulator.caCertificatePem()));
        }
        if (s.size() == 1 && s.get(0).equals("devicelogin")) {
            return new Route(Endpoint.DEVICE_LOGIN, signIn::deviceLogin);
        }
        if (path.equals("/msi/token")) {
            return new Route(Endpoint.MANAGED_IDENTITY, managedIdentity::appService);
        }
        if (path.equals("/metadata/identity/oauth2/token")) {
            return new Route(Endpoint.MANAGED_IDENTITY, managedIdentity::imds);
        }
        if (s.get(0).equals("graph")) {
            return new Route(Endpoint.GRAPH, graph::handle);
        }
        if (s.size() == 3 && s.get(1).equals("discovery") && s.get(2).equals("instance")) {
            return new Route(Endpoint.INSTANCE_DISCOVERY, discovery::instanceDiscovery);
        }
        String tenant = s.get(0);
        String rest = String.join("/", s.subList(1, s.size())).toLowerCase(Locale.ROOT);
        switch (rest) {
            case "v2.0/.well-known/openid-configuration":
                return new Route(Endpoint.DISCOVERY, e -> discovery.openIdConfiguration(e, tenant, 2));
            case ".well-known/openid-configuration":
                return new Route(Endpoint.DISCOVERY, e -> discovery.openIdConfiguration(e, tenant, 1));
            case "discovery/v2.0/keys":
            case "discovery/keys":
                return new Route(Endpoint.JWKS, e -> discovery.keys(e, tenant));
            case "oauth2/v2.0/token":
            case "oauth2/token":
                return new Route(Endpoint.TOKEN, e -> token.handle(e, tenant));
            case "oauth2/v2.0/devicecode":
            case "oauth2/devicecode":
                return new Route(Endpoint.DEVICE_CODE, e -> token.deviceCode(e, tenant));
            case "oauth2/v2.0/authorize":
            case "oauth2/authorize":
                return new Route(Endpoint.AUTHORIZE, e -> signIn.authorize(e, tenant));
            default:
                return null;
        }
    }

    private void index(Exchange ex) throws IOException {
        StringBuilder body = new StringBuilder();
        body.append("<p>A local Microsoft Entra ID emulator (redis-entra). <a href=\"/ca.pem\">CA certificate</a>"
                + " · <a href=\"/devicelogin\">Device login</a></p>\n");
        for (Tenant t : emulator.tenants()) {
            body.append("<h2>Tenant ")
                    .append(Html.escape(t.name()))
                    .append("</h2>\n<p>Tenant id <code>")
                    .append(Html.escape(t.id()))
                    .append("</code> · <a href=\"")
                    .append(Html.escape(t.openIdConfigurationV2().toString()))
                    .append("\">v2 metadata</a> · <a href=\"")
                    .append(Html.escape(t.openIdConfigurationV1().toString()))
                    .append("\">v1 metadata</a></p>\n<ul>\n");
            for (AppRegistration app : t.apps()) {
                body.append("<li>app <b>")
                        .append(Html.escape(app.name()))
                        .append("</b> ")
                        .append(app.type())
                        .append(" client id <code>")
                        .append(Html.escape(app.clientId()))
                        .append("</code> ")
                        .append(Html.escape(app.appIdUri()))
                        .append("</li>\n");
            }
            for (User u : t.users()) {
                body.append("<li>user <b>")
                        .append(Html.escape(u.upn()))
                        .append("</b> oid <code>")
                        .append(Html.escape(u.objectId()))
                        .append("</code> groups ")
                        .append(u.groups().size())
                        .append("</li>\n");
            }
            for (ManagedIdentity mi : t.managedIdentities()) {
                body.append("<li>managed identity <b>")
                        .append(Html.escape(mi.name()))
                        .append("</b> client id <code>")
                        .append(Html.escape(mi.clientId()))
                        .append("</code> object id <code>")
                        .append(Html.escape(mi.objectId()))
                        .append("</code></li>\n");
            }
            body.append("</ul>\n");
        }
        ex.sendHtml(200, Html.page("Entra ID emulator", body.toString()));
    }
}
