package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.IssuedToken;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenEventListener;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.GatewaySetup;
import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.acl.RolePolicy;
import io.github.redisentra.gateway.acl.RoleUpstreams;
import io.github.redisentra.gateway.admin.GatewayMetrics;
import io.github.redisentra.gateway.auth.AuditLog;
import io.github.redisentra.gateway.auth.EntraAuthenticator;
import io.github.redisentra.gateway.config.GatewayConfig;
import io.github.redisentra.gateway.identity.UpstreamIdentity;
import io.github.redisentra.gateway.identity.UpstreamTokenSources;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.tls.TlsContexts;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisServer;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Roles naming an upstream identity ({@code upstream:} blocks), over real sockets: the Entra emulator issues client
 * tokens and two managed identities' tokens (fetched by {@code tokenCommand} — curl against the emulator's IMDS
 * endpoint — through the gateway's own identity builders); a TLS-only redis-server has two ACL users fed by
 * {@link AzureCacheStandIn}s: the reader identity limited to {@code +@read}, the writer identity with every command.
 * The roles themselves grant everything at the gateway, so every refusal seen here comes from the server: the cache
 * enforces the ceiling.
 */
class RoleUpstreamIdentityIT {
    static final String READERS = "11111111-1111-4111-8111-111111111111";
    static final String WRITERS = "22222222-2222-4222-8222-222222222222";
    static final String LOOKERS = "33333333-3333-4333-8333-333333333333";
    static final String GHOSTS = "44444444-4444-4444-8444-444444444444";
    /** Short enough to see renewals in a bounded test; the refreshers renew at half of it. */
    static final Duration MI_LIFETIME = Duration.ofSeconds(16);

    @TempDir
    static Path dir;

    static EntraEmulator emu;
    static Tenant tenant;
    static AppRegistration api;
    static User alice; // readers
    static User bob; // writers
    static User carol; // readers + writers: two identities, refused
    static User dave; // lookers: another role naming the reader identity
    static User gina; // ghosts: an identity the cache does not know
    static ManagedIdentity readerMi;
    static ManagedIdentity writerMi;
    static ManagedIdentity ghostMi;
    static RedisServer redis;
    static AzureCacheStandIn readerCache;
    static AzureCacheStandIn writerCache;
    static EntraAuthenticator auth;
    static RoleUpstreams identities;
    static GatewayServer gw;
    static AccessControl access;
    static String rolesYaml;
    static final Map<String, AtomicInteger> miTokens = new ConcurrentHashMap<>();
    static final TokenEventListener counter = new TokenEventListener() {
        @Override
        public void onIssued(IssuedToken t) {
            if (t.kind() == IssuedToken.Kind.MANAGED_IDENTITY) {
                miTokens.computeIfAbsent(t.subjectObjectId(), k -> new AtomicInteger())
                        .incrementAndGet();
            }
        }
    };

    /** A script printing {@code mi}'s token from the emulator's IMDS endpoint; the role's {@code tokenCommand}. */
    static String tokenCommand(ManagedIdentity mi) throws java.io.IOException {
        Path script = dir.resolve(mi.name() + "-token.sh");
        Files.writeString(script, "#!/bin/sh\n" + curl(mi) + "\n");
        return "sh " + script;
    }

    static String curl(ManagedIdentity mi) {
        return "curl -sf -H Metadata:true '" + emu.imdsEndpoint()
                + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://redis.azure.com&client_id="
                + mi.clientId() + "' | sed -E 's/.*\"access_token\" *: *\"([^\"]+)\".*/\\1/'";
    }

