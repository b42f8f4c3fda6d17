package io.github.redisentra.emulator;

import io.github.redisentra.emulator.internal.Exchange;
import io.github.redisentra.emulator.internal.Html;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sign-in page behind {@code /authorize} and the device-code page {@code /devicelogin}: both list the
 * tenant's users as buttons (no passwords: choosing a user is signing in as them and consenting).
 */
final class SignInPages {
    private static final Logger log = LoggerFactory.getLogger(SignInPages.class);
    /** Form field carrying the chosen user's object id. */
    static final String USER_FIELD = "x_emulator_user";
    /** Form field: "deny" cancels the sign-in. */
    static final String DECISION_FIELD = "x_emulator_decision";

    private static final List<String> AUTHORIZE_PARAMS = List.of(
            "client_id",
            "response_type",
            "redirect_uri",
            "scope",
            "state",
            "nonce",
            "code_challenge",
            "code_challenge_method",
            "response_mode",
            "login_hint",
            "prompt",
            "client_info",
            "domain_hint",
            "x_emulator_token_lifetime");

    private final EntraEmulator emulator;
    private final TokenEndpoint token;

    SignInPages(EntraEmulator emulator, TokenEndpoint token) {
        this.emulator = emulator;
        this.token = token;
    }

    // ---- /{tenant}/oauth2/v2.0/authorize

    void authorize(Exchange ex, String tenantSegment) throws IOException {
        Map<String, String> p = ex.parameters();
        Tenant tenant;
        AppRegistration client;
        try {
            tenant = token.tenant(tenantSegment);
            client = TokenEndpoint.client(tenant, p);
        } catch (OAuthError e) {
            errorPage(ex, e);
            return;
        }
        String redirect = p.get("redirect_uri");
        if (redirect == null && client.redirectUris().size() == 1) {
            redirect = client.redirectUris().get(0);
        }
        if (redirect == null || !client.acceptsRedirect(redirect)) {
            // Never redirect to an unregistered URI: show the error, as Entra does.
            errorPage(
                    ex,
                    OAuthError.invalidRequest(
                            50011,
                            "The redirect URI '" + redirect + "' specified in the"
                                    + " request does not match the redirect URIs configured for the application '"
                                    + client.clientId() + "' (" + client.redirectUris() + ")."));
            return;
        }
        String state = p.get("state");
        String mode = p.getOrDefault("response_mode", "query");
        if (!"code".equals(p.get("response_type"))) {
            sendToClient(
                    ex,
                    redirect,
                    mode,
                    errorParams(
                            "unsupported_response_type",
                            700054,
                            "response_type '" + p.get("response_type")
                                    + "' is not enabled for the application; use 'code'.",
                            state));
            return;
        }
        String method = p.get("code_challenge_method");
        if (p.get("code_challenge") != null
                && method != null
                && !Set.of("S256", "plain").contains(method)) {
            sendToClient(
                    ex,
                    redirect,
                    mode,
                    errorParams(
                            "invalid_request",
                            501491,
                            "Invalid code_challenge_method '" + method + "'; use S256.",
                            state));
            return;
        }
        if (p.get("scope") == null || p.get("scope").isBlank()) {
            sendToClient(
                    ex,
                    redirect,
                    mode,
                    errorParams(
                            "invalid_request",
                            900144,
                            "The request body must contain the following parameter: 'scope'.",
                            state));
            return;
        }
        try {
            token.parseScopes(tenant, p.get("scope"), null);
        } catch (OAuthError e) {
            sendToClient(ex, redirect, mode, errorParams(e.error, e.code, e.description, state));
            return;
        }

        boolean posted = "POST".equalsIgnoreCase(ex.method()) && ex.form().containsKey(USER_FIELD);
        if (posted && "deny".equals(ex.form().get(DECISION_FIELD))) {
            sendToClient(
                    ex,
                    redirect,
                    mode,
                    errorParams("access_denied", 65004, "User declined to consent to access the app.", state));
            return;
        }
        Optional<User> chosen = posted ? tenant.findUser(ex.form().get(USER_FIELD)) : Optional.empty();
        String prompt = p.getOrDefault("prompt", "");
        if (chosen.isEmpty()
                && !posted
                && !Set.of("select_account", "login", "consent").contains(prompt)) {
            chosen = tenant.findUser(p.get("login_hint"));
        }
        if (chosen.isEmpty()) {
            if ("none".equals(prompt)) {
                sendToClient(
                        ex,
                        redirect,
                        mode,
                        errorParams(
                                "login_required",
                                50058,
                                "A silent sign-in request was sent but no user is signed in.",
                                state));
                return;
            }
            pickUserPage(ex, tenant, client, p);
            return;
        }
        User user = chosen.get();
        OAuthState.AuthCode code = emulator.oauth.newAuthCode(
                tenant,
                client,
                redirect,
                user,
                p.get("scope"),
                p.get("code_challenge"),
                p.get("code_challenge") == null ? null : (method == null ? "plain" : method),
                p.get("nonce"));
        Map<String, String> result = new LinkedHashMap<>();
        result.put("code", emulator.oauth.newCode(code));
        if (state != null) {
            result.put("state", state);
        }
        if ("1".equals(p.get("client_info"))) {
            result.put("client_info", TokenFactory.clientInfo(user));
        }
        result.put("session_state", java.util.UUID.randomUUID().toString());
        log.debug("authorize: {} signed in to {} (tenant {})", user.upn(), client.clientId(), tenant.id());
        sendToClient(ex, redirect, mode, result);
    }

