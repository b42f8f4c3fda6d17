package io.github.redisentra.gateway;

import io.github.redisentra.emulator.EntraEmulator;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The gateway settings every test gateway shares: an emulator tenant as the identity provider (discovery, JWKS and
 * Graph over the emulator's HTTPS, trusted through its CA file), a TLS upstream on loopback, both listeners on free
 * ports, and a short HTTP timeout. Tests add the authorization rule, the upstream identity and what they vary.
 */
final class TestGatewaySettings {
    private TestGatewaySettings() {}

    static Map<String, String> base(
            EntraEmulator emu, String tenantId, String audience, Path emulatorCa, int upstreamPort, Path upstreamCa) {
        Map<String, String> m = new HashMap<>();
        m.put("TENANT_ID", tenantId);
        m.put("EXPECTED_AUDIENCE", audience);
        m.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        m.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
        m.put("HTTPS_CA_FILE", emulatorCa.toString());
        m.put("REDIS_HOSTPORT", "127.0.0.1:" + upstreamPort);
        m.put("REDIS_CA_FILE", upstreamCa.toString());
        m.put("LISTEN_ADDR", "127.0.0.1:0");
        m.put("ADMIN_ADDR", "127.0.0.1:0");
        m.put("HTTP_TIMEOUT", "5s");
        // Tests that send dozens of refused tokens from 127.0.0.1 (ForgedTokenGatewayIT) check each refusal's reason:
        // no sign-in throttling here (SignInThrottleIT and SignInThrottleTest cover it).
        m.put("AUTH_FAILURES_PER_ADDRESS", "0");
        m.put("AUTH_FAILURE_DELAY", "0s");
        return m;
    }
}
