package io.github.redisentra.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.UpstreamClientNameSource;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The names {@link UpstreamClientName} derives, sent as its exact frame to a real redis-server: accepted whatever the
 * user's name holds, shown by {@code CLIENT LIST} and answered by {@code CLIENT GETNAME} unchanged.
 */
class UpstreamClientNameIT {
    static RedisServer redis;

    @BeforeAll
    static void start() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void redisAcceptsEveryDerivedNameAndListsIt() {
        List<Principal> users = List.of(
                new Principal(
                        "4f6c0000-0000-4000-8000-000000000001",
                        "tid",
                        "Jürgen Groß / ops 100%\r\n",
                        Instant.MAX,
                        Set.of(),
                        Set.of()),
                new Principal("jdoe", null, "cn=John Doe,ou=people,dc=example,dc=com", Instant.MAX, Set.of(), Set.of()),
                new Principal("x".repeat(500), "tid", "\u0000\u0007\"'`$(rm -rf)", Instant.MAX, Set.of(), Set.of()));
        try (RedisCli cli = RedisCli.connect("127.0.0.1", redis.port())) {
            assertThat(cli.callString("AUTH", redis.adminUsername(), redis.adminPassword()))
                    .isEqualTo("OK");
            for (Principal p : users) {
                for (UpstreamClientNameSource s :
                        List.of(UpstreamClientNameSource.OID, UpstreamClientNameSource.NAME)) {
                    String name = UpstreamClientName.of(s, p, "worker-1".getBytes(StandardCharsets.US_ASCII));
                    Object reply = cli.sendRaw(UpstreamClientName.setNameFrame(name));
                    assertThat(String.valueOf(reply)).as(name).isEqualTo("OK");
                    assertThat(cli.callString("CLIENT", "GETNAME")).isEqualTo(name);
                    assertThat(cli.callString("CLIENT", "LIST", "ID", String.valueOf(cli.call("CLIENT", "ID"))))
                            .contains(" name=" + name + " ");
                }
            }
        }
    }
}