    private void pickUserPage(Exchange ex, Tenant tenant, AppRegistration client, Map<String, String> p)
            throws IOException {
        StringBuilder hidden = new StringBuilder();
        for (String name : AUTHORIZE_PARAMS) {
            hidden.append(Html.hidden(name, p.get(name)));
        }
        StringBuilder body = new StringBuilder();
        body.append("<p>Application <b>")
                .append(Html.escape(client.name()))
                .append("</b> asks to sign you in and to access: <code>")
                .append(Html.escape(p.get("scope")))
                .append("</code>. Choosing an account signs in as that user and consents.</p>\n");
        if (tenant.users().isEmpty()) {
            body.append("<p class=\"error\">Tenant ")
                    .append(Html.escape(tenant.name()))
                    .append(" has no users.</p>");
        }
        body.append("<form method=\"post\" action=\"")
                .append(Html.escape(ex.path()))
                .append("\">\n")
                .append(hidden);
        for (User u : tenant.users()) {
            body.append("<button type=\"submit\" name=\"")
                    .append(USER_FIELD)
                    .append("\" value=\"")
                    .append(Html.escape(u.objectId()))
                    .append("\">")
                    .append(Html.escape(u.displayName()))
                    .append(" <span class=\"muted\">")
                    .append(Html.escape(u.upn()))
                    .append("</span></button>\n");
        }
        body.append("</form>\n<form method=\"post\" action=\"")
                .append(Html.escape(ex.path()))
                .append("\">\n")
                .append(hidden)
                .append(Html.hidden(USER_FIELD, "-"))
                .append(Html.hidden(DECISION_FIELD, "deny"))
                .append("<button type=\"submit\">Cancel (decline consent)</button>\n</form>\n")
                .append("<p class=\"muted\">Tenant ")
                .append(Html.escape(tenant.name()))
                .append(" (")
                .append(Html.escape(tenant.id()))
                .append(") — redis-entra Entra ID emulator</p>");
        ex.sendHtml(200, Html.page("Pick an account", body.toString()));
    }

