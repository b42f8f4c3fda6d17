package io.github.redisentra.gateway;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.testkit.AzureCacheStandIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Entra side of the cluster-mode gateway tests: the emulator, a tenant with the gateway's API, a user admitted by
 * group, and the gateway's managed identity whose tokens (of a chosen lifetime) the caches accept; plus starting a
 * gateway from settings with that identity upstream.
 */
final class ClusterTestBed implements AutoCloseable {
    static final String GROUP = "3c9e2f4a-1b5d-4e6f-8a7b-9c0d1e2f3a4b";

    final EntraEmulator emu;
    final Tenant tenant;
    final AppRegistration api;
    final User alice;
    final ManagedIdentity mi;
    final Path emulatorCa;

    ClusterTestBed() throws Exception {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
        mi = tenant.addManagedIdentity("gateway-mi");
        emulatorCa =
                emu.writeCaCertificate(Files.createTempDirectory("cluster-it").resolve("emulator-ca.pem"));
    }

    /** The settings every test gateway shares; {@code kv} adds or overrides. */
    Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("TENANT_ID", tenant.id());
        m.put("EXPECTED_AUDIENCE", api.clientId());
        m.put("ALLOWED_GROUP_IDS", GROUP);
        m.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        m.put("HTTPS_CA_FILE", emulatorCa.toString());
        m.put("LISTEN_ADDR", "127.0.0.1:0");
        m.put("ADMIN_ADDR", "off");
        m.put("HTTP_TIMEOUT", "5s");
        m.put("DRAIN_TIMEOUT", "1s");
        m.put("CLUSTER_REFRESH_INTERVAL", "1s");
        m.put("CLUSTER_NODE_GRACE", "2s");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    /** A token of the managed identity for the caches, valid for {@code lifetime}. */
    String miToken(Duration lifetime) {
        return emu.mintAccessToken(TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE)
                .lifetime(lifetime));
    }

    /** A token of alice for the gateway (half an hour). */
    String userToken() {
        return emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api).lifetime(Duration.ofMinutes(30)));
    }

    /** The gateway's upstream identity: managed-identity tokens of {@code lifetime}, renewed at half of it. */
    UpstreamIdentity identity(Duration lifetime) {
        return identity(lifetime, Duration.ZERO);
    }

    /** As {@link #identity(Duration)}, the first token only after {@code firstDelay} (a slow identity endpoint). */
    UpstreamIdentity identity(Duration lifetime, Duration firstDelay) {
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        TokenSource source = new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) throws InterruptedException {
                if (first.getAndSet(false)) {
                    Thread.sleep(firstDelay.toMillis()); // the identity endpoint answering late, once
                }
                return AccessToken.of(miToken(lifetime), null);
            }

            @Override
            public String describe() {
                return "emulator managed identity " + mi.objectId();
            }
        };
        return UpstreamIdentity.of(
                source,
                RefreshPolicy.builder()
                        .refreshRatio(0.5)
                        .lowerBound(Duration.ZERO)
                        .minimumDelay(Duration.ofSeconds(1))
                        .jitter(Duration.ZERO)
                        .build(),
                mi.objectId());
    }

    /** Creates a gateway from {@code env} with {@link #identity} upstream (not started). */
    GatewayRuntime gateway(Map<String, String> env, Duration tokenLifetime) throws Exception {
        return GatewayRuntime.create(GatewayConfig.from(env), Clock.systemUTC(), identity(tokenLifetime));
    }

    /** The node endpoints in {@code metrics} text: short node id → port. */
    static Map<String, Integer> nodeEndpoints(String metrics) {
        Map<String, Integer> m = new HashMap<>();
        Matcher x = Pattern.compile("cluster_node_connections\\{node=\"([0-9a-f]+)\",endpoint=\"[^\"]*:(\\d+)\"}")
                .matcher(metrics);
        while (x.find()) {
            m.put(x.group(1), Integer.parseInt(x.group(2)));
        }
        return m;
    }

    @Override
    public void close() {
        emu.close();
    }
}
