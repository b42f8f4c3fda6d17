package com.example.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.redisentra.core.MsalUserTokenSource;
import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.emulator.msal.EmulatorMsalHttpClient;
import io.github.redisentra.jedis.EntraJedis;
import io.github.redisentra.lettuce.EntraCredentialsProvider;
import io.github.redisentra.lettuce.EntraLettuce;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisServer;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;

/**
 * The README's quick start in a user's project built against the published artifacts only (see consumer-test's pom):
 * the emulator as Entra ID, a TLS redis-server that accepts an identity's current tokens as the cache does.
 */
class QuickStartIT {
    private static final Path TARGET = Path.of("target");
    private static final Path REPOSITORY =
            Path.of(System.getProperty("consumer.localRepository")).toAbsolutePath();
    private static EntraEmulator emu;
    private static Tenant tenant;
    private static RedisServer redis;

    @BeforeAll
    static void start() {
        emu = EntraEmulator.builder()
                .deviceCodePollInterval(java.time.Duration.ofSeconds(1))
                .build()
                .start();
        tenant = emu.createTenant("contoso");
        redis = RedisServer.builder().tlsOnly().disableDefaultUser().name("consumer").start();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
        if (emu != null) {
            emu.close();
        }
    }

    /**
     * The application in a JVM of its own, on its runtime class path alone (target/classes and the jars Maven resolved
     * for it, none of the test jars): a class, dependency or resource missing from a published artifact fails here.
     */
    @Test
    void managedIdentityQuickStartRunsOnTheApplicationsOwnClassPath() throws Exception {
        ManagedIdentity mi = tenant.addManagedIdentity("app-mi");
        tenant.setSystemAssignedIdentity(mi);
        try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                .objectId(mi.objectId())
                .build()
                .watch(emu)) {
            Path trustStore = TARGET.resolve("redis-ca.p12");
            try (OutputStream out = Files.newOutputStream(trustStore)) {
                redis.certificateAuthority().trustStore().store(out, "changeit".toCharArray());
            }
            Path log = TARGET.resolve("quickstart-process.log");
            ProcessBuilder pb = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                            "-XX:TieredStopAtLevel=1",
                            "-Djavax.net.ssl.trustStore=" + trustStore.toAbsolutePath(),
                            "-Djavax.net.ssl.trustStorePassword=changeit",
                            "-Djavax.net.ssl.trustStoreType=PKCS12",
                            "-cp",
                            applicationClassPath(),
                            ManagedIdentityQuickStart.class.getName(),
                            redis.host(),
                            String.valueOf(redis.tlsPort()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().put("IDENTITY_ENDPOINT", emu.appServiceIdentityEndpoint().toString());
            pb.environment().put("IDENTITY_HEADER", emu.appServiceIdentityHeader());
            Process p = pb.start();
            boolean exited = p.waitFor(90, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly();
            }
            String output = Files.readString(log);
            assertTrue(exited, "the quick start did not finish in 90 s:\n" + output);
            assertEquals(0, p.exitValue(), "the quick start failed:\n" + output);
            assertTrue(output.contains("lettuce: hello from Lettuce"), output);
            assertTrue(output.contains("jedis: hello from Jedis"), output);
        }
    }

