package io.github.redisentra.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmulatorMainIT {
    @TempDir
    Path dir;

    @Test
    void mainStartsTheDemoTenantAndPrintsHowToPointClientsAtIt() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Path ca = dir.resolve("ca.pem");
        try (EntraEmulator emu = EmulatorMain.start(
                new String[] {"--https-port", "0", "--http-port", "0", "--ca-file", ca.toString()},
                new PrintStream(bytes, true, StandardCharsets.UTF_8))) {
            String out = bytes.toString(StandardCharsets.UTF_8);
            assertThat(out)
                    .contains("AZURE_AUTHORITY_HOST=" + emu.httpsBaseUrl())
                    .contains("IDENTITY_ENDPOINT=" + emu.appServiceIdentityEndpoint())
                    .contains("TENANT_ID=" + EmulatorMain.DEMO_TENANT_ID)
                    .contains("EXPECTED_AUDIENCE=api://redis-gateway," + EmulatorMain.API_CLIENT_ID)
                    .contains("ALLOWED_GROUP_IDS=" + EmulatorMain.REDIS_USERS_GROUP)
                    .contains("alice@demo.test", "bob@demo.test", ca.toString());
            assertThat(Files.readString(ca))
                    .startsWith("-----BEGIN CERTIFICATE-----")
                    .doesNotContain("PRIVATE");
            assertThat(dir.resolve("ca.p12")).exists();
            EmulatorHttp.Reply doc = new EmulatorHttp(emu)
                    .get(URI.create(emu.httpsBaseUrl() + "/" + EmulatorMain.DEMO_TENANT_ID
                            + "/v2.0/.well-known/openid-configuration"));
            assertThat(doc.status()).isEqualTo(200);
            User alice = emu.tenant("demo").findUser("alice@demo.test").orElseThrow();
            assertThat(alice.groups()).containsExactly(EmulatorMain.REDIS_USERS_GROUP);
        }
    }

    @Test
    void badOptionsAreRejectedWithAClearMessage() {
        assertThatThrownBy(() -> EmulatorMain.start(new String[] {"--https-port", "x"}, System.out))
                .hasMessageContaining("--https-port must be a port");
        assertThatThrownBy(() -> EmulatorMain.start(new String[] {"--token-lifetime", "5"}, System.out))
                .hasMessageContaining("90s, 10m or 1h");
        assertThatThrownBy(() -> EmulatorMain.start(new String[] {"--bogus"}, System.out))
                .hasMessageContaining("unknown option --bogus");
    }
}
