package io.github.redisentra.emulator.msal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URL;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

class EmulatorMsalHttpClientTest {
    private final EmulatorMsalHttpClient client = new EmulatorMsalHttpClient(sslContext(), 8443);

    private static SSLContext sslContext() {
        try {
            return SSLContext.getDefault();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void restoresTheEmulatorPortMsalDroppedAndKeepsTheRawQuery() throws Exception {
        assertThat(client.target(new URL("https://localhost/tid/oauth2/v2.0/token?a=b%2Bc&x=1")))
                .isEqualTo(URI.create("https://localhost:8443/tid/oauth2/v2.0/token?a=b%2Bc&x=1"));
        assertThat(client.target(new URL("https://127.0.0.1:443/tid/oauth2/v2.0/token")))
                .isEqualTo(URI.create("https://127.0.0.1:8443/tid/oauth2/v2.0/token"));
    }

    @Test
    void leavesOtherUrlsAlone() throws Exception {
        assertThat(client.target(new URL("https://localhost:9999/tid/oauth2/v2.0/token")))
                .isEqualTo(URI.create("https://localhost:9999/tid/oauth2/v2.0/token"));
        assertThat(client.target(new URL("https://login.example/tid/oauth2/v2.0/token")))
                .isEqualTo(URI.create("https://login.example/tid/oauth2/v2.0/token"));
        assertThat(client.target(new URL("http://localhost/msi/token")))
                .isEqualTo(URI.create("http://localhost/msi/token"));
    }
}
