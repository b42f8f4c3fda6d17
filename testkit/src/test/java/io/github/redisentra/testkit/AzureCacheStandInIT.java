package io.github.redisentra.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The stand-in fed through its explicit {@code accept} API (the emulator path is in {@code StandInEmulatorIT}). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AzureCacheStandInIT {

    private static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.builder()
                .tls()
                .disableDefaultUser()
                .name("azure-cache")
                .start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void identityWithoutTokensIsRefused() {
        String oid = UUID.randomUUID().toString();
        try (AzureCacheStandIn cache =
                        AzureCacheStandIn.builder(redis).objectId(oid).build();
                RedisCli client = redis.connect()) {
            assertThat(cache.validTokenCount()).isZero();
            assertThatThrownBy(() -> client.call("AUTH", oid, "anything")).hasMessageStartingWith("WRONGPASS");
        }
    }

    @Test
    void freshTokenIsAcceptedAndExpiredOneIsRefused() {
        String oid = UUID.randomUUID().toString();
        String fresh = "fresh-" + UUID.randomUUID();
        String stale = "stale-" + UUID.randomUUID();
        try (AzureCacheStandIn cache =
                        AzureCacheStandIn.builder(redis).objectId(oid).build();
                RedisCli client = redis.connect()) {
            assertThat(cache.accept(oid, fresh, Instant.now().plusSeconds(600))).isTrue();
            assertThat(cache.accept(oid, stale, Instant.now().minusSeconds(1))).isFalse();

            assertThatThrownBy(() -> client.call("AUTH", oid, stale))
                    .isInstanceOfSatisfying(
                            RedisErrorReply.class,
                            e -> assertThat(e.getMessage())
                                    .isEqualTo("WRONGPASS invalid username-password pair or user is disabled."));
            assertThat(client.call("AUTH", oid, fresh)).isEqualTo("OK");
            assertThat(client.call("ACL", "WHOAMI")).isEqualTo(oid);
            assertThat(client.call("SET", "k", "v")).isEqualTo("OK");
        }
    }

    @Test
    void severalTokensAreValidAtOnceAndEachIsRemovedAtItsExpiry() {
        String oid = UUID.randomUUID().toString();
        String shortLived = "short-" + UUID.randomUUID();
        String longLived = "long-" + UUID.randomUUID();
        try (AzureCacheStandIn cache =
                        AzureCacheStandIn.builder(redis).objectId(oid).build();
                RedisCli client = redis.connect()) {
            cache.accept(oid, shortLived, Instant.now().plusSeconds(2));
            cache.accept(oid, longLived, Instant.now().plusSeconds(600));
            assertThat(cache.validTokenCount()).isEqualTo(2);
            assertThat(client.call("AUTH", oid, shortLived)).isEqualTo("OK");

            await().atMost(Duration.ofSeconds(30)).until(() -> cache.validTokenCount() == 1);
            assertThatThrownBy(() -> client.call("AUTH", oid, shortLived)).hasMessageStartingWith("WRONGPASS");
            assertThat(client.call("AUTH", oid, longLived)).isEqualTo("OK");
        }
    }

    @Test
    void tokenValuesNeverAppearInLogsOnlyTheirFingerprints() {
        String oid = UUID.randomUUID().toString();
        String token = "secret-" + UUID.randomUUID();
        Logger logger = (Logger) LoggerFactory.getLogger(AzureCacheStandIn.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try (AzureCacheStandIn cache =
                AzureCacheStandIn.builder(redis).objectId(oid).build()) {
            cache.accept(oid, token, Instant.now().plusSeconds(600));
            // Someone else wipes the passwords: removing ours now fails, and Redis's error quotes the token.
            redis.cli().call("ACL", "SETUSER", oid, "resetpass");
            cache.expire(oid, token);
        } finally {
            logger.detachAppender(logs);
        }
        List<String> messages =
                logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(messages).anySatisfy(m -> assertThat(m).contains("could not remove expired token"));
        assertThat(messages).anySatisfy(m -> assertThat(m).contains(AzureCacheStandIn.fingerprintOf(token)));
        assertThat(String.join("\n", messages)).doesNotContain(token);
    }

    @Test
    void cutAtExpiryClosesExactlyTheConnectionsUsingTheExpiredToken() {
        String oid = UUID.randomUUID().toString();
        String expiring = "expiring-" + UUID.randomUUID();
        String lasting = "lasting-" + UUID.randomUUID();
        try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                        .objectId(oid)
                        .cutAtExpiry()
                        .build();
                RedisCli stays = RedisCli.connect(redis.host(), cache.port());
                RedisCli reauthed = RedisCli.connect(redis.host(), cache.port());
                RedisCli staleReauth = RedisCli.connect(redis.host(), cache.port());
                RedisCli viaHello = RedisCli.connectTls(redis.host(), cache.tlsPort(), redis.trustingSslContext());
                RedisCli direct = redis.connect()) {
            cache.accept(oid, expiring, Instant.now().plusSeconds(3));
            cache.accept(oid, lasting, Instant.now().plusSeconds(600));

            assertThat(stays.call("AUTH", oid, expiring)).isEqualTo("OK");
            assertThat(reauthed.call("AUTH", oid, expiring)).isEqualTo("OK");
            assertThat(reauthed.call("AUTH", oid, lasting)).isEqualTo("OK");
            // Re-AUTH with the same old token (a cached-token bug) must not save the connection.
            assertThat(staleReauth.call("AUTH", oid, lasting)).isEqualTo("OK");
            assertThat(staleReauth.call("AUTH", oid, expiring)).isEqualTo("OK");
            assertThat(viaHello.call("HELLO", "3", "AUTH", oid, expiring)).isInstanceOf(Map.class);
            assertThat(direct.call("AUTH", oid, expiring)).isEqualTo("OK");

            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            stays.isClosedByServer() && staleReauth.isClosedByServer() && viaHello.isClosedByServer());
            assertThat(cache.connectionsCut()).isEqualTo(3);
            assertThat(reauthed.call("PING")).isEqualTo("PONG");
            assertThat(reauthed.call("ACL", "WHOAMI")).isEqualTo(oid);
            // Redis itself never cuts: the direct connection is still authenticated (documented limit).
            assertThat(direct.call("PING")).isEqualTo("PONG");
            try (RedisCli late = RedisCli.connect(redis.host(), cache.port())) {
                assertThatThrownBy(() -> late.call("AUTH", oid, expiring)).hasMessageStartingWith("WRONGPASS");
            }
        }
    }

    @Test
    void closingTheStandInRemovesItsTokens() {
        String oid = UUID.randomUUID().toString();
        String token = "t-" + UUID.randomUUID();
        AzureCacheStandIn cache = AzureCacheStandIn.builder(redis).objectId(oid).build();
        cache.accept(oid, token, Instant.now().plusSeconds(600));
        try (RedisCli client = redis.connect()) {
            assertThat(client.call("AUTH", oid, token)).isEqualTo("OK");
            cache.close();
            assertThatThrownBy(() -> client.call("AUTH", oid, token)).hasMessageStartingWith("WRONGPASS");
        }
    }

    @Test
    void reapplyRestoresTheIdentityAfterARestart() {
        try (RedisServer own = RedisServer.builder().disableDefaultUser().start()) {
            String oid = UUID.randomUUID().toString();
            String token = "t-" + UUID.randomUUID();
            try (AzureCacheStandIn cache =
                    AzureCacheStandIn.builder(own).objectId(oid).build()) {
                cache.accept(oid, token, Instant.now().plusSeconds(600));
                own.restart();
                try (RedisCli client = own.connect()) {
                    assertThatThrownBy(() -> client.call("AUTH", oid, token)).hasMessageStartingWith("WRONGPASS");
                    cache.reapply();
                    assertThat(client.call("AUTH", oid, token)).isEqualTo("OK");
                }
            }
        }
    }

    @Test
    void frontDoorForwardsPipelinedAndInlineCommands() {
        String oid = UUID.randomUUID().toString();
        String token = "t-" + UUID.randomUUID();
        try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                        .objectId(oid)
                        .cutAtExpiry()
                        .build();
                RedisCli client = RedisCli.connect(redis.host(), cache.port())) {
            cache.accept(oid, token, Instant.now().plusSeconds(600));
            assertThat(client.sendRaw(("AUTH " + oid + " " + token + "\r\n").getBytes()))
                    .isEqualTo("OK");
            byte[] pipeline = concat(
                    RedisCli.encode("SET", "pipelined", "1"),
                    RedisCli.encode("INCR", "pipelined"),
                    RedisCli.encode("GET", "pipelined"));
            assertThat(client.sendRaw(pipeline)).isEqualTo("OK");
            assertThat(List.of(client.readNext(), client.readNext())).containsExactly(2L, "2");
        }
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
