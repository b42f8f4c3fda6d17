package io.github.redisentra.emulator;

import io.github.redisentra.emulator.internal.Exchange;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scripted browser for the emulator's sign-in page: what MSAL's {@code SystemBrowserOptions.openBrowserAction}
 * can call instead of opening a real browser. It opens the authorize URL, picks the user on the page, and
 * delivers the result to the app's loopback redirect (form_post or query), exactly as a browser would.
 */
public final class SignInBrowser {
    private static final Pattern FORM_ACTION = Pattern.compile("<form method=\"post\" action=\"([^\"]*)\">");
    private static final Pattern HIDDEN =
            Pattern.compile("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">");

    private final EntraEmulator emulator;
    private final HttpClient http;

    SignInBrowser(EntraEmulator emulator) {
        this.emulator = emulator;
        this.http = HttpClient.newBuilder()
                .sslContext(emulator.sslContext())
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * Signs {@code user} in on the page at {@code authorizeUrl} and delivers the code to the redirect URI.
     *
     * @return the HTTP status the app's redirect listener answered
     */
    public int signIn(URI authorizeUrl, User user) throws IOException, InterruptedException {
        return complete(authorizeUrl, user, "allow");
    }

    /** Declines on the sign-in page; the app receives {@code error=access_denied}. */
    public int decline(URI authorizeUrl) throws IOException, InterruptedException {
        return complete(authorizeUrl, null, "deny");
    }

    private int complete(URI authorizeUrl, User user, String decision) throws IOException, InterruptedException {
        // 1. open the page, as a browser would (also validates client and redirect URI)
        HttpResponse<String> page = http.send(
                HttpRequest.newBuilder(authorizeUrl)
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (page.statusCode() != 200 && page.statusCode() != 302) {
            throw new IOException("The sign-in page answered " + page.statusCode() + ": " + page.body());
        }
        HttpResponse<String> result = page;
        if (page.statusCode() == 200 && page.body().contains(SignInPages.USER_FIELD)) {
            // 2. press the user's button (or Cancel): the page posts its hidden fields plus the choice
            Map<String, String> fields = hiddenFields(page.body());
            fields.put(SignInPages.USER_FIELD, user == null ? "-" : user.objectId());
            fields.remove(SignInPages.DECISION_FIELD); // belongs to the Cancel form only
            if ("deny".equals(decision)) {
                fields.put(SignInPages.DECISION_FIELD, "deny");
            }
            String query = authorizeUrl.getRawQuery();
            URI post = URI.create(
                    authorizeUrl.getScheme() + "://" + authorizeUrl.getRawAuthority() + authorizeUrl.getRawPath());
            Map<String, String> merged = new LinkedHashMap<>(Exchange.parseForm(query));
            merged.putAll(fields);
            result = http.send(
                    HttpRequest.newBuilder(post)
                            .timeout(Duration.ofSeconds(10))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString(Exchange.encodeForm(merged)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        }
        // 3. deliver to the app's redirect URI
        HttpClient plain = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        if (result.statusCode() == 302) {
            String location = result.headers().firstValue("Location").orElseThrow();
            return plain.send(
                            HttpRequest.newBuilder(URI.create(location))
                                    .timeout(Duration.ofSeconds(10))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        }
        Matcher action = FORM_ACTION.matcher(result.body());
        if (result.statusCode() != 200 || !action.find()) {
            throw new IOException(
                    "Sign-in did not produce a redirect (status " + result.statusCode() + "): " + result.body());
        }
        URI target = URI.create(unescape(action.group(1)));
        return plain.send(
                        HttpRequest.newBuilder(target)
                                .timeout(Duration.ofSeconds(10))
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        Exchange.encodeForm(hiddenFields(result.body()))))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static Map<String, String> hiddenFields(String html) {
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher m = HIDDEN.matcher(html);
        while (m.find()) {
            fields.putIfAbsent(unescape(m.group(1)), unescape(m.group(2)));
        }
        return fields;
    }

    private static String unescape(String s) {
        return s.replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
    }

    @Override
    public String toString() {
        return "SignInBrowser[" + emulator + "]";
    }
}