    /** The README's signed-in-user quick start (device code), the emulator standing in for Entra ID. */
    @Test
    void signedInUserQuickStartWorksForLettuceAndJedis() throws Exception {
        AppRegistration app = tenant.registerApp(AppSpec.publicClient("quickstart").redirectUri("http://localhost"));
        User alice = tenant.addUser(UserSpec.named("alice"));
        try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                .objectId(alice.objectId())
                .build()
                .watch(emu)) {
            MsalUserTokenSource source = MsalUserTokenSource.builder(app.clientId())
                    .authority(tenant.authority())
                    .scopes("https://redis.azure.com/.default")
                    // The emulator, not login.microsoftonline.com: no instance discovery, its CA and port.
                    .instanceDiscovery(false)
                    .validateAuthority(false)
                    .httpClient(new EmulatorMsalHttpClient(emu))
                    // What the person does on the device-code page.
                    .deviceCodeHandler(code -> emu.approveDeviceCode(code.userCode(), alice))
                    .build();
            if (!source.isSignedIn()) {
                source.signIn();
            }
            TokenRefresher refresher = TokenRefresher.builder(source).build();

            RedisURI uri = RedisURI.builder()
                    .withHost(redis.host())
                    .withPort(redis.tlsPort())
                    .withSsl(true)
                    .withAuthentication(EntraCredentialsProvider.create(refresher))
                    .build();
            RedisClient client = EntraLettuce.configure(RedisClient.create(uri));
            client.setOptions(EntraLettuce.clientOptions(ClientOptions.builder()
                    .sslOptions(SslOptions.builder()
                            .trustManager(redis.caFile().toFile())
                            .build())
                    .build()));
            EntraLettuce.watchReauthentication(client, ReauthenticationListener.logging());
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                connection.sync().set("greeting", "hello");
                assertEquals("hello", connection.sync().get("greeting"));
            } finally {
                client.shutdown();
            }

            try (redis.clients.jedis.RedisClient jedis = EntraJedis.builder(refresher)
                    .hostAndPort(new HostAndPort(redis.host(), redis.tlsPort()))
                    .clientConfig(DefaultJedisClientConfig.builder()
                            .ssl(true)
                            .sslSocketFactory(redis.trustingSslContext().getSocketFactory())
                            .build())
                    .build()) {
                jedis.set("greeting", "hello from Jedis");
                assertEquals("hello from Jedis", jedis.get("greeting"));
            }
            refresher.close();
            source.close();
        }
    }

    /**
     * With the BOM every tested library is exactly the version the project's own build uses (the parent pom's
     * properties, passed in by consumer-test), all Netty modules included. Either way, azure-identity's Netty HTTP
     * stack stays out (our poms exclude it).
     */
    @Test
    void runtimeClassPathHasTheTestedVersions() throws Exception {
        Map<String, String> resolved = new TreeMap<>(); // groupId:artifactId -> version, from the repository layout
        for (String jar : Files.readString(Path.of(System.getProperty("consumer.runtimeClasspathFile")))
                .trim()
                .split(java.io.File.pathSeparator)) {
            Path p = Path.of(jar);
            String version = p.getParent().getFileName().toString();
            String artifactId = p.getParent().getParent().getFileName().toString();
            Path group = REPOSITORY.relativize(p.getParent().getParent().getParent());
            resolved.put(group.toString().replace(java.io.File.separatorChar, '.') + ":" + artifactId, version);
        }
        assertFalse(resolved.containsKey("com.azure:azure-core-http-netty"), resolved::toString);
        assertFalse(resolved.containsKey("io.projectreactor.netty:reactor-netty-core"), resolved::toString);
        assertTrue(resolved.containsKey("com.azure:azure-core-http-jdk-httpclient"), resolved::toString);
        if (!Boolean.getBoolean("consumer.expectTestedVersions")) {
            System.out.println("without the BOM the application runs on: " + resolved);
            return;
        }
        List<String> wrong = new ArrayList<>();
        for (String entry : System.getProperty("consumer.testedVersions").split(",")) {
            String[] kv = entry.split("=");
            String key = kv[0];
            String expected = kv[1];
            boolean seen = false;
            for (Map.Entry<String, String> e : resolved.entrySet()) {
                boolean matches = key.endsWith(":*")
                        ? e.getKey().startsWith(key.substring(0, key.length() - 1))
                                && !e.getKey().contains("netty-tcnative")
                        : e.getKey().equals(key);
                if (matches) {
                    seen = true;
                    if (!e.getValue().equals(expected)) {
                        wrong.add(e.getKey() + " " + e.getValue() + " (tested: " + expected + ")");
                    }
                }
            }
            if (!seen) {
                wrong.add(key + " is not on the class path");
            }
        }
        assertTrue(wrong.isEmpty(), "the BOM gave versions the project is not tested with: " + wrong);
    }

    private static String applicationClassPath() throws Exception {
        String deps = Files.readString(Path.of(System.getProperty("consumer.runtimeClasspathFile")))
                .trim();
        return System.getProperty("consumer.classes") + java.io.File.pathSeparator + deps;
    }
}
