package io.github.redisentra.samples.demo;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisServer;
import io.github.redisentra.testkit.TestCertificate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Everything the demo runs on loopback: the Entra ID emulator with a demo directory, a TLS-only {@code
 * redis-server} standing in for Azure Cache for Redis (it accepts exactly the gateway identity's current tokens), and
 * the gateway, configured through its environment like a deployment.
 */
final class DemoEnvironment implements AutoCloseable {
    /** The group whose members the gateway admits. */
    static final String REDIS_USERS_GROUP = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    /** Short user tokens, so a renewal and a re-AUTH happen while the demo watches. */
    static final Duration USER_TOKEN_LIFETIME = Duration.ofSeconds(15);
    /** The gateway's tolerance for expiry; small, so a session that was not re-authenticated would end soon. */
    static final Duration GATEWAY_CLOCK_SKEW = Duration.ofSeconds(5);

    final EntraEmulator emulator;
    final Tenant tenant;
    final AppRegistration api;
    final AppRegistration cli;
    final User alice;
    final User bob;
    final ManagedIdentity gatewayIdentity;
    final Path entraCaFile;
    /** The CA of the gateway's listener certificate (the clients trust it). */
    final Path gatewayCaFile;

    final RedisServer redis;
    final AzureCacheStandIn cache;
    final GatewayProcess gateway;
    final int gatewayPort;
    final Path workDir;
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();

    private DemoEnvironment(Transcript t) throws Exception {
        workDir = Files.createTempDirectory("redis-entra-demo-");
        try {
            emulator = EntraEmulator.builder()
                    .httpsPort(0)
                    .httpPort(0)
                    .deviceCodePollInterval(Duration.ofSeconds(1))
                    .build()
                    .start();
            closeables.push(emulator);
            tenant = emulator.createTenant("demo");
            api = tenant.registerApp(AppSpec.api("redis-gateway")
                    .appIdUri("api://redis-gateway")
                    .acceptedTokenVersion(2)
                    .appRoles("Redis.User")
                    .tokenLifetime(USER_TOKEN_LIFETIME));
            cli = tenant.registerApp(AppSpec.publicClient("redis-cli"));
            alice = tenant.addUser(UserSpec.named("alice")
                    .displayName("Alice Example")
                    .groups(REDIS_USERS_GROUP)
                    .appRoles(api, "Redis.User"));
            bob = tenant.addUser(UserSpec.named("bob").displayName("Bob Example"));
            gatewayIdentity = tenant.addManagedIdentity("gateway-mi");
            tenant.setSystemAssignedIdentity(gatewayIdentity);
            entraCaFile = emulator.writeCaCertificate(workDir.resolve("entra-ca.pem"));
            t.step("emulator", "Entra ID emulator at " + emulator.httpsBaseUrl() + ", tenant " + tenant.id());
            t.step(
                    "emulator",
                    "users " + alice.upn() + " (group redis-users " + REDIS_USERS_GROUP + ") and "
                            + bob.upn() + " (no groups); API api://redis-gateway (tokens live "
                            + USER_TOKEN_LIFETIME.toSeconds() + " s); public client " + cli.clientId()
                            + "; gateway managed identity oid " + gatewayIdentity.objectId());

            redis = RedisServer.builder()
                    .tlsOnly()
                    .disableDefaultUser()
                    .name("azure-cache")
                    .start();
            closeables.push(redis);
            cache = AzureCacheStandIn.builder(redis)
                    .objectId(gatewayIdentity.objectId())
                    .build()
                    .watch(emulator);
            closeables.push(cache);
            t.step(
                    "cache",
                    "redis-server (TLS only, port " + redis.tlsPort()
                            + ") standing in for Azure Cache for Redis: ACL user " + gatewayIdentity.objectId()
                            + " = the gateway's managed identity, accepting only its currently valid tokens");

            // The gateway's listener certificate, from the same throw-away CA (a deployment mounts its own).
            TestCertificate listenerCert = redis.certificateAuthority().issueServerCertificate("gateway.demo.test");
            listenerCert.writeCertificatePem(workDir.resolve("gateway.crt"));
            listenerCert.writePrivateKeyPem(workDir.resolve("gateway.key"));
            gatewayCaFile = Files.writeString(workDir.resolve("gateway-ca.pem"), redis.caCertificatePem());

            gatewayPort = freePort();
            int adminPort = freePort();
            Map<String, String> env = gatewaySettings(adminPort);
            t.step("gateway", "starting the gateway (child JVM) configured like a deployment:");
            // IDENTITY_HEADER guards the managed-identity endpoint like a secret: shown redacted, as the gateway does.
            env.forEach(
                    (k, v) -> t.detail("gateway", "  " + k + "=" + (k.equals("IDENTITY_HEADER") ? "(redacted)" : v)));
            gateway = GatewayProcess.start(env, adminPort, workDir.resolve("gateway.log"));
            closeables.push(gateway);
            gateway.awaitReady(Duration.ofSeconds(60));
            t.step(
                    "gateway",
                    "ready on 127.0.0.1:" + gatewayPort + " (TLS; admin http://127.0.0.1:" + adminPort
                            + "/readyz = 200: signing keys loaded, managed-identity token obtained, cache reachable)");
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    static DemoEnvironment start(Transcript t) throws Exception {
        return new DemoEnvironment(t);
    }

    /** The gateway's environment: the same variables a container deployment sets (gateway/CONFIG.md). */
    private Map<String, String> gatewaySettings(int adminPort) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LISTEN_ADDR", "127.0.0.1:" + gatewayPort);
        env.put("LISTEN_TLS_CERT_FILE", workDir.resolve("gateway.crt").toString());
        env.put("LISTEN_TLS_KEY_FILE", workDir.resolve("gateway.key").toString());
        env.put("ADMIN_ADDR", "127.0.0.1:" + adminPort);
        env.put("TENANT_ID", tenant.id());
        env.put("EXPECTED_AUDIENCE", api.appIdUri() + "," + api.clientId());
        env.put("ALLOWED_GROUP_IDS", REDIS_USERS_GROUP);
        env.put("AZURE_AUTHORITY_HOST", emulator.httpsBaseUrl().toString());
        env.put("HTTPS_CA_FILE", entraCaFile.toString());
        env.put("GRAPH_BASE_URL", emulator.graphBaseUrl().toString());
        env.put("IDENTITY_ENDPOINT", emulator.appServiceIdentityEndpoint().toString());
        env.put("IDENTITY_HEADER", emulator.appServiceIdentityHeader());
        env.put("REDIS_HOSTPORT", "localhost:" + redis.tlsPort());
        env.put("REDIS_CA_FILE", redis.caFile().toString());
        env.put("CLOCK_SKEW", GATEWAY_CLOCK_SKEW.toSeconds() + "s");
        env.put("DRAIN_TIMEOUT", "2s");
        env.put("LOG_FORMAT", "json");
        return env;
    }

    /** The settings the sample apps get: this emulator's tenant and client, through the gateway. */
    Map<String, String> sampleSettings(User user) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("ENTRA_AUTHORITY_HOST", emulator.httpsBaseUrl().toString());
        s.put("ENTRA_TENANT_ID", tenant.id());
        s.put("ENTRA_CLIENT_ID", cli.clientId());
        s.put("ENTRA_SCOPE", api.defaultScope());
        s.put("ENTRA_CA_FILE", entraCaFile.toString());
        s.put("ENTRA_LOGIN_HINT", user.upn());
        s.put("REDIS_HOST", "127.0.0.1");
        s.put("REDIS_PORT", Integer.toString(gatewayPort));
        s.put("REDIS_TLS", "true");
        s.put("REDIS_CA_FILE", gatewayCaFile.toString());
        return s;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        while (!closeables.isEmpty()) {
            try {
                closeables.pop().close();
            } catch (Exception e) {
                System.err.println("demo: error while stopping: " + e);
            }
        }
        try (Stream<Path> files = Files.walk(workDir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is harmless
        }
    }
}
