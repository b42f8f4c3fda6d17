package io.github.redisentra.emulator.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One HTTP request/response on the emulator's server, with the small helpers every endpoint needs. */
public final class Exchange {
    /** Requests larger than this are refused: nothing the emulator accepts comes close. */
    private static final int MAX_BODY = 1 << 20;

    private final HttpExchange http;
    private final boolean secure;
    private Map<String, String> query;
    private Map<String, String> form;
    private byte[] body;

    public Exchange(HttpExchange http, boolean secure) {
        this.http = http;
        this.secure = secure;
    }

    public String method() {
        return http.getRequestMethod();
    }

    public String path() {
        return http.getRequestURI().getPath();
    }

    public URI uri() {
        return http.getRequestURI();
    }

    public boolean isSecure() {
        return secure;
    }

    public String header(String name) {
        return http.getRequestHeaders().getFirst(name);
    }

    public Map<String, String> query() {
        if (query == null) {
            query = parseForm(http.getRequestURI().getRawQuery());
        }
        return query;
    }

    /** {@code application/x-www-form-urlencoded} body parameters. */
    public Map<String, String> form() throws IOException {
        if (form == null) {
            String type = Optional.ofNullable(header("Content-Type")).orElse("");
            // Some clients (MSAL's device-code request) post a form without a Content-Type.
            form = type.isEmpty() || type.toLowerCase().startsWith("application/x-www-form-urlencoded")
                    ? parseForm(new String(body(), StandardCharsets.UTF_8))
                    : Collections.emptyMap();
        }
        return form;
    }

    /** Query parameters overlaid by form parameters (for endpoints that accept both GET and POST). */
    public Map<String, String> parameters() throws IOException {
        Map<String, String> all = new LinkedHashMap<>(query());
        if ("POST".equalsIgnoreCase(method())) {
            all.putAll(form());
        }
        return all;
    }

    public byte[] body() throws IOException {
        if (body == null) {
            try (InputStream in = http.getRequestBody()) {
                byte[] data = in.readNBytes(MAX_BODY + 1);
                if (data.length > MAX_BODY) {
                    throw new IOException("request body over " + MAX_BODY + " bytes");
                }
                body = data;
            }
        }
        return body;
    }

    public Map<String, Object> jsonBody() throws IOException {
        try {
            return JSONObjectUtils.parse(new String(body(), StandardCharsets.UTF_8));
        } catch (java.text.ParseException e) {
            throw new IOException("request body is not a JSON object: " + e.getMessage(), e);
        }
    }

    public void sendJson(int status, Map<String, ?> json) throws IOException {
        sendJson(status, json, Map.of());
    }

    public void sendJson(int status, Map<String, ?> json, Map<String, String> headers) throws IOException {
        headers.forEach((k, v) -> http.getResponseHeaders().set(k, v));
        http.getResponseHeaders().set("Cache-Control", "no-store");
        send(status, "application/json; charset=utf-8", JSONObjectUtils.toJSONString(json));
    }

    public void sendHtml(int status, String html) throws IOException {
        http.getResponseHeaders().set("Cache-Control", "no-store");
        send(status, "text/html; charset=utf-8", html);
    }

    public void send(int status, String contentType, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        http.getResponseHeaders().set("Content-Type", contentType);
        if ("HEAD".equalsIgnoreCase(method())) {
            http.sendResponseHeaders(status, -1);
        } else {
            http.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = http.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
        http.close();
    }

    public void redirect(String location) throws IOException {
        http.getResponseHeaders().set("Location", location);
        http.getResponseHeaders().set("Cache-Control", "no-store");
        http.sendResponseHeaders(302, -1);
        http.close();
    }

    public void setHeader(String name, String value) {
        http.getResponseHeaders().set(name, value);
    }

    /** Ends the exchange without a response; the server then closes the connection. */
    public void drop() {
        // JDK HttpServer closes the connection when an exchange ends before its response headers were sent.
        http.close();
    }

    public HttpExchange raw() {
        return http;
    }

    public static Map<String, String> parseForm(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(key, value);
        }
        return out;
    }

    public static String encodeForm(Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> {
            if (v == null) {
                return;
            }
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(URLEncoder.encode(k, StandardCharsets.UTF_8))
                    .append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
        return sb.toString();
    }

    /** Splits a path into non-empty segments. */
    public List<String> segments() {
        return java.util.Arrays.stream(path().split("/"))
                .filter(s -> !s.isEmpty())
                .toList();
    }
}
