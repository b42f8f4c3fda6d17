package io.github.redisentra.emulator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the emulator alone with a demo tenant and prints how to point MSAL, azure-identity and the gateway at
 * it: {@code java -jar emulator/target/redis-entra-emulator.jar [--https-port 8443] [--http-port 8080]
 * [--token-lifetime 60m] [--ca-file PATH]}. Runs until SIGTERM / Ctrl+C.
 */
public final class EmulatorMain {
    // Fixed ids so that a gateway or app configured once keeps working across emulator restarts.
    static final String DEMO_TENANT_ID = "4d3e7d2a-5f1b-4c8e-9a6d-0e1f2a3b4c5d";
    static final String REDIS_USERS_GROUP = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    static final String API_CLIENT_ID = "6e1b1e5f-0000-4000-8000-000000000001";
    static final String CLI_CLIENT_ID = "6e1b1e5f-0000-4000-8000-000000000002";
    static final String ALICE_OID = "a11ce000-0000-4000-8000-000000000001";
    static final String BOB_OID = "b0b00000-0000-4000-8000-000000000002";
    static final String MI_CLIENT_ID = "6e1b1e5f-0000-4000-8000-000000000003";
    static final String MI_OBJECT_ID = "0b1ec700-0000-4000-8000-000000000003";
    /** A fixed, public value: the emulator is a local test tool and this is not a credential for anything real. */
    static final String DEMO_IDENTITY_HEADER = "redis-entra-emulator";
    /** Password of the written trust store; it holds only the CA certificate (no key), so it protects nothing. */
    static final String TRUST_STORE_PASSWORD = "changeit";

    private EmulatorMain() {}

