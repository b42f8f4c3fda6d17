package io.github.redisentra.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.redisentra.gateway.session.GatewayEvents;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code redis-entra token} as samples/README.md shows it replacing the former {@code redis-cli-token.sh}: the token
 * handed to the real {@code redis-cli} through {@code REDISCLI_AUTH} (never on its command line), against the gateway
 * (TLS listener) and straight against a TLS Azure cache stand-in with {@code --user "$(redis-entra token
 * --username)"}; a user the cache does not know is refused.
 */
@Timeout(60)
class TokenForRedisCliIT extends SignedInGatewayITBase {

    @BeforeAll
    static void start() throws Exception {
        h = new CliHarness(home, b -> {});
        startGateway("token-it", List.of(h.api.clientId(), h.api.appIdUri()), null, new GatewayEvents() {});
    }

    /** {@code $(redis-entra token args...)}: its standard output, one line. */
    static String token(Path cacheDir, String... args) {
        List<String> all = new ArrayList<>(List.of("token"));
        all.addAll(List.of(args));
        CliHarness.Run r = h.run(h.env(cacheDir), c -> {}, all.toArray(String[]::new));
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.out().lines()).as("one line on stdout").hasSize(1);
        return r.out().strip();
    }

    /** {@code REDISCLI_AUTH=<password> redis-cli --tls --cacert <ca> -h localhost -p <port> args...}. */
    static String redisCli(String password, int port, String... args) throws Exception {
        assumeTrue(onPath("redis-cli"), "redis-cli (Debian: redis-tools) is needed for this test");
        List<String> cmd = new ArrayList<>(List.of(
                "redis-cli", "--tls", "--cacert", redis.caFile().toString(), "-h", "localhost", "-p", "" + port));
        cmd.addAll(List.of(args));
        assertThat(String.join(" ", cmd)).as("the command line").doesNotContain(password);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("REDISCLI_AUTH", password);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out.contains(password))
                .as("redis-cli output contains the token")
                .isFalse();
        return out;
    }

    @Test
    void redisCliAuthFromTheTokenCommandReachesTheGateway() throws Exception {
        String token = token(aliceCache, "--scope", h.api.defaultScope());
        int port = gateway.localAddress().getPort();
        assertThat(redisCli(token, port, "SET", "token-it:gw", "via-gateway")).isEqualTo("OK");
        assertThat(redis.cli().callString("GET", "token-it:gw")).isEqualTo("via-gateway");
        // eve signs in fine, but is not in the gateway's group
        String eves = token(eveCache, "--scope", h.api.defaultScope());
        assertThat(redisCli(eves, port, "PING")).contains("WRONGPASS").doesNotContain("PONG");
    }

    @Test
    void redisCliAuthAndUsernameFromTheTokenCommandReachAnAzureCache() throws Exception {
        String token = token(aliceCache);
        String user = token(aliceCache, "--username");
        assertThat(user).isEqualTo(h.alice.objectId());
        assertThat(redisCli(token, redis.tlsPort(), "--user", user, "SET", "token-it:cache", "direct"))
                .isEqualTo("OK");
        assertThat(redis.cli().callString("GET", "token-it:cache")).isEqualTo("direct");
        // the cache knows alice only: eve's own token, with her own object id, is refused
        String eves = token(eveCache);
        String eve = token(eveCache, "--username");
        // (this stand-in's redis-server keeps its default user, so redis-cli goes on as that one after the refusal)
        assertThat(redisCli(eves, redis.tlsPort(), "--user", eve, "PING")).startsWith("AUTH failed: WRONGPASS");
    }

    static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null
                && Stream.of(path.split(File.pathSeparator)).anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }
}
