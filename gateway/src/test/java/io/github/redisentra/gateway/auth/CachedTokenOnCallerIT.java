package io.github.redisentra.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.Endpoint;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.GatewaySetup;
import io.github.redisentra.gateway.config.GatewayConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A token found in the validated-token cache is decided on the caller's thread (an event loop in the gateway), with
 * no hop to the authenticator's pool (#19) — every check still applied; a first sign-in and an overage token (whose
 * groups come from Microsoft Graph) still run on the pool.
 */
@Timeout(60)
class CachedTokenOnCallerIT {
    static final String GROUP_A = "aaaaaaaa-0000-4000-8000-0000000000c1";
    static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice; // GROUP_A in the token
    static User bob; // no allowed group
    static User carol; // 250 groups incl. GROUP_A (overage: Graph)
    static ManagedIdentity gatewayMi;
    static Path caFile;

    EntraAuthenticator auth;
    /** The threads that recorded each decision (audit listeners run on the deciding thread). */
    final List<String> deciders = new CopyOnWriteArrayList<>();
    /** The threads that asked for the Graph token (each overage sign-in's Graph request starts there). */
    final List<String> graphCallers = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startEmulator() {
        emu = EntraEmulator.builder().build().start();
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2).groupMembershipClaims(true));
        alice = tenant.addUser(UserSpec.named("alice").groups(GROUP_A));
        bob = tenant.addUser(UserSpec.named("bob"));
        carol = tenant.addUser(UserSpec.named("carol").groupCount(250));
        carol.addGroups(GROUP_A);
        gatewayMi = tenant.addManagedIdentity("gateway-mi");
        caFile = emu.writeCaCertificate(dir.resolve("emulator-ca.pem"));
    }

    @AfterAll
    static void stopEmulator() {
        if (emu != null) {
            emu.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        Map<String, String> env = Map.of(
                "TENANT_ID",
                tenant.id(),
                "EXPECTED_AUDIENCE",
                api.clientId(),
                "ALLOWED_GROUP_IDS",
                GROUP_A,
                "REDIS_HOSTPORT",
                "127.0.0.1:6380",
                "LISTEN_ADDR",
                "127.0.0.1:0",
                "AZURE_AUTHORITY_HOST",
                emu.httpsBaseUrl().toString(),
                "GRAPH_BASE_URL",
                emu.graphBaseUrl().toString(),
                "HTTPS_CA_FILE",
                caFile.toString(),
                "HTTP_TIMEOUT",
                "5s",
                "GROUP_CACHE_TTL",
                "0s"); // every overage sign-in asks Graph
        AuditLog audit =
                new AuditLog(List.of(e -> deciders.add(Thread.currentThread().getName())));
        auth = GatewaySetup.of(GatewayConfig.from(env))
                .entraAuthenticator(
                        () -> {
                            graphCallers.add(Thread.currentThread().getName());
                            return CompletableFuture.completedFuture(emu.mintAccessToken(
                                    TokenRequest.forManagedIdentity(tenant, gatewayMi, "https://graph.microsoft.com")));
                        },
                        audit,
                        Clock.systemUTC());
        auth.start().get(20, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() {
        auth.close();
    }

    CompletableFuture<AuthDecision> signIn(String user, String token) {
        return auth.authenticate(new AuthRequest(user, token, CLIENT)).toCompletableFuture();
    }

    static String mint(User u) {
        return emu.mintAccessToken(TokenRequest.forUser(tenant, u, api));
    }

    @Test
    void aCachedTokenIsDecidedOnTheCallersThreadWithEveryCheck() throws Exception {
        String me = Thread.currentThread().getName();
        String token = mint(alice);
        assertThat(signIn(null, token).get(30, TimeUnit.SECONDS)).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(deciders).hasSize(1);
        assertThat(auth.signatureChecks()).isEqualTo(1);

        CompletableFuture<AuthDecision> again = signIn("default", token);
        assertThat(again).as("decided before authenticate returned").isDone();
        assertThat(again.join()).isInstanceOf(AuthDecision.Allowed.class);
        assertThat(deciders).hasSize(2);
        assertThat(deciders.get(1)).as("cache hit: decided and audited here").isEqualTo(me);

        // the per-request checks still apply to a hit, on this thread too
        CompletableFuture<AuthDecision> wrongUser = signIn("someone-else", token);
        assertThat(wrongUser).isDone();
        assertThat(wrongUser.join()).isInstanceOf(AuthDecision.Denied.class);
        assertThat(((AuthDecision.Denied) wrongUser.join()).reason()).isEqualTo("username_mismatch");
        assertThat(deciders.get(2)).isEqualTo(me);

        // and so does the policy in force (a reload to one that admits no one of this token)
        auth.policy(new GroupPolicy(
                java.util.Set.of("bbbbbbbb-0000-4000-8000-0000000000c2"), java.util.Set.of(), java.util.Set.of()));
        CompletableFuture<AuthDecision> afterReload = signIn(null, token);
        assertThat(afterReload).isDone();
        assertThat(afterReload.join()).isInstanceOf(AuthDecision.Denied.class);
        assertThat(auth.signatureChecks()).as("no further signature check").isEqualTo(1);
        assertThat(auth.renderMetrics("x_")).contains("x_token_cache_lookups_total{result=\"hit\"} 3");
    }

    @Test
    void aTokenWhoseSignatureFailsIsCheckedOnThePoolEveryTime() throws Exception {
        String token = mint(alice);
        String forged = token.substring(0, token.length() - 4) + "AAAA";
        for (int i = 0; i < 2; i++) {
            AuthDecision d = signIn(null, forged).get(30, TimeUnit.SECONDS);
            assertThat(d).isInstanceOf(AuthDecision.Denied.class);
            assertThat(((AuthDecision.Denied) d).reason()).isEqualTo("bad_signature");
        }
        assertThat(auth.signatureChecks()).as("a failed check is not kept").isEqualTo(2);
        assertThat(auth.renderMetrics("x_")).contains("x_token_cache_lookups_total{result=\"hit\"} 0");
    }

    @Test
    void aCachedOverageTokenStillAsksGraphFromThePool() throws Exception {
        String token = mint(carol);
        long graphBefore = emu.requestCount(Endpoint.GRAPH);
        for (int i = 0; i < 2; i++) {
            assertThat(signIn(null, token).get(30, TimeUnit.SECONDS)).isInstanceOf(AuthDecision.Allowed.class);
        }
        assertThat(auth.signatureChecks()).as("the second is a cache hit").isEqualTo(1);
        assertThat(emu.requestCount(Endpoint.GRAPH)).isEqualTo(graphBefore + 2);
        assertThat(graphCallers).hasSize(2).allSatisfy(t -> assertThat(t).startsWith("entra-auth-"));
    }
}
