package io.github.redisentra.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.redisentra.emulator.IssuedToken;
import io.github.redisentra.emulator.TokenEventListener;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisErrorReply;
import io.github.redisentra.testkit.RedisServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code connect --cache} straight to an Azure cache stand-in that accepts only the user's currently valid tokens and
 * closes a connection when the token it authenticated with expires, with short user tokens for {@code
 * https://redis.azure.com} (the emulator's per-resource lifetime) and the command's default renewal schedule (no test
 * policy): an interactive redis-cli, an INCR loop and a RESP2 subscriber keep working across renewals and past the
 * first token's expiry, nothing lost, no connection cut. By default 12 s tokens for 15 s; {@code
 * -Dredisentra.cli.longRun=true}: 20 s tokens for 130 s (issue #20's acceptance run).
 */
class ConnectCacheIT {
    @TempDir
    static Path home;

    static CliHarness h;
    static RedisServer redis;
    static AzureCacheStandIn cache;
    static Path aliceCache;
    static final AtomicInteger redisTokens = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        h = new CliHarness(home, b -> {});
        h.tenant.resourceTokenLifetime(SignInOptions.REDIS_SCOPE, RenewalDrill.TOKEN_LIFETIME);
        h.emu.addTokenListener(new TokenEventListener() {
            @Override
            public void onIssued(IssuedToken token) {
                if (token.audience().equals(AzureCacheStandIn.REDIS_AUDIENCE)
                        && h.alice.objectId().equals(token.subjectObjectId())) {
                    redisTokens.incrementAndGet();
                }
            }
        });
        redis = RedisServer.builder().tls().name("cli-cache-it").start();
        cache = AzureCacheStandIn.builder(redis)
                .objectId(h.alice.objectId())
                .cutAtExpiry()
                .build()
                .watch(h.emu);
        aliceCache = home.resolve("alice-cache");
        CliHarness.Run login = h.run(env(), c -> {}, "login", "--scope", h.api.defaultScope());
        assertThat(login.exitCode()).as("%s", login).isZero();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {cache, redis, h}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    static Map<String, String> env() {
        Map<String, String> env = h.env();
        env.put("REDIS_ENTRA_CACHE_DIR", aliceCache.toString());
        return env;
    }

    /** {@code connect --cache} to the stand-in's front port, in the background until the tunnel is closed. */
    static ConnectIT.Running connect() throws Exception {
        CompletableFuture<Tunnel> listening = new CompletableFuture<>();
        CompletableFuture<CliHarness.Run> run = CompletableFuture.supplyAsync(() -> h.run(
                env(),
                c -> c.onListening = listening::complete,
                "connect",
                "--listen",
                "127.0.0.1:0",
                "--cache",
                "localhost:" + cache.tlsPort(),
                "--upstream-ca-file",
                redis.caFile().toString()));
        CompletableFuture.anyOf(listening, run).get(60, TimeUnit.SECONDS);
        if (!listening.isDone()) {
            throw new AssertionError("connect ended: " + run.get());
        }
        return new ConnectIT.Running(listening.get(), run);
    }

    @Test
    void redisCliAnIncrLoopAndASubscriberLoseNothingAcrossRenewals() throws Exception {
        int tokensBefore = redisTokens.get();
        try (ConnectIT.Running tunnel = connect();
                RedisCli counter = RedisCli.connect("127.0.0.1", tunnel.port());
                RedisCli subscriber = RedisCli.connect("127.0.0.1", tunnel.port())) {
            Process cli = new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(tunnel.port()))
                    .redirectErrorStream(true)
                    .start();
            int n = RenewalDrill.run(redis, counter, "cache:counter", subscriber, "cache", cli, RenewalDrill.RUN_FOR);
            assertThat(redis.cli().callString("GET", "cache:interactive")).isEqualTo(Integer.toString(n));
        }
        // the run outlived the first token; the cache closes a connection whose token expired without a re-AUTH
        assertThat(RenewalDrill.RUN_FOR).isGreaterThan(RenewalDrill.TOKEN_LIFETIME);
        assertThat(cache.connectionsCut()).isZero();
        // the token of the start-up check and at least two renewals
        assertThat(redisTokens.get() - tokensBefore).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aTransactionHeldOpenPastTheTokensExpiryIsClosedWithTheRightReason() throws Exception {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        ch.qos.logback.classic.Logger tunnelLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Tunnel.class);
        tunnelLog.addAppender(logged);
        try (ConnectIT.Running tunnel = connect();
                RedisCli c = RedisCli.connect("127.0.0.1", tunnel.port())) {
            assertThat(c.call("MULTI")).isEqualTo("OK");
            assertThat(c.call("INCR", "cache:multi")).isEqualTo("QUEUED");
            // renewals are deferred inside MULTI: the session is closed before its upstream token expires
            assertThatThrownBy(c::readNext)
                    .isInstanceOf(RedisErrorReply.class)
                    .hasMessageContaining("could not be re-authenticated");
        } finally {
            tunnelLog.detachAppender(logged);
        }
        List<String> errors = logged.list.stream()
                .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage)
                .toList();
        assertThat(errors)
                .singleElement()
                .asString()
                .contains("upstream token was about to expire before a renewed token was accepted")
                .contains("MULTI")
                .doesNotContain("refused");
        assertThat(redis.cli().call("GET", "cache:multi")).isNull();
    }
}
