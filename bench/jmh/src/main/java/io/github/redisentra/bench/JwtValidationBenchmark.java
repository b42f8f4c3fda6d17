package io.github.redisentra.bench;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.GatewaySetup;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.AuthDecision;
import io.github.redisentra.gateway.auth.AuthRequest;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.config.GatewayConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Client-token validation with warm keys: the gateway's {@link EntraAuthenticator} against keys loaded once from the
 * project's Entra ID emulator over HTTPS, and, as the floor, the RS256 signature check alone with Nimbus JOSE's
 * {@link RSASSAVerifier} on the same token and key.
 *
 * <ul>
 *   <li>{@code authenticate} — a fresh token: the validated-token cache is off ({@code TOKEN_CACHE_SIZE=0}), so every
 *       call does the whole check (JWS parse, key lookup by {@code kid}, RS256 signature, issuer/audience/time/tenant
 *       checks, group policy, audit line), as for a token the gateway has not seen;
 *   <li>{@code authenticateCached} — the same token again with the cache on (default size): SHA-256 of the token, a
 *       map lookup, the key-still-published check, the claim checks, policy and audit line; no signature check.
 * </ul>
 *
 * <p>{@code authenticate} is measured with as many calling threads as JMH is given ({@code -t}); the
 * authenticator runs the work on its own pool (max(2, cores) threads), so per-core throughput is the total
 * divided by the cores actually available. {@code signatureOnly} (Nimbus parse + verify) and {@code rs256Only} (the
 * JDK's RS256 verify alone: the floor) run on the calling thread: with {@code -t 1} they are one core's rate.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-Dlogback.configurationFile=bench-logback.xml"})
@State(Scope.Benchmark)
public class JwtValidationBenchmark {
    private static final String GROUP = "aaaaaaaa-0000-4000-8000-000000000001";
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

    private EntraEmulator emu;
    private EntraAuthenticator auth;
    private EntraAuthenticator cachingAuth;
    private Path dir;
    private String token;
    private String oid;
    private JWSObject parsedOnce;
    private RSASSAVerifier verifier;
    private java.security.Signature rs256;
    private java.security.interfaces.RSAPublicKey publicKey;
    private byte[] signingInput;
    private byte[] signatureBytes;
    private final java.util.concurrent.atomic.AtomicLong validations = new java.util.concurrent.atomic.AtomicLong();
    private long cpuAtStart;

    @Setup
    public void setUp() throws Exception {
        emu = EntraEmulator.builder().build().start();
        Tenant contoso = emu.createTenant("contoso");
        AppRegistration api = contoso.registerApp(
                AppSpec.api("gateway-v2").acceptedTokenVersion(2).groupMembershipClaims(true));
        User alice = contoso.addUser(UserSpec.named("alice").groups(GROUP));
        token = emu.mintAccessToken(TokenRequest.forUser(contoso, alice, api));
        oid = alice.objectId();
        dir = Files.createTempDirectory("jmh-jwt");
        Path ca = emu.writeCaCertificate(dir.resolve("ca.pem"));
        Map<String, String> env = new HashMap<>();
        env.put("TENANT_ID", contoso.id());
        env.put("EXPECTED_AUDIENCE", api.clientId());
        env.put("ALLOWED_GROUP_IDS", GROUP);
        env.put("REDIS_HOSTPORT", "127.0.0.1:6380");
        env.put("LISTEN_ADDR", "127.0.0.1:0");
        env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        env.put("GRAPH_BASE_URL", emu.graphBaseUrl().toString());
        env.put("HTTPS_CA_FILE", ca.toString());
        cachingAuth =
                GatewaySetup.of(GatewayConfig.from(env)).entraAuthenticator(null, new AuditLog(), Clock.systemUTC());
        cachingAuth.start().get(30, TimeUnit.SECONDS);
        env.put("TOKEN_CACHE_SIZE", "0");
        auth = GatewaySetup.of(GatewayConfig.from(env)).entraAuthenticator(null, new AuditLog(), Clock.systemUTC());
        auth.start().get(30, TimeUnit.SECONDS);
        if (!(authenticate() instanceof AuthDecision.Allowed)
                || !(authenticateCached() instanceof AuthDecision.Allowed)) {
            throw new IllegalStateException("the bench token is not accepted");
        }
        // the signature-only floor: the tenant's published key for this token's kid
        parsedOnce = JWSObject.parse(token);
        HttpClient http = HttpClient.newBuilder().sslContext(emu.sslContext()).build();
        String jwksUri =
                emu.httpsBaseUrl().toString().replaceAll("/$", "") + "/" + contoso.id() + "/discovery/v2.0/keys";
        String body = http.send(
                        HttpRequest.newBuilder(URI.create(jwksUri)).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        RSAKey key =
                (RSAKey) JWKSet.parse(body).getKeyByKeyId(parsedOnce.getHeader().getKeyID());
        verifier = new RSASSAVerifier(key);
        publicKey = key.toRSAPublicKey();
        rs256 = java.security.Signature.getInstance("SHA256withRSA");
        signingInput = token.substring(0, token.lastIndexOf('.')).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        signatureBytes = java.util.Base64.getUrlDecoder().decode(token.substring(token.lastIndexOf('.') + 1));
        if (!signatureOnly() || !rs256Only()) {
            throw new IllegalStateException("signature check failed");
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        auth.close();
        cachingAuth.close();
        emu.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }

    /**
     * The machine may be shared (other processes take cores away from the benchmark), so each iteration also prints
     * validations per CPU-second of this JVM (process CPU time, all threads: the authenticator's pool, JIT, GC):
     * the per-core rate whatever the load around it.
     */
    @Setup(Level.Iteration)
    public void cpuStart() {
        validations.set(0);
        cpuAtStart = processCpuNanos();
    }

    @TearDown(Level.Iteration)
    public void cpuEnd() {
        long cpu = processCpuNanos() - cpuAtStart;
        if (cpu > 0) {
            System.out.printf(
                    java.util.Locale.ROOT,
                    " [%d validations, %.2f CPU-s: %.0f validations per CPU-second]",
                    validations.get(),
                    cpu / 1e9,
                    validations.get() / (cpu / 1e9));
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    @Benchmark
    public AuthDecision authenticate() throws Exception {
        validations.incrementAndGet();
        return auth.authenticate(new AuthRequest(oid, token, CLIENT))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @Benchmark
    public AuthDecision authenticateCached() throws Exception {
        validations.incrementAndGet();
        return cachingAuth
                .authenticate(new AuthRequest(oid, token, CLIENT))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    /**
     * The floor of a fresh validation: the JDK's {@code SHA256withRSA} verify alone (the RSA public-key operation, a
     * {@code BigInteger.modPow} with e = 65537, plus SHA-256 of the signing input), no parsing, on the calling thread.
     */
    @Benchmark
    public boolean rs256Only() throws Exception {
        validations.incrementAndGet();
        rs256.initVerify(publicKey);
        rs256.update(signingInput);
        return rs256.verify(signatureBytes);
    }

    @Benchmark
    public boolean signatureOnly() throws Exception {
        validations.incrementAndGet();
        JWSObject jws = JWSObject.parse(token);
        return jws.verify(verifier);
    }
}
