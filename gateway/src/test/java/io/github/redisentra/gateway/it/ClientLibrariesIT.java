package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.GatewayServer;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Transaction;

/** redis-cli, Jedis and Lettuce through the gateway against a TLS redis-server accepting only the gateway's tokens. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClientLibrariesIT {
    /** Generous: paranoid leak detection on a loaded 2-core machine makes big pipelines slow; not a timing test. */
    private static final int JEDIS_TIMEOUT_MS = 15_000;

    static GatewayHarness h;
    static GatewayServer gw;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Duration.ofMinutes(10), false);
        gw = h.startGateway(GatewayHarness.sessionSettings(), new CountingEvents());
        port = gw.localAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    private static String redisCli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    @Test
    void redisCliWithTheTokenAsPassword() throws Exception {
        String jwt = h.token(h.alice);
        assertThat(redisCli("--no-auth-warning", "-a", jwt, "SET", "cli:a", "1"))
                .isEqualTo("OK");
        assertThat(redisCli("--no-auth-warning", "-a", jwt, "GET", "cli:a")).isEqualTo("1");
        assertThat(redisCli("--no-auth-warning", "-a", "not-a-token", "GET", "cli:a"))
                .contains("WRONGPASS")
                .doesNotContain("not-a-token");
    }

    @Test
    void redisCliWithTheObjectIdAsUser() throws Exception {
        String jwt = h.token(h.alice);
        assertThat(redisCli("--no-auth-warning", "--user", h.alice.objectId(), "-a", jwt, "INCR", "cli:n"))
                .matches("\\d+");
        assertThat(redisCli("--no-auth-warning", "--user", h.bob.objectId(), "-a", jwt, "GET", "cli:n"))
                .contains("WRONGPASS");
    }

    @Test
    void redisCliHello3Auth() throws Exception {
        String out = redisCli("HELLO", "3", "AUTH", "default", h.token(h.alice));
        assertThat(out).contains("proto").contains("3").contains("server");
        assertThat(redisCli("-3", "--no-auth-warning", "-a", h.token(h.alice), "PING"))
                .isEqualTo("PONG");
    }

    @Test
    void jedisStringsPipelineTransactionAndSelect() {
        try (Jedis jedis = new Jedis(
                new HostAndPort("127.0.0.1", port),
                DefaultJedisClientConfig.builder()
                        .socketTimeoutMillis(JEDIS_TIMEOUT_MS)
                        .password(h.token(h.alice))
                        .build())) {
            assertThat(jedis.set("jedis:a", "v")).isEqualTo("OK");
            assertThat(jedis.get("jedis:a")).isEqualTo("v");

            Pipeline p = jedis.pipelined();
            for (int i = 0; i < 10_000; i++) {
                p.set("jedis:p:" + i, Integer.toString(i));
                p.get("jedis:p:" + i);
            }
            List<Object> replies = p.syncAndReturnAll();
            assertThat(replies).hasSize(20_000);
            for (int i = 0; i < 10_000; i++) {
                assertThat(replies.get(2 * i)).isEqualTo("OK");
                assertThat(replies.get(2 * i + 1)).isEqualTo(Integer.toString(i));
            }

            Transaction t = jedis.multi();
            t.incr("jedis:tx");
            t.incr("jedis:tx");
            List<Object> exec = t.exec();
            assertThat(exec).hasSize(2);
            assertThat((Long) exec.get(1)).isEqualTo((Long) exec.get(0) + 1);

            jedis.select(3);
            jedis.set("jedis:db3", "three");
            jedis.select(0);
            assertThat(jedis.get("jedis:db3")).isNull();
            jedis.select(3);
            assertThat(jedis.get("jedis:db3")).isEqualTo("three");
        }
    }

    @Test
    void jedisOverATlsListener() throws Exception {
        io.github.redisentra.testkit.TestCertificateAuthority ca =
                io.github.redisentra.testkit.TestCertificateAuthority.create("gateway-listener-ca");
        io.github.redisentra.testkit.TestCertificate cert = ca.issueServerCertificate();
        io.netty.handler.ssl.SslContext serverTls = io.netty.handler.ssl.SslContextBuilder.forServer(
                        cert.privateKey(), cert.chain().toArray(new java.security.cert.X509Certificate[0]))
                .sslProvider(io.github.redisentra.gateway.tls.TlsContexts.provider())
                .build();
        GatewayServer tlsGateway = h.startGateway(GatewayHarness.sessionSettings(), new CountingEvents(), serverTls);
        try (Jedis jedis = new Jedis(
                new HostAndPort("localhost", tlsGateway.localAddress().getPort()),
                DefaultJedisClientConfig.builder()
                        .socketTimeoutMillis(JEDIS_TIMEOUT_MS)
                        .ssl(true)
                        .sslSocketFactory(ca.trustingSslContext().getSocketFactory())
                        .password(h.token(h.alice))
                        .build())) {
            assertThat(jedis.set("tls:a", "1")).isEqualTo("OK");
            assertThat(jedis.get("tls:a")).isEqualTo("1");
        }
    }

    @Test
    void clientTrackingInvalidationsArriveAsPushesOnResp3() throws Exception {
        try (RawClient c = new RawClient(port);
                RawClient writer = new RawClient(port)) {
            String t = h.token(h.alice);
            c.send("HELLO 3 AUTH default " + t + "\r\n");
            while (!c.line().equals("modules")) {
                // skip the HELLO map
            }
            assertThat(c.line()).isEqualTo("*0");
            c.send("CLIENT TRACKING ON\r\nGET track:k\r\n");
            assertThat(c.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo("_");
            writer.send("AUTH " + t + "\r\nSET track:k 1\r\n");
            assertThat(writer.line()).isEqualTo("+OK");
            assertThat(writer.line()).isEqualTo("+OK");
            assertThat(c.line()).isEqualTo(">2");
            assertThat(c.line()).isEqualTo("$10");
            assertThat(c.line()).isEqualTo("invalidate");
            assertThat(c.line()).isEqualTo("*1");
            c.line();
            assertThat(c.line()).isEqualTo("track:k");
            c.send("PING\r\n");
            assertThat(c.line()).isEqualTo("+PONG");
        }
    }

    @Test
    void jedisPubSubOnResp2() throws Exception {
        DefaultJedisClientConfig cfg = DefaultJedisClientConfig.builder()
                .socketTimeoutMillis(JEDIS_TIMEOUT_MS)
                .password(h.token(h.alice))
                .build();
        List<String> received = new CopyOnWriteArrayList<>();
        JedisPubSub sub = new JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                received.add(message);
                if (received.size() == 3) {
                    unsubscribe();
                }
            }
        };
        try (Jedis subscriber = new Jedis(new HostAndPort("127.0.0.1", port), cfg);
                Jedis publisher = new Jedis(new HostAndPort("127.0.0.1", port), cfg)) {
            CompletableFuture<Void> done = CompletableFuture.runAsync(() -> subscriber.subscribe(sub, "news2"));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> publisher.pubsubNumSub("news2").getOrDefault("news2", 0L) == 1L);
            publisher.publish("news2", "m1");
            publisher.publish("news2", "m2");
            publisher.publish("news2", "m3");
            done.get(20, TimeUnit.SECONDS);
            assertThat(received).containsExactly("m1", "m2", "m3");
            // after leaving subscribe mode the connection answers ordinary commands in order again
            assertThat(subscriber.ping()).isEqualTo("PONG");
            subscriber.set("after-sub", "x");
            assertThat(subscriber.get("after-sub")).isEqualTo("x");
        }
    }

    private static RedisClient lettuce(ProtocolVersion protocol, String user, String jwt) {
        RedisClient client = RedisClient.create(RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(port)
                .withAuthentication(user, jwt)
                .withTimeout(Duration.ofSeconds(20))
                .build());
        client.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
        return client;
    }

    @Test
    void lettuceResp3StringsBlpopAndPubSub() throws Exception {
        RedisClient client = lettuce(ProtocolVersion.RESP3, "default", h.token(h.alice));
        try (StatefulRedisConnection<String, String> c = client.connect();
                StatefulRedisConnection<String, String> other = client.connect();
                StatefulRedisPubSubConnection<String, String> ps = client.connectPubSub()) {
            assertThat(c.sync().set("lettuce:a", "1")).isEqualTo("OK");
            assertThat(c.sync().get("lettuce:a")).isEqualTo("1");

            c.sync().del("lettuce:list");
            var pending = c.async().blpop(10, "lettuce:list");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> other.sync().clientList().contains("cmd=blpop"));
            other.sync().rpush("lettuce:list", "x");
            KeyValue<String, String> kv = pending.get(20, TimeUnit.SECONDS);
            assertThat(kv.getValue()).isEqualTo("x");

            List<String> messages = new CopyOnWriteArrayList<>();
            ps.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    messages.add(message);
                }
            });
            ps.sync().subscribe("news3");
            assertThat(ps.sync().ping()).isEqualTo("PONG"); // RESP3: commands work while subscribed
            other.sync().publish("news3", "hello");
            other.sync().publish("news3", "world");
            await().atMost(Duration.ofSeconds(10)).until(() -> messages.size() == 2);
            assertThat(messages).containsExactly("hello", "world");
            ps.sync().unsubscribe("news3");
        } finally {
            client.shutdown();
        }
    }

    @Test
    void lettuceResp2PubSub() throws Exception {
        RedisClient client = lettuce(ProtocolVersion.RESP2, h.alice.objectId(), h.token(h.alice));
        try (StatefulRedisConnection<String, String> c = client.connect();
                StatefulRedisPubSubConnection<String, String> ps = client.connectPubSub()) {
            List<String> messages = new CopyOnWriteArrayList<>();
            ps.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String pattern, String channel, String message) {
                    messages.add(channel + "=" + message);
                }
            });
            ps.sync().psubscribe("p2.*");
            c.sync().publish("p2.a", "1");
            c.sync().publish("p2.b", "2");
            await().atMost(Duration.ofSeconds(10)).until(() -> messages.size() == 2);
            assertThat(messages).containsExactly("p2.a=1", "p2.b=2");
            ps.sync().punsubscribe("p2.*");
            assertThat(c.sync().ping()).isEqualTo("PONG");
        } finally {
            client.shutdown();
        }
    }
}