    public static void main(String[] args) throws InterruptedException {
        // Before any logger exists: the jar's own logging setup (INFO to stderr; EMULATOR_LOG_LEVEL=DEBUG logs
        // every request, never a secret), unless the user brought one.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "redis-entra-emulator-logback.xml");
        }
        EntraEmulator emulator;
        try {
            emulator = start(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        } catch (UncheckedIOException e) {
            System.err.println("error: " + e.getMessage() + ": " + e.getCause().getMessage());
            System.exit(1);
            return;
        }
        if (emulator == null) {
            return; // --help
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            emulator.close();
                            stopped.countDown();
                        },
                        "entra-emulator-shutdown"));
        stopped.await();
    }

    /** Parses {@code args}, starts the emulator with the demo tenant and prints the instructions to {@code out}. */
    static EntraEmulator start(String[] args, PrintStream out) {
        int httpsPort = 8443;
        int httpPort = 8080;
        Duration lifetime = Duration.ofMinutes(60);
        Path caFile = Path.of(System.getProperty("java.io.tmpdir"), "redis-entra-emulator-ca.pem");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--help", "-h" -> {
                    out.println(usage());
                    return null;
                }
                case "--https-port" -> httpsPort = intArg(args, ++i, arg);
                case "--http-port" -> httpPort = intArg(args, ++i, arg);
                case "--token-lifetime" -> lifetime = durationArg(args, ++i, arg);
                case "--ca-file" -> caFile = Path.of(valueArg(args, ++i, arg));
                case "--config" ->
                    throw new IllegalArgumentException(
                            "--config is not supported yet: the standalone emulator serves the built-in demo tenant;"
                                    + " use the Java API (EntraEmulator.builder()) for other directories");
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        EntraEmulator emulator = EntraEmulator.builder()
                .httpsPort(httpsPort)
                .httpPort(httpPort)
                .defaultTokenLifetime(lifetime)
                .identityHeader(DEMO_IDENTITY_HEADER)
                .build();
        Demo demo = Demo.populate(emulator);
        emulator.start();
        try {
            emulator.writeCaCertificate(caFile);
            Path trustStore =
                    caFile.resolveSibling(stripPem(caFile.getFileName().toString()) + ".p12");
            writeTrustStore(emulator.trustStore(), trustStore);
            printInstructions(out, emulator, demo, caFile, trustStore);
        } catch (RuntimeException e) {
            emulator.close();
            throw e;
        }
        return emulator;
    }

    /** The demo directory: alice (in redis-users, role Redis.User), bob (neither), an API, a CLI app and a MI. */
    record Demo(
            Tenant tenant, AppRegistration api, AppRegistration cli, User alice, User bob, ManagedIdentity identity) {
        static Demo populate(EntraEmulator emulator) {
            Tenant t = emulator.createTenant("demo", DEMO_TENANT_ID);
            AppRegistration api = t.registerApp(AppSpec.api("redis-gateway")
                    .clientId(API_CLIENT_ID)
                    .appIdUri("api://redis-gateway")
                    .acceptedTokenVersion(2)
                    .appRoles("Redis.User", "Redis.Admin"));
            AppRegistration cli =
                    t.registerApp(AppSpec.publicClient("redis-cli").clientId(CLI_CLIENT_ID));
            User alice = t.addUser(UserSpec.named("alice")
                    .objectId(ALICE_OID)
                    .displayName("Alice Example")
                    .groups(REDIS_USERS_GROUP)
                    .appRoles(api, "Redis.User"));
            User bob = t.addUser(UserSpec.named("bob").objectId(BOB_OID).displayName("Bob Example"));
            ManagedIdentity mi = t.addManagedIdentity("gateway-mi", MI_CLIENT_ID, MI_OBJECT_ID);
            t.setSystemAssignedIdentity(mi);
            return new Demo(t, api, cli, alice, bob, mi);
        }
    }

    private static void printInstructions(PrintStream out, EntraEmulator emu, Demo d, Path caFile, Path trustStore) {
        String https = emu.httpsBaseUrl().toString();
        Tenant t = d.tenant();
        out.println("Entra ID emulator (redis-entra) is running. Stop it with Ctrl+C or SIGTERM.");
        out.println();
        out.println("  HTTPS (authority)    " + https);
        out.println("  HTTP (loopback)      " + emu.httpBaseUrl());
        out.println("  CA certificate       " + caFile.toAbsolutePath());
        out.println("  Java trust store     " + trustStore.toAbsolutePath() + " (PKCS12, password "
                + TRUST_STORE_PASSWORD + ", CA certificate only)");
        out.println("  Sign-in overview     " + https + "/");
        out.println();
        out.println("Tenant \"" + t.name() + "\"  id " + t.id());
        out.println("  v2 metadata          " + t.openIdConfigurationV2());
        out.println("  v1 metadata          " + t.openIdConfigurationV1());
        out.println("  API app              " + d.api().name() + "  client id "
                + d.api().clientId() + "  App ID URI " + d.api().appIdUri() + "  (v2 tokens, app roles "
                + d.api().appRoles() + ")");
        out.println("  Public client        " + d.cli().name() + "  client id "
                + d.cli().clientId() + "  redirect http://localhost (any port)");
        out.println("  User                 " + d.alice().upn() + "  oid "
                + d.alice().objectId() + "  group redis-users " + REDIS_USERS_GROUP + ", role Redis.User");
        out.println(
                "  User                 " + d.bob().upn() + "  oid " + d.bob().objectId() + "  no groups, no roles");
        out.println("  Managed identity     " + d.identity().name() + "  client id "
                + d.identity().clientId() + "  object id " + d.identity().objectId() + "  (system-assigned)");
        out.println();
        out.println("MSAL4J (PublicClientApplication " + d.cli().clientId() + "):");
        out.println("  .authority(\"" + t.authority() + "\").instanceDiscovery(false).validateAuthority(false)");
        out.println("  trust the CA (JVM trust store above, sslSocketFactory, or an IHttpClient)");
        out.println("  scope " + d.api().defaultScope() + "; device code page " + https + "/devicelogin");
        if (emu.httpsPort() != 443) {
            out.println("  note: MSAL4J's silent refresh drops a non-443 port (see emulator/README.md): run with"
                    + " --https-port 443, or in tests use io.github.redisentra.emulator.msal.EmulatorMsalHttpClient");
        }
        out.println();
        out.println("azure-identity:");
        out.println("  AZURE_AUTHORITY_HOST=" + https);
        out.println("  AZURE_TENANT_ID=" + t.id());
        out.println("  IDENTITY_ENDPOINT=" + emu.appServiceIdentityEndpoint());
        out.println("  IDENTITY_HEADER=" + emu.appServiceIdentityHeader() + "   (a fixed demo value)");
        out.println("  JVM: -Djavax.net.ssl.trustStore=" + trustStore.toAbsolutePath()
                + " -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=" + TRUST_STORE_PASSWORD);
        out.println();
        out.println("Gateway:");
        out.println("  TENANT_ID=" + t.id());
        out.println("  EXPECTED_AUDIENCE=" + d.api().appIdUri() + "," + d.api().clientId());
        out.println("  ALLOWED_GROUP_IDS=" + REDIS_USERS_GROUP);
        out.println("  AZURE_AUTHORITY_HOST=" + https);
        out.println("  HTTPS_CA_FILE=" + caFile.toAbsolutePath());
        out.println("  GRAPH_BASE_URL=" + emu.graphBaseUrl());
        out.println("  IDENTITY_ENDPOINT=" + emu.appServiceIdentityEndpoint());
        out.println("  IDENTITY_HEADER=" + emu.appServiceIdentityHeader());
        out.println("  (upstream token: resource https://redis.azure.com, user name = managed identity object id "
                + d.identity().objectId() + ")");
        out.flush();
    }

    private static void writeTrustStore(KeyStore store, Path file) {
        try (OutputStream os = Files.newOutputStream(file)) {
            store.store(os, TRUST_STORE_PASSWORD.toCharArray());
        } catch (IOException | GeneralSecurityException e) {
            throw new UncheckedIOException(
                    "Could not write the trust store " + file, e instanceof IOException io ? io : new IOException(e));
        }
    }

    private static String stripPem(String name) {
        return name.endsWith(".pem") ? name.substring(0, name.length() - 4) : name;
    }

    static String usage() {
        return "usage: java -jar redis-entra-emulator.jar [--https-port 8443] [--http-port 8080]"
                + " [--token-lifetime 60m] [--ca-file PATH]\n"
                + "  --https-port N      HTTPS port on 127.0.0.1 (0 = any free port; 443 avoids MSAL4J's port bug)\n"
                + "  --http-port N       plain HTTP port on 127.0.0.1 (managed-identity endpoints)\n"
                + "  --token-lifetime D  default access-token lifetime, e.g. 90s, 10m, 1h\n"
                + "  --ca-file PATH      where to write the CA certificate (PEM; a PKCS12 trust store goes next to it)";
    }

    private static String valueArg(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int intArg(String[] args, int i, String option) {
        String v = valueArg(args, i, option);
        try {
            int port = Integer.parseInt(v);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a port 0..65535, got \"" + v + "\"");
        }
    }

    static Duration durationArg(String[] args, int i, String option) {
        String v = valueArg(args, i, option).trim();
        try {
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            Duration d = switch (v.charAt(v.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
            if (d.isZero() || d.isNegative()) {
                throw new NumberFormatException();
            }
            return d;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    option + " must be a positive duration like 90s, 10m or 1h, got \"" + v + "\"");
        }
    }
}
