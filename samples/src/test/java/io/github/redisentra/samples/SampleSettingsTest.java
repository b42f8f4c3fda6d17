package io.github.redisentra.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SampleSettingsTest {

    @Test
    void defaultsPointAtTheStandaloneEmulatorsDemoTenantAndALocalGateway() {
        SampleSettings s = SampleSettings.from(new String[0], Map.of());

        assertThat(s.authority())
                .isEqualTo(URI.create("https://localhost:8443/" + SampleSettings.DEMO_TENANT_ID + "/"));
        assertThat(s.clientId()).isEqualTo(SampleSettings.DEMO_CLIENT_ID);
        assertThat(s.scope()).isEqualTo("api://redis-gateway/.default");
        assertThat(s.localAuthority()).isTrue();
        assertThat(s.redisHost()).isEqualTo("127.0.0.1");
        assertThat(s.redisPort()).isEqualTo(6388);
        assertThat(s.redisTls()).isFalse();
        assertThat(s.hold()).isZero();
    }

    @Test
    void argumentsOverrideEnvironmentWhichOverridesDefaults() {
        SampleSettings s = SampleSettings.from(
                new String[] {"--redis-port", "6380", "--hold", "2m"},
                Map.of(
                        "ENTRA_AUTHORITY_HOST", "https://login.microsoftonline.com/",
                        "ENTRA_TENANT_ID", "contoso.onmicrosoft.com",
                        "REDIS_PORT", "1234",
                        "REDIS_TLS", "true"));

        assertThat(s.authority()).isEqualTo(URI.create("https://login.microsoftonline.com/contoso.onmicrosoft.com/"));
        assertThat(s.localAuthority()).isFalse();
        assertThat(s.redisPort()).isEqualTo(6380);
        assertThat(s.redisTls()).isTrue();
        assertThat(s.hold()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void badValuesAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> SampleSettings.from(new String[] {"--redis-port", "cache"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("REDIS_PORT must be a port");
        assertThatThrownBy(() -> SampleSettings.from(new String[0], Map.of("ENTRA_AUTHORITY_HOST", "http://idp")))
                .hasMessageContaining("ENTRA_AUTHORITY_HOST must be an https URL");
        assertThatThrownBy(() -> SampleSettings.from(new String[] {"--tenant", "x"}, Map.of()))
                .hasMessageContaining("unknown setting --tenant")
                .hasMessageContaining("--entra-tenant-id");
        assertThatThrownBy(() -> SampleSettings.from(new String[0], Map.of("ENTRA_CA_FILE", "/nonexistent/ca.pem")))
                .hasMessageContaining("ENTRA_CA_FILE must name a readable PEM file");
    }

    @Test
    void localAuthorityWithoutAKnownCaAsksForOne() {
        SampleSettings s =
                SampleSettings.from(new String[] {"--entra-authority-host", "https://127.0.0.1:1"}, Map.of());
        // Unless the standalone emulator wrote its CA where the default looks for it.
        if (s.authorityCaFile().isEmpty()) {
            assertThatThrownBy(s::signIn).hasMessageContaining("set ENTRA_CA_FILE");
        } else {
            assertThat(s.signIn()).isNotNull();
        }
    }
}