    @BeforeAll
    static void start() throws Exception {
        emu = EntraEmulator.builder().build().start();
        emu.addTokenListener(counter);
        tenant = emu.createTenant("contoso");
        api = tenant.registerApp(AppSpec.api("gateway-api").acceptedTokenVersion(2));
        alice = tenant.addUser(UserSpec.named("alice").groups(READERS));
        bob = tenant.addUser(UserSpec.named("bob").groups(WRITERS));
        carol = tenant.addUser(UserSpec.named("carol").groups(READERS, WRITERS));
        dave = tenant.addUser(UserSpec.named("dave").groups(LOOKERS));
        gina = tenant.addUser(UserSpec.named("gina").groups(GHOSTS));
        readerMi = tenant.addManagedIdentity("reader-mi").tokenLifetime(MI_LIFETIME);
        writerMi = tenant.addManagedIdentity("writer-mi").tokenLifetime(MI_LIFETIME);
        ghostMi = tenant.addManagedIdentity("ghost-mi"); // no access policy: the cache has no user for it
        redis = RedisServer.builder().tlsOnly().name("role-identity-it").start();
        readerCache = AzureCacheStandIn.builder(redis)
                .objectId(readerMi.objectId())
                .rules("~* &* +@read +@connection")
                .build()
                .watch(emu);
        writerCache = AzureCacheStandIn.builder(redis)
                .objectId(writerMi.objectId())
                .build()
                .watch(emu);
        String roles = """
                roles:
                  readers:
                    match:
                      groups: [%s]
                    rules: +@all ~* &*
                    upstream:
                      tokenCommand: "%s"
                  writers:
                    match:
                      groups: [%s]
                    rules: +@all ~* &*
                    upstream:
                      tokenCommand: "%s"
                  lookers:
                    match:
                      groups: [%s]
                    rules: +@all ~* &*
                    upstream:
                      tokenCommand: "%s"
                  ghosts:
                    match:
                      groups: [%s]
                    rules: +@all ~* &*
                    upstream:
                      tokenCommand: "%s"
                """.formatted(
                        READERS,
                        tokenCommand(readerMi),
                        WRITERS,
                        tokenCommand(writerMi),
                        LOOKERS,
                        tokenCommand(readerMi),
                        GHOSTS,
                        tokenCommand(ghostMi));
        rolesYaml = roles;
        Path rolesFile = Files.writeString(dir.resolve("roles.yaml"), roles);
        Map<String, String> env = new HashMap<>();
        env.put("TENANT_ID", tenant.id());
        env.put("EXPECTED_AUDIENCE", api.clientId());
        env.put("ROLES_FILE", rolesFile.toString());
        env.put("REDIS_HOSTPORT", "localhost:" + redis.tlsPort());
        env.put("LISTEN_ADDR", "127.0.0.1:0");
        env.put("AZURE_AUTHORITY_HOST", emu.httpsBaseUrl().toString());
        env.put("HTTPS_CA_FILE", emu.writeCaCertificate(dir.resolve("ca.pem")).toString());
        GatewayConfig config = GatewayConfig.from(env);
        auth = GatewaySetup.of(config).entraAuthenticator(null, new AuditLog(), Clock.systemUTC());
        auth.start().get();
        RefreshPolicy fast = RefreshPolicy.builder()
                .refreshRatio(0.5)
                .lowerBound(Duration.ZERO)
                .minimumDelay(Duration.ofSeconds(1))
                .jitter(Duration.ZERO)
                .build();
        // The gateway's builders (derived configuration, token-command source); only the refresh cadence is the
        // test's, so that renewals happen within the test.
        identities = new RoleUpstreams(settings -> {
            GatewayConfig derived = config.withUpstreamIdentity(settings);
            TokenSource source = UpstreamTokenSources.create(
                    derived.upstreamIdentity(), derived.upstreamIdentity().tokenScope());
            return UpstreamIdentity.of(
                    source, fast, derived.upstreamIdentity().objectId().orElse(null));
        });
        access = new AccessControl(GatewaySetup.of(config).roles().orElseThrow(), identities);
        identities.firstTokens().get(60, java.util.concurrent.TimeUnit.SECONDS);
        gw = new GatewayServer(
                        GatewaySettings.loopback(0)
                                .withSession(SessionSettings.DEFAULTS)
                                .withDrainTimeout(Duration.ofSeconds(5)),
                        auth,
                        UpstreamEndpoint.tls(
                                "localhost",
                                redis.tlsPort(),
                                SslContextBuilder.forClient()
                                        .sslProvider(TlsContexts.provider())
                                        .trustManager(
                                                redis.certificateAuthority().certificate())
                                        .build()),
                        // the gateway's own identity: the server's admin (no role here uses it)
                        UpstreamCredentials.password(redis.adminUsername(), redis.adminPassword()),
                        new GatewayMetrics(Clock.systemUTC()),
                        access)
                .start();
        identities.addRenewalSink(gw::upstreamTokenRenewed);
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (identities != null) {
            identities.close();
        }
        if (auth != null) {
            auth.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {readerCache, writerCache, redis, emu}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    /** redis-server's own refusal (the gateway's roles grant everything here). */
    static final String READER_NOPERM = "-NOPERM this user has no permissions to run the 'set' command";

    /** The server's ACL LOG: who was refused what, as the server saw it. */
    static String serverAclLog() {
        return String.valueOf(redis.cli().call("ACL", "LOG"));
    }

    static String token(User u) {
        return emu.mintAccessToken(TokenRequest.forUser(tenant, u, api).lifetime(Duration.ofMinutes(30)));
    }

    static RawClient client() throws Exception {
        RawClient c = new RawClient(gw.localAddress().getPort());
        c.timeout(20_000);
        return c;
    }

    static String auth(RawClient c, User u) throws Exception {
        c.send("AUTH " + token(u) + "\r\n");
        return c.line();
    }

    /** Upstream connections the server itself lists as authenticated as {@code mi}. */
    static long serverConnectionsAs(ManagedIdentity mi) {
        return redis.cli()
                .callString("CLIENT", "LIST")
                .lines()
                .filter(l -> l.contains(" user=" + mi.objectId() + " "))
                .count();
    }

    static String setReply(RawClient c, String key) throws Exception {
        c.send("SET " + key + " v\r\n");
        return c.line();
    }

    @Test
    void eachRoleConnectsAsItsIdentityTheServerEnforcesItAndRenewalsReauthEachOnItsOwn() throws Exception {
        try (RawClient a = client();
                RawClient b = client();
                RawClient d = client()) {
            redis.cli().call("ACL", "LOG", "RESET");
            assertThat(auth(a, alice)).isEqualTo("+OK");
            assertThat(auth(b, bob)).isEqualTo("+OK");
            assertThat(auth(d, dave)).isEqualTo("+OK");
            // the writer writes; the readers' writes are refused by redis-server itself, as their identity
            assertThat(setReply(b, "k")).isEqualTo("+OK");
            assertThat(setReply(a, "k")).isEqualTo(READER_NOPERM);
            assertThat(setReply(d, "k")).isEqualTo(READER_NOPERM);
            // the refusals were the server's, for the reader identity's user
            assertThat(serverAclLog()).contains(readerMi.objectId()).doesNotContain(writerMi.objectId());
            a.send("GET k\r\n");
            assertThat(a.line()).isEqualTo("$1");
            assertThat(a.line()).isEqualTo("v");
            assertThat(serverConnectionsAs(readerMi)).isEqualTo(2);
            assertThat(serverConnectionsAs(writerMi)).isEqualTo(1);
            assertThat(identities.size())
                    .as("one refresher per distinct identity")
                    .isEqualTo(3);

            // Across several renewals each session keeps working as its own identity: a renewal not delivered would
            // let the session's upstream authentication lapse (closed by its expiry guard), one delivered to the
            // wrong sessions would switch their user.
            int readerBefore = count(readerMi);
            int writerBefore = count(writerMi);
            long until = System.nanoTime()
                    + MI_LIFETIME.multipliedBy(2).toNanos()
                    + Duration.ofSeconds(4).toNanos();
            while (System.nanoTime() < until) {
                Thread.sleep(2000);
                assertThat(setReply(b, "k")).isEqualTo("+OK");
                assertThat(setReply(a, "k")).isEqualTo(READER_NOPERM);
                assertThat(setReply(d, "k")).isEqualTo(READER_NOPERM);
            }
            int readerIssued = count(readerMi) - readerBefore;
            int writerIssued = count(writerMi) - writerBefore;
            // one renewal every MI_LIFETIME/2 per identity: 4 or 5 in 2 lifetimes + 4 s, whatever the session count
            // (a refresher per session would be twice that for the reader identity, used by two sessions)
            assertThat(readerIssued).isBetween(3, 6);
            assertThat(writerIssued).isBetween(3, 6);
            assertThat(serverConnectionsAs(readerMi)).isEqualTo(2);
            assertThat(serverConnectionsAs(writerMi)).isEqualTo(1);
            assertThat(redisAuthCalls()).isGreaterThanOrEqualTo(3 + 3 * 3);
        }
    }

    @Test
    void reAuthAsAPrincipalOfAnotherIdentitySwitchesTheUpstreamUserInOrder() throws Exception {
        try (RawClient c = client()) {
            assertThat(auth(c, alice)).isEqualTo("+OK");
            assertThat(setReply(c, "s")).isEqualTo(READER_NOPERM);
            // pipelined: the SET before the AUTH runs as the reader, the one after as the writer
            c.send("SET s 1\r\nAUTH " + token(bob) + "\r\nSET s 2\r\nGET s\r\n");
            assertThat(c.line()).isEqualTo(READER_NOPERM);
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("$1");
            assertThat(c.line()).isEqualTo("2");
            c.send("AUTH " + token(alice) + "\r\nSET s 3\r\nGET s\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo(READER_NOPERM);
            assertThat(c.line()).isEqualTo("$1");
            assertThat(c.line()).isEqualTo("2");
        }
    }

    @Test
    void whenTheCacheRefusesTheNewIdentityNothingAfterTheAuthRunsAsThePreviousOne() throws Exception {
        try (RawClient c = client()) {
            assertThat(auth(c, bob)).isEqualTo("+OK");
            assertThat(setReply(c, "ghost")).isEqualTo("+OK");
            // pipelined behind the AUTH: must not run as the writer identity while the cache refuses the new one
            c.send("AUTH " + token(gina) + "\r\nSET ghost overwritten\r\n");
            assertThat(c.line())
                    .isEqualTo("-ERR upstream unavailable: the cache refused the gateway's credential;"
                            + " reconnect later");
        }
        assertThat(redis.cli().callString("GET", "ghost")).isEqualTo("v");
    }

    @Test
    void aReloadGivingAUserAnotherIdentityClosesTheirOpenSessionsAtTheNextCommand() throws Exception {
        RolePolicy original = access.current();
        Path changed = Files.writeString(
                dir.resolve("roles-changed.yaml"),
                rolesYaml.replaceFirst(
                        "(readers:[\\s\\S]*?tokenCommand: \")[^\"]*\"",
                        "$1" + java.util.regex.Matcher.quoteReplacement(tokenCommand(writerMi)) + "\""));
        try (RawClient a = client();
                RawClient b = client();
                RawClient streaming = client()) {
            assertThat(auth(a, alice)).isEqualTo("+OK");
            assertThat(auth(b, bob)).isEqualTo("+OK");
            assertThat(auth(streaming, alice)).isEqualTo("+OK");
            access.install(RolePolicy.load(changed, original.table()));
            a.send("GET k\r\n");
            assertThat(a.line())
                    .isEqualTo("-ERR gateway: the roles file changed this user's upstream identity; reconnect");
            // a command large enough to be streamed is checked the same way, on its head, before any byte of it
            // goes upstream (the value need not even arrive)
            streaming.send("*2\r\n$4\r\nECHO\r\n$70000\r\nxxx");
            assertThat(streaming.line())
                    .isEqualTo("-ERR gateway: the roles file changed this user's upstream identity; reconnect");
            b.send("PING\r\n");
            assertThat(b.line()).isEqualTo("+PONG"); // the writers' identity did not change
            try (RawClient again = client()) {
                assertThat(auth(again, alice)).isEqualTo("+OK");
                assertThat(setReply(again, "k")).isEqualTo("+OK"); // now the writer identity
            }
        } finally {
            access.install(original);
        }
    }

    @Test
    void aUserWhoseRolesNameDifferentIdentitiesIsRefused() throws Exception {
        try (RawClient c = client()) {
            assertThat(auth(c, carol)).startsWith("-WRONGPASS");
            c.send("GET k\r\n");
            assertThat(c.line()).startsWith("-NOAUTH");
        }
    }

    static int count(ManagedIdentity mi) {
        AtomicInteger n = miTokens.get(mi.objectId());
        return n == null ? 0 : n.get();
    }

    static long redisAuthCalls() {
        String stats = redis.cli().callString("INFO", "commandstats");
        return stats.lines()
                .filter(l -> l.startsWith("cmdstat_auth:"))
                .map(l -> l.replaceAll("^cmdstat_auth:calls=(\\d+).*$", "$1").trim())
                .mapToLong(Long::parseLong)
                .findFirst()
                .orElse(0);
    }
}
