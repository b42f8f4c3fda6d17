package io.github.redisentra.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedirectUriTest {
    private final EntraEmulator emu = EntraEmulator.builder().build();
    private final Tenant tenant = emu.createTenant("t");

    @Test
    void loopbackRedirectMatchesAnyPortButNotAnotherHostOrPath() {
        AppRegistration app = tenant.registerApp(AppSpec.publicClient("cli").redirectUri("http://127.0.0.1/cb"));
        assertThat(app.acceptsRedirect("http://localhost")).isTrue();
        assertThat(app.acceptsRedirect("http://localhost:51234")).isTrue();
        assertThat(app.acceptsRedirect("http://localhost:51234/")).isTrue();
        assertThat(app.acceptsRedirect("http://127.0.0.1:4000/cb")).isTrue();
        assertThat(app.acceptsRedirect("http://127.0.0.1:4000/other")).isFalse();
        assertThat(app.acceptsRedirect("http://localhost:51234/cb")).isFalse();
        assertThat(app.acceptsRedirect("https://localhost:51234")).isFalse();
        assertThat(app.acceptsRedirect("http://evil.example")).isFalse();
    }

    @Test
    void appRolesMustBeDefinedByTheApi() {
        AppRegistration api = tenant.registerApp(AppSpec.api("api").appRoles("Redis.User"));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> UserSpec.named("x").appRoles(api, "Redis.Root"))
                .hasMessageContaining("defines no app role 'Redis.Root'");
    }
}
