package io.github.redisentra.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.emulator.internal.Exchange;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The HTML pages a person uses: the account picker behind /authorize and /devicelogin. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SignInPagesIT {
    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration cli;
    static User alice;
    static User bob;
    static EmulatorHttp http;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        tenant.registerApp(AppSpec.api("api").appIdUri("api://api"));
        cli = tenant.registerApp(AppSpec.publicClient("cli <app>"));
        alice = tenant.addUser(UserSpec.named("alice"));
        bob = tenant.addUser(UserSpec.named("bob"));
        http = new EmulatorHttp(emu);
    }

    @AfterAll
    static void stop() {
        emu.close();
    }

    private URI authorize(Map<String, String> params) {
        return URI.create(
                emu.httpsBaseUrl() + "/" + tenant.id() + "/oauth2/v2.0/authorize?" + Exchange.encodeForm(params));
    }

    private Map<String, String> params(String redirect) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("client_id", cli.clientId());
        p.put("response_type", "code");
        p.put("redirect_uri", redirect);
        p.put("scope", "api://api/.default openid");
        p.put("state", "xyz");
        p.put("response_mode", "form_post");
        return p;
    }

    @Test
    void pickerListsTheTenantsUsersAndEscapesNames() throws Exception {
        EmulatorHttp.Reply page = http.get(authorize(params("http://localhost:4567")));
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body())
                .contains(alice.upn(), bob.upn(), "cli &lt;app&gt;")
                .doesNotContain("cli <app>");
    }

    @Test
    void choosingAUserPostsTheCodeToTheLoopbackRedirect() throws Exception {
        Map<String, String> form = params("http://localhost:4567");
        form.put(SignInPages.USER_FIELD, bob.objectId());
        EmulatorHttp.Reply page =
                http.postForm(URI.create(emu.httpsBaseUrl() + "/" + tenant.id() + "/oauth2/v2.0/authorize"), form);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body())
                .contains("action=\"http://localhost:4567\"", "name=\"code\"", "name=\"state\" value=\"xyz\"")
                .contains("document.forms[0].submit()");
    }

    @Test
    void unregisteredRedirectIsAnErrorPageNeverARedirect() throws Exception {
        EmulatorHttp.Reply page = http.get(authorize(params("https://evil.example/cb")));
        assertThat(page.status()).isEqualTo(400);
        assertThat(page.body()).contains("AADSTS50011").doesNotContain("action=\"https://evil.example");
        assertThat(page.header("Location")).isNull();
    }

    @Test
    void declineSendsAccessDenied() throws Exception {
        Map<String, String> p = params("http://localhost:4567");
        p.put("response_mode", "query");
        p.put(SignInPages.USER_FIELD, "-");
        p.put(SignInPages.DECISION_FIELD, "deny");
        EmulatorHttp.Reply r =
                http.postForm(URI.create(emu.httpsBaseUrl() + "/" + tenant.id() + "/oauth2/v2.0/authorize"), p);
        assertThat(r.status()).isEqualTo(302);
        assertThat(r.header("Location")).startsWith("http://localhost:4567?error=access_denied");
    }

    @Test
    void deviceLoginPageTakesTheUserCodeAndAUserChoice() throws Exception {
        Map<String, String> dcForm = new LinkedHashMap<>();
        dcForm.put("client_id", cli.clientId());
        dcForm.put("scope", "api://api/.default");
        Map<String, Object> dc = http.postForm(
                        URI.create(emu.httpsBaseUrl() + "/" + tenant.id() + "/oauth2/v2.0/devicecode"), dcForm)
                .json();
        URI page = URI.create((String) dc.get("verification_uri"));
        assertThat(http.get(page).body()).contains("name=\"user_code\"");
        assertThat(http.postForm(page, Map.of("user_code", "WRONGCODE")).status())
                .isEqualTo(400);
        EmulatorHttp.Reply picker = http.postForm(page, Map.of("user_code", (String) dc.get("user_code")));
        assertThat(picker.body()).contains(alice.upn(), bob.upn());
        EmulatorHttp.Reply done = http.postForm(
                page, Map.of("user_code", (String) dc.get("user_code"), SignInPages.USER_FIELD, alice.objectId()));
        assertThat(done.body()).contains("you have signed in");
        Map<String, String> poll = new LinkedHashMap<>();
        poll.put("grant_type", "device_code");
        poll.put("client_id", cli.clientId());
        poll.put("device_code", (String) dc.get("device_code"));
        assertThat(http.postForm(URI.create(emu.httpsBaseUrl() + "/" + tenant.id() + "/oauth2/v2.0/token"), poll)
                        .status())
                .isEqualTo(200);
    }
}
