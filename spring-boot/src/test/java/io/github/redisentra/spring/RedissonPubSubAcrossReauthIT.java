package io.github.redisentra.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.core.RefreshPolicy;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.github.redisentra.testkit.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.redisson.Redisson;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

/**
 * Messages a real redis-server hands to a Redisson subscriber around the reply to a re-AUTH must reach the listener. A
 * loopback forwarder between Redisson and redis-server can hold either direction of the subscribed connection, so the
 * test decides the order and the cuts of the bytes Redisson reads: first a message that arrives while the renewal's
 * {@code AUTH} is still waiting for its reply, then (at the next renewal) the {@code +OK} with a whole message and a
 * second one cut before its last bytes. Redisson 4.7.0's pub/sub decoder alone drops the message in each case;
 * {@link RedissonPubSubFraming} (installed by {@link RedissonEntraCredentialsResolver#applyTo}) keeps them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedissonPubSubAcrossReauthIT {

    @Test
    void messagesAroundTheReplyToAReauthReachTheListener() throws Exception {
        Semaphore permits = new Semaphore(1);
        AtomicInteger issued = new AtomicInteger();
        TokenSource source = new TokenSource() {
            @Override
            public AccessToken getToken(boolean forceRefresh) throws Exception {
                permits.acquire();
                Instant now = Instant.now();
                return AccessToken.opaque("token-" + issued.incrementAndGet(), now, now.plus(Duration.ofHours(1)));
            }

            @Override
            public String describe() {
                return "test source";
            }
        };
        try (RedisServer redis = RedisServer.builder()
                        .userWithRules("app", "on >token-1 >token-2 >token-3 ~* &* +@all")
                        .disableDefaultUser()
                        .start();
                TokenRefresher refresher = TokenRefresher.builder(source)
                        .policy(RefreshPolicy.builder()
                                .minimumDelay(Duration.ofMillis(50))
                                .build())
                        .build();
                RedissonEntraCredentialsResolver credentials = RedissonEntraCredentialsResolver.builder(refresher)
                        .username("app")
                        .build();
                HoldingForwarder forwarder = new HoldingForwarder(redis.port())) {
            Config config = new Config().setThreads(2).setNettyThreads(2).setCodec(StringCodec.INSTANCE);
            config.useSingleServer()
                    .setAddress("redis://" + RedisServer.HOST + ":" + forwarder.port())
                    .setConnectionMinimumIdleSize(1)
                    .setConnectionPoolSize(2)
                    .setSubscriptionConnectionMinimumIdleSize(1)
                    .setSubscriptionConnectionPoolSize(1)
                    .setPingConnectionInterval(0); // only the renewals' AUTH on the subscribed connection
            credentials.applyTo(config);
            RedissonClient redisson = Redisson.create(config);
            try {
                List<String> received = new CopyOnWriteArrayList<>();
                RTopic topic = redisson.getTopic("news");
                topic.addListener(String.class, (channel, message) -> received.add(message));
                assertThat(forwarder.subscriber).isNotNull();

                // 1. A message ahead of the AUTH reply: the AUTH is kept from the server while "a" goes through.
                forwarder.holdCommands(true);
                renew(permits, refresher, () -> forwarder.heldCommands().contains("AUTH"));
                assertThat(topic.publish("a")).as("subscribers PUBLISH reached").isEqualTo(1);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> forwarder.passedToSubscriber().endsWith("$1\r\na\r\n"));
                forwarder.holdCommands(false); // the AUTH goes on; its +OK comes back behind "a"
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> forwarder.passedToSubscriber().endsWith("+OK\r\n"));

                // 2. The next AUTH's +OK, a whole message and a message cut before its last bytes, in one read.
                forwarder.holdReplies(true);
                renew(permits, refresher, () -> forwarder.heldReplies().startsWith("+OK\r\n"));
                assertThat(topic.publish("b")).as("subscribers PUBLISH reached").isEqualTo(1);
                assertThat(topic.publish("c")).as("subscribers PUBLISH reached").isEqualTo(1);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> forwarder.heldReplies().endsWith("$1\r\nc\r\n"));
                forwarder.releaseRepliesInTwoWrites(3);

                await().atMost(Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThat(received).containsExactly("a", "b", "c"));
            } finally {
                redisson.shutdown();
            }
        }
    }

    /** Lets the source issue one more token and has the refresher fetch it until {@code seen} holds. */
    private static void renew(Semaphore permits, TokenRefresher refresher, Callable<Boolean> seen) {
        permits.release();
        // refreshNow() is coalesced with an attempt still finishing; ask until the renewal shows.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            refresher.refreshNow();
            return seen.call();
        });
    }

    /**
     * Forwards bytes between clients and a server on loopback, and can hold back either direction of the one
     * subscribed connection (the one that sent {@code SUBSCRIBE}).
     */
    static final class HoldingForwarder implements AutoCloseable {
        volatile Socket subscriber;
        private final int serverPort;
        private final ServerSocket listener;
        private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "holding-forwarder");
            t.setDaemon(true);
            return t;
        });
        private final Map<Socket, Socket> upstreamOf = new ConcurrentHashMap<>();
        private final ByteArrayOutputStream heldCommands = new ByteArrayOutputStream();
        private final ByteArrayOutputStream heldReplies = new ByteArrayOutputStream();
        private final ByteArrayOutputStream passedToSubscriber = new ByteArrayOutputStream();
        private boolean holdingCommands;
        private boolean holdingReplies;

        HoldingForwarder(int serverPort) throws IOException {
            this.serverPort = serverPort;
            this.listener = new ServerSocket(0, 50, InetAddress.getByName(RedisServer.HOST));
            threads.execute(this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        synchronized String heldCommands() {
            return heldCommands.toString(StandardCharsets.UTF_8);
        }

        synchronized String heldReplies() {
            return heldReplies.toString(StandardCharsets.UTF_8);
        }

        synchronized String passedToSubscriber() {
            return passedToSubscriber.toString(StandardCharsets.UTF_8);
        }

        /** Holds what the subscriber sends; false sends what was held and forwards again. */
        synchronized void holdCommands(boolean hold) throws IOException {
            holdingCommands = hold;
            if (!hold) {
                OutputStream out = upstreamOf.get(subscriber).getOutputStream();
                heldCommands.writeTo(out);
                out.flush();
                heldCommands.reset();
            }
        }

        synchronized void holdReplies(boolean hold) {
            holdingReplies = hold;
        }

        /** Writes the held replies but the last {@code tail} bytes, then those in a write of their own; stops holding. */
        synchronized void releaseRepliesInTwoWrites(int tail) throws Exception {
            byte[] bytes = heldReplies.toByteArray();
            heldReplies.reset();
            holdingReplies = false;
            OutputStream out = subscriber.getOutputStream();
            out.write(bytes, 0, bytes.length - tail);
            out.flush();
            Thread.sleep(200); // pacing the wire: the tail must reach the client as a read of its own
            out.write(bytes, bytes.length - tail, tail);
            out.flush();
        }

        private void accept() {
            try {
                while (true) {
                    Socket client = listener.accept();
                    Socket server = new Socket();
                    server.connect(new InetSocketAddress(RedisServer.HOST, serverPort), 10_000);
                    client.setTcpNoDelay(true);
                    server.setTcpNoDelay(true);
                    upstreamOf.put(client, server);
                    threads.execute(() -> pump(client, server, client, true));
                    threads.execute(() -> pump(server, client, client, false));
                }
            } catch (IOException e) {
                // closed
            }
        }

        private void pump(Socket from, Socket to, Socket client, boolean fromClient) {
            try (from;
                    to) {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                byte[] buf = new byte[16 * 1024];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (this) { // one writer at a time, in order with the releases
                        if (fromClient && new String(buf, 0, n, StandardCharsets.UTF_8).contains("SUBSCRIBE")) {
                            subscriber = client;
                        }
                        boolean held = client == subscriber && (fromClient ? holdingCommands : holdingReplies);
                        if (held) {
                            (fromClient ? heldCommands : heldReplies).write(buf, 0, n);
                        } else {
                            out.write(buf, 0, n);
                            out.flush();
                            if (!fromClient && client == subscriber) {
                                passedToSubscriber.write(buf, 0, n);
                            }
                        }
                    }
                }
            } catch (IOException e) {
                // a closed side ends both directions
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            threads.shutdownNow();
            for (Map.Entry<Socket, Socket> pair : upstreamOf.entrySet()) {
                pair.getKey().close();
                pair.getValue().close();
            }
        }
    }
}