    private static Map<String, String> errorParams(String error, int code, String description, String state) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("error", error);
        m.put("error_description", "AADSTS" + code + ": " + description);
        if (state != null) {
            m.put("state", state);
        }
        return m;
    }

    /** Delivers the result to the client's redirect URI: an auto-submitting form_post page or a 302 with query. */
    private static void sendToClient(Exchange ex, String redirect, String mode, Map<String, String> params)
            throws IOException {
        if ("form_post".equals(mode)) {
            StringBuilder body = new StringBuilder("<form method=\"post\" action=\"")
                    .append(Html.escape(redirect))
                    .append("\">\n");
            params.forEach((k, v) -> body.append(Html.hidden(k, v)));
            body.append("<noscript><p>Script is disabled. Click Submit to continue.</p>"
                    + "<button type=\"submit\">Submit</button></noscript>\n</form>\n"
                    + "<script>document.forms[0].submit();</script>");
            ex.sendHtml(200, Html.page("Working...", body.toString()));
        } else {
            String separator = redirect.contains("?") ? "&" : "?";
            ex.redirect(redirect + separator + Exchange.encodeForm(params));
        }
    }

    private void errorPage(Exchange ex, OAuthError e) throws IOException {
        ex.sendHtml(
                e.status,
                Html.page(
                        "Sign in failed",
                        "<p class=\"error\">" + Html.escape(e.error) + ": AADSTS" + e.code + ": "
                                + Html.escape(e.description) + "</p>"));
    }

    // ---- /devicelogin

    void deviceLogin(Exchange ex) throws IOException {
        Map<String, String> p = ex.parameters();
        String userCode = p.get("otc") != null ? p.get("otc") : p.get("user_code");
        if (userCode == null || userCode.isBlank()) {
            enterCodePage(ex, null);
            return;
        }
        OAuthState.DeviceGrant g = emulator.oauth.findByUserCode(userCode);
        if (g == null || emulator.clock().instant().isAfter(g.expiresAt)) {
            enterCodePage(
                    ex,
                    "The code you entered has expired or is not valid. Get a new code from the application"
                            + " and try again.");
            return;
        }
        boolean posted = "POST".equalsIgnoreCase(ex.method());
        if (posted && "deny".equals(p.get(DECISION_FIELD))) {
            g.denied = true;
            ex.sendHtml(
                    200,
                    Html.page(
                            "Sign-in declined",
                            "<p>You declined to sign in to " + Html.escape(g.client.name())
                                    + " on your device. You may close this window.</p>"));
            return;
        }
        Optional<User> chosen = posted ? g.tenant.findUser(p.get(USER_FIELD)) : Optional.empty();
        if (chosen.isEmpty() && p.get("login_hint") != null) {
            chosen = g.tenant.findUser(p.get("login_hint"));
        }
        if (chosen.isPresent()) {
            g.approvedBy = chosen.get();
            log.debug("devicelogin: {} approved user code for {}", chosen.get().upn(), g.client.clientId());
            ex.sendHtml(
                    200,
                    Html.page(
                            "Signed in",
                            "<p>" + Html.escape(chosen.get().displayName())
                                    + ", you have signed in to the <b>" + Html.escape(g.client.name())
                                    + "</b> application on your device. You may now close this window.</p>"));
            return;
        }
        StringBuilder body = new StringBuilder("<p>Sign in to <b>")
                .append(Html.escape(g.client.name()))
                .append("</b> (code <code>")
                .append(Html.escape(g.userCode))
                .append("</code>). Choosing an account signs in as that user and consents.</p>\n")
                .append("<form method=\"post\" action=\"/devicelogin\">\n")
                .append(Html.hidden("user_code", g.userCode));
        for (User u : g.tenant.users()) {
            body.append("<button type=\"submit\" name=\"")
                    .append(USER_FIELD)
                    .append("\" value=\"")
                    .append(Html.escape(u.objectId()))
                    .append("\">")
                    .append(Html.escape(u.displayName()))
                    .append(" <span class=\"muted\">")
                    .append(Html.escape(u.upn()))
                    .append("</span></button>\n");
        }
        body.append("</form>\n<form method=\"post\" action=\"/devicelogin\">\n")
                .append(Html.hidden("user_code", g.userCode))
                .append(Html.hidden(DECISION_FIELD, "deny"))
                .append("<button type=\"submit\">Cancel (decline)</button>\n</form>");
        ex.sendHtml(200, Html.page("Pick an account", body.toString()));
    }

    private static void enterCodePage(Exchange ex, String error) throws IOException {
        String body = (error == null ? "" : "<p class=\"error\">" + Html.escape(error) + "</p>\n")
                + "<p>Enter the code displayed on your app or device.</p>\n"
                + "<form method=\"post\" action=\"/devicelogin\"><input name=\"user_code\" autofocus"
                + " autocomplete=\"off\" placeholder=\"Code\"> <button type=\"submit\">Next</button></form>";
        ex.sendHtml(error == null ? 200 : 400, Html.page("Enter code", body));
    }
}
