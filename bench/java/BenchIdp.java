import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * The benchmark's identity provider: the project's Entra ID emulator with the demo tenant's fixed ids, plus
 * two tokens minted up front (the benchmark user's, for redis-benchmark's AUTH, and the gateway's managed
 * identity token for https://redis.azure.com, which the bench Redis accepts as the ACL password of the
 * identity's object id). Run by bench/run as
 * {@code java -cp emulator/target/redis-entra-emulator.jar bench/java/BenchIdp.java OUT_DIR LIFETIME_MINUTES};
 * it writes OUT_DIR/{ca.pem,user.jwt,mi.jwt,idp.env} (tokens mode 0600) and serves until SIGTERM. The tokens are bench-only secrets in a temp dir deleted at exit; this program never prints them.
 */
public final class BenchIdp {
    // Same fixed ids as the standalone emulator's demo tenant (EmulatorMain).
    static final String TENANT_ID = "4d3e7d2a-5f1b-4c8e-9a6d-0e1f2a3b4c5d";
    static final String GROUP = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    static final String API_CLIENT_ID = "6e1b1e5f-0000-4000-8000-000000000001";
    static final String ALICE_OID = "a11ce000-0000-4000-8000-000000000001";
    static final String MI_CLIENT_ID = "6e1b1e5f-0000-4000-8000-000000000003";
    static final String MI_OBJECT_ID = "0b1ec700-0000-4000-8000-000000000003";

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: BenchIdp OUT_DIR LIFETIME_MINUTES");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        Duration lifetime = Duration.ofMinutes(Long.parseLong(args[1]));
        EntraEmulator emu = EntraEmulator.builder()
                .httpsPort(0)
                .httpPort(0)
                .defaultTokenLifetime(lifetime)
                .identityHeader("redis-entra-bench")
                .build();
        Tenant t = emu.createTenant("demo", TENANT_ID);
        AppRegistration api = t.registerApp(AppSpec.api("redis-gateway")
                .clientId(API_CLIENT_ID)
                .appIdUri("api://redis-gateway")
                .acceptedTokenVersion(2)
                .appRoles("Redis.User"));
        User alice = t.addUser(UserSpec.named("alice")
                .objectId(ALICE_OID)
                .displayName("Bench User")
                .groups(GROUP)
                .appRoles(api, "Redis.User"));
        ManagedIdentity mi = t.addManagedIdentity("gateway-mi", MI_CLIENT_ID, MI_OBJECT_ID);
        t.setSystemAssignedIdentity(mi);
        emu.start();
        Runtime.getRuntime().addShutdownHook(new Thread(emu::close, "bench-idp-shutdown"));

        emu.writeCaCertificate(out.resolve("ca.pem"));
        writeSecret(out.resolve("user.jwt"), emu.mintAccessToken(TokenRequest.forUser(t, alice, api).lifetime(lifetime)));
        writeSecret(
                out.resolve("mi.jwt"),
                emu.mintAccessToken(TokenRequest.forManagedIdentity(t, mi, "https://redis.azure.com").lifetime(lifetime)));
        String env = "IDP_AUTHORITY=" + emu.httpsBaseUrl() + "\n"
                + "IDP_TENANT_ID=" + t.id() + "\n"
                + "IDP_AUDIENCE=api://redis-gateway," + API_CLIENT_ID + "\n"
                + "IDP_GROUP=" + GROUP + "\n"
                + "IDP_GRAPH=" + emu.graphBaseUrl() + "\n"
                + "IDP_USER_OID=" + alice.objectId() + "\n"
                + "IDP_MI_OID=" + mi.objectId() + "\n";
        Path tmp = out.resolve("idp.env.tmp");
        Files.writeString(tmp, env);
        Files.move(tmp, out.resolve("idp.env")); // appears complete: bench/run waits for this file
        System.out.println("bench-idp: ready at " + emu.httpsBaseUrl());
        System.out.flush();
        // Serve until bench/run stops us (SIGTERM runs the shutdown hook).
        new java.util.concurrent.CountDownLatch(1).await();
    }

    private static void writeSecret(Path file, String value) throws Exception {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, value);
    }
}
