package io.github.redisentra.gateway.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens upstream connections on a given event loop (the client channel's, so a session never crosses threads),
 * with TLS, SNI and host name verification when the endpoint asks for TLS. The returned future completes when the
 * connection is usable: after the TLS handshake, before any AUTH.
 */
public final class UpstreamConnector implements UpstreamDialer {
    private final UpstreamEndpoint endpoint;
    private final Class<? extends SocketChannel> channelType;
    private final Map<String, AtomicInteger> openByNode = new ConcurrentHashMap<>();

    public UpstreamConnector(UpstreamEndpoint endpoint, Class<? extends SocketChannel> channelType) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.channelType = Objects.requireNonNull(channelType, "channelType");
    }

    @Override
    public UpstreamEndpoint endpoint() {
        return endpoint;
    }

    /**
     * Open upstream connections (TCP connected, TLS handshake possibly still running) per node, {@code host:port} as
     * configured: one node today, one per shard once the gateway follows a cluster.
     */
    public Map<String, Integer> openConnectionsByNode() {
        Map<String, Integer> m = new TreeMap<>();
        openByNode.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    private String node() {
        return endpoint.host() + ":" + endpoint.port();
    }

    /** Connects; the sink receives the replies of the returned channel. */
    @Override
    public Future<Channel> connect(EventLoop loop, ReplySink sink) {
        Promise<Channel> ready = loop.newPromise();
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        Math.min(Integer.MAX_VALUE, endpoint.connectTimeout().toMillis()))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (endpoint.tls()) {
                            SslHandler ssl = endpoint.sslContext()
                                    .newHandler(ch.alloc(), endpoint.verifyHostName(), endpoint.port());
                            // The context verifies the certificate against this host name (TlsContexts).
                            ssl.setHandshakeTimeoutMillis(
                                    endpoint.connectTimeout().toMillis());
                            ch.pipeline().addLast("tls", ssl);
                        }
                        ch.pipeline().addLast("replies", new UpstreamHandler(sink));
                    }
                });
        b.connect(endpoint.host(), endpoint.port()).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                ready.tryFailure(f.cause());
                return;
            }
            Channel ch = f.channel();
            AtomicInteger open = openByNode.computeIfAbsent(node(), k -> new AtomicInteger());
            open.incrementAndGet();
            ch.closeFuture().addListener(c -> open.decrementAndGet());
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            if (ssl == null) {
                ready.trySuccess(ch);
                return;
            }
            ssl.handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    ready.trySuccess(ch);
                } else {
                    ready.tryFailure(h.cause());
                    ch.close();
                }
            });
        });
        return ready;
    }
}
