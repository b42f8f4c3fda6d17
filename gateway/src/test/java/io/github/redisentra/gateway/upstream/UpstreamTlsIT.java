package io.github.redisentra.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.tls.TlsContexts;
import io.github.redisentra.gateway.tls.TrustMaterial;
import io.github.redisentra.testkit.RedisServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The upstream TLS context from {@link TlsContexts} (OpenSSL where its native library loads, which the gateway
 * ships for linux-x86_64) against a real TLS redis-server: it still verifies the cache's host name, and later
 * connections to the same cache resume the TLS session.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamTlsIT {
    static RedisServer redis;
    static EventLoopGroup group;
    static SslContext tls;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.builder().tlsOnly().name("upstream-tls-it").start();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        tls = TrustMaterial.load(Optional.of(redis.caFile())).nettyClient();
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static Future<Channel> connect(String verifyName) {
        return connect(verifyName, new NoReplies());
    }

    private static Future<Channel> connect(String verifyName, ReplySink sink) {
        UpstreamEndpoint endpoint =
                new UpstreamEndpoint(RedisServer.HOST, redis.tlsPort(), tls, verifyName, Duration.ofSeconds(10));
        return new UpstreamConnector(endpoint, NioSocketChannel.class).connect(group.next(), sink);
    }

    /**
     * Connects, then completes one PING round trip before closing: with TLS 1.3 the server sends its session
     * ticket after the handshake, so a connection closed right after the handshake may never have received it.
     */
    private static Channel connectAndRoundTrip(String verifyName) throws Exception {
        NoReplies sink = new NoReplies();
        Channel ch = connect(verifyName, sink).sync().getNow();
        ch.writeAndFlush(Unpooled.wrappedBuffer("PING\r\n".getBytes(StandardCharsets.US_ASCII)))
                .sync();
        assertThat(sink.replies.await(10, TimeUnit.SECONDS)).as("PING answered").isTrue();
        return ch;
    }

    @Test
    void theGatewayShipsOpenSslForLinuxX8664() {
        boolean linuxX64 = System.getProperty("os.name").toLowerCase().contains("linux")
                && System.getProperty("os.arch").matches("amd64|x86_64");
        if (linuxX64 && !Boolean.getBoolean("io.netty.handler.ssl.noOpenSsl")) {
            assertThat(TlsContexts.provider()).as(TlsContexts.describe()).isEqualTo(SslProvider.OPENSSL);
        }
        assertThat(TlsContexts.describe()).isNotBlank();
    }

    @Test
    void aCertificateForAnotherNameIsRefused() {
        Future<Channel> f = connect("not-the-cache.example").awaitUninterruptibly();
        assertThat(f.isSuccess())
                .as("handshake against a certificate without that name")
                .isFalse();
        assertThat(f.cause()).isNotNull();
    }

    @Test
    void theCacheNameIsAcceptedAndLaterConnectionsResumeTheSession() throws Exception {
        Channel first = connectAndRoundTrip("localhost");
        long created =
                first.pipeline().get(SslHandler.class).engine().getSession().getCreationTime();
        first.close().sync();
        boolean resumed = false;
        for (int i = 0; i < 3 && !resumed; i++) { // the server's ticket may arrive after the first handshake
            Channel next = connectAndRoundTrip("localhost");
            // a resumed session is the earlier one: it keeps that session's creation time
            resumed = resumed(next.pipeline().get(SslHandler.class).engine(), created);
            next.close().sync();
        }
        assertThat(resumed).as("a later connection resumed the TLS session").isTrue();
    }

    /** OpenSSL's own answer (SSL_session_reused, package-private in Netty); else the kept creation time. */
    private static boolean resumed(SSLEngine engine, long firstCreated) throws Exception {
        for (Class<?> c = engine.getClass(); c != null; c = c.getSuperclass()) {
            try {
                java.lang.reflect.Method m = c.getDeclaredMethod("isSessionReused");
                m.setAccessible(true);
                return (Boolean) m.invoke(engine);
            } catch (NoSuchMethodException e) {
                // keep looking up the hierarchy
            }
        }
        return engine.getSession().getCreationTime() == firstCreated;
    }

    private static final class NoReplies implements ReplySink {
        final CountDownLatch replies = new CountDownLatch(1);

        @Override
        public void onReply(ByteBuf frame, boolean push) {
            frame.release();
            replies.countDown();
        }

        @Override
        public void onReadBatchComplete() {}

        @Override
        public void onUpstreamLost(String reason, Throwable cause) {}

        @Override
        public void onUpstreamWritabilityChanged(boolean writable) {}
    }
}
