package io.github.redisentra.gateway;

import io.github.redisentra.gateway.acl.AccessControl;
import io.github.redisentra.gateway.auth.Authenticator;
import io.github.redisentra.gateway.session.ClientSession;
import io.github.redisentra.gateway.session.GatewayEvents;
import io.github.redisentra.gateway.session.SessionRegistry;
import io.github.redisentra.gateway.session.SessionSettings;
import io.github.redisentra.gateway.upstream.ConnectRateLimiter;
import io.github.redisentra.gateway.upstream.PoolMetrics;
import io.github.redisentra.gateway.upstream.RateLimitedDialer;
import io.github.redisentra.gateway.upstream.UpstreamConnector;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamDialer;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.gateway.upstream.WarmPool;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.NettyRuntime;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's Netty server: accepts clients (optionally over TLS), gives each a {@link ClientSession} with its
 * own upstream connection on the same event loop, fans renewed upstream tokens out to every session, and shuts
 * down gracefully (stop accepting, let owed replies drain within a timeout, close).
 *
 * <p>Uses epoll when available, NIO otherwise.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    private final GatewaySettings settings;
    private final Authenticator authenticator;
    private final UpstreamEndpoint endpoint;
    private final UpstreamCredentials credentials;
    private final GatewayEvents events;
    private final AccessControl access;
    private final SessionRegistry registry = new SessionRegistry();
    private final ClientAdmission admission;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Class<? extends ServerChannel> serverChannelType;
    private final Class<? extends SocketChannel> socketChannelType;
    private Channel serverChannel;
    private volatile UpstreamConnector connector;
    private volatile SessionSettings session;
    private final ChannelGroup mainChannels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final java.util.Set<NodeListener> nodeListeners = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Map<String, UpstreamConnector> connectors = new java.util.concurrent.ConcurrentHashMap<>();
    private static final AttributeKey<SessionSettings> SESSION_SETTINGS =
            AttributeKey.valueOf(GatewayServer.class, "sessionSettings");
    private final ConnectRateLimiter connectRate;
    /** The counters of every listener's warm pool ({@code UPSTREAM_POOL_SIZE}). */
    private final PoolMetrics poolMetrics = new PoolMetrics();
    /** The main listener's warm pool, or {@code null} (node listeners' pools close with their listener). */
    private volatile WarmPool mainPool;

    private AutoCloseable tokenSubscription;
    private volatile boolean closed;

    public GatewayServer(
            GatewaySettings settings,
            Authenticator authenticator,
            UpstreamEndpoint endpoint,
            UpstreamCredentials credentials,
            GatewayEvents events) {
        this(settings, authenticator, endpoint, credentials, events, null);
    }

    /** @param access per-role permissions (roles file), or {@code null} to forward every authenticated command */
    public GatewayServer(
            GatewaySettings settings,
            Authenticator authenticator,
            UpstreamEndpoint endpoint,
            UpstreamCredentials credentials,
            GatewayEvents events,
            AccessControl access) {
        this.access = access;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.session = settings.session();
        this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.events = events == null ? GatewayEvents.NONE : events;
        this.admission = new ClientAdmission(settings.connectionLimits(), this.events);
        this.connectRate = new ConnectRateLimiter(settings.upstreamConnectRate(), System::nanoTime);
        IoHandlerFactory io;
        if (Epoll.isAvailable()) {
            io = EpollIoHandler.newFactory();
            serverChannelType = EpollServerSocketChannel.class;
            socketChannelType = EpollSocketChannel.class;
        } else {
            io = NioIoHandler.newFactory();
            serverChannelType = NioServerSocketChannel.class;
            socketChannelType = NioSocketChannel.class;
        }
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(workerThreads(), io);
    }

    /**
     * Event-loop threads: one per core (issue #19), not Netty's default of two. A client and its upstream connection
     * share one loop and nothing blocks on it, so a second thread per core only adds context switches: with 2 per
     * core the gateway switched twice as often per request as HAProxy, with 1 as often (bench/README.md, branch
     * p16). Netty's {@code -Dio.netty.eventLoopThreads=N} still sets the count.
     */
    static int workerThreads() {
        int n = Integer.getInteger("io.netty.eventLoopThreads", 0);
        return n > 0 ? n : NettyRuntime.availableProcessors();
    }

    /** Binds the listener; returns this. */
    public GatewayServer start() throws InterruptedException {
        UpstreamConnector connector = connector(endpoint);
        this.connector = connector;
        tokenSubscription = credentials.subscribe(token -> registry.upstreamTokenRenewed(credentials, token));
        WarmPool pool = pool(connector);
        mainPool = pool;
        serverChannel = bootstrap(pool != null ? pool : rateLimited(connector), mainChannels, () -> session)
                .bind(settings.listenAddress())
                .sync()
                .channel();
        NativeSupport natives = NativeSupport.detect();
        log.info(
                "gateway listening on {} ({}), upstream {}, {}",
                serverChannel.localAddress(),
                settings.listenerTls() != null ? "TLS" : "plaintext",
                endpoint,
                natives.describe());
        natives.problem().ifPresent(log::warn);
        return this;
    }

    /**
     * Binds one more listener whose sessions dial with {@code dialer} (a cluster node's endpoint) and run with
     * {@code sessions}, with the same TLS, admission, authentication, roles, audit and drain as the main listener.
     */
    public NodeListener listen(InetSocketAddress address, UpstreamDialer dialer, SessionSettings sessions)
            throws InterruptedException {
        if (closed) {
            throw new IllegalStateException("the gateway is closing");
        }
        ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        WarmPool pool = pool(dialer);
        Channel ch;
        try {
            ch = bootstrap(pool != null ? pool : rateLimited(dialer), children, () -> sessions)
                    .bind(address)
                    .sync()
                    .channel();
        } catch (InterruptedException | RuntimeException e) {
            if (pool != null) {
                pool.close();
            }
            throw e;
        }
        NodeListener l = new NodeListener(ch, children, pool);
        nodeListeners.add(l);
        return l;
    }

    /**
     * Sessions accepted from now on get {@code session}; connections of the main listener opened with other settings
     * are closed (clients reconnect), e.g. when cluster mode starts after the gateway did.
     *
     * @return how many connections were closed
     */
    public int replaceSessionSettings(SessionSettings session) {
        this.session = Objects.requireNonNull(session, "session");
        int closed = 0;
        for (Channel ch : mainChannels) {
            if (ch.attr(SESSION_SETTINGS).get() != session) {
                ch.close();
                closed++;
            }
        }
        return closed;
    }

    /** An upstream connector (TLS, SNI, host-name check as {@code to} says), one per node address, counted per node. */
    public UpstreamConnector connector(UpstreamEndpoint to) {
        return connectors.computeIfAbsent(
                to.host() + ":" + to.port() + "/" + to.verifyHostName(),
                k -> new UpstreamConnector(to, socketChannelType));
    }

    /** Every upstream connect of every listener (sessions, their handovers, warm pools) passes the one limiter. */
    private UpstreamDialer rateLimited(UpstreamDialer unlimited) {
        return RateLimitedDialer.wrap(unlimited, connectRate);
    }

    /** The warm pool in front of a listener's dialer, started, or {@code null} when UPSTREAM_POOL_SIZE is 0. */
    private WarmPool pool(UpstreamDialer unlimited) {
        if (!settings.upstreamPool().enabled()) {
            return null;
        }
        return new WarmPool(
                        rateLimited(unlimited),
                        credentials,
                        settings.upstreamPool(),
                        session.upstreamReauthMargin(),
                        session.clock(),
                        poolMetrics,
                        workers)
                .start();
    }

    private ServerBootstrap bootstrap(
            UpstreamDialer dialer, ChannelGroup children, java.util.function.Supplier<SessionSettings> sessions) {
        return new ServerBootstrap()
                .group(boss, workers)
                .channel(serverChannelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (closed) {
                            ch.close();
                            return;
                        }
                        if (settings.listenerTls() != null) {
                            ch.pipeline()
                                    .addLast(
                                            "tls",
                                            settings.listenerTls().current().newHandler(ch.alloc()));
                        }
                        String refusal = admission.admit(ch.remoteAddress());
                        if (refusal != null) {
                            ch.pipeline().addLast("refusal", ClientAdmission.refusal(refusal));
                            return;
                        }
                        SessionSettings s = sessions.get();
                        ch.attr(SESSION_SETTINGS).set(s);
                        children.add(ch);
                        ClientSession clientSession =
                                new ClientSession(s, authenticator, dialer, credentials, events, registry, access);
                        registry.attach(ch, clientSession);
                        ch.pipeline()
                                .addLast("session", clientSession)
                                .addLast("admission", admission.tracker(ch.remoteAddress()));
                    }
                });
    }

    /** The bound address (the real port when configured with port 0). */
    /**
     * The sessions whose upstream identity is {@code from} re-AUTH with {@code token}: for identities other than the
     * gateway's own (roles' {@code upstream:} blocks, see {@code RoleUpstreams#addRenewalSink}).
     */
    public void upstreamTokenRenewed(UpstreamCredentials from, io.github.redisentra.core.AccessToken token) {
        registry.upstreamTokenRenewed(from, token);
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Open upstream connections per node ({@code host:port}); empty before {@link #start()}. */
    public java.util.Map<String, Integer> upstreamConnectionsByNode() {
        java.util.Map<String, Integer> m = new java.util.TreeMap<>();
        connectors.values().forEach(c -> c.openConnectionsByNode().forEach((k, v) -> m.merge(k, v, Integer::sum)));
        return m;
    }

    /**
     * The limiter every upstream connect of this gateway passes ({@code UPSTREAM_CONNECT_RATE}): wrap any further
     * dialer with {@link RateLimitedDialer#wrap} and this limiter; its counters are the metrics.
     */
    public ConnectRateLimiter upstreamConnectRate() {
        return connectRate;
    }

    /** The warm pools' counters ({@code UPSTREAM_POOL_SIZE}; all zero when it is 0). */
    public PoolMetrics upstreamPool() {
        return poolMetrics;
    }

    /** Who is signed in on which connection, and closing a user's sessions (for user locks). */
    public io.github.redisentra.gateway.auth.SessionDirectory sessions() {
        return registry;
    }

    /** Number of open client connections. */
    public int connectionCount() {
        return registry.size();
    }

    /** Number of open client connections that have not signed in yet. */
    public int unauthenticatedCount() {
        return admission.unauthenticated();
    }

    /** See {@link SessionRegistry#largestInputBacklogBytes()}. */
    public long largestClientInputBacklogBytes() {
        return registry.largestInputBacklogBytes();
    }

    /** Stops accepting, drains in-flight commands for up to the drain timeout, closes everything. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        for (NodeListener l : nodeListeners) {
            l.stopAccepting();
        }
        if (mainPool != null) {
            mainPool.close(); // warm connections are closed before the loops stop
        }
        if (tokenSubscription != null) {
            try {
                tokenSubscription.close();
            } catch (Exception e) {
                log.debug("closing the token subscription failed", e);
            }
        }
        registry.drainAll();
        long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
        while (registry.size() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20); // shutdown path: poll the registry until the drain finishes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (registry.size() > 0) {
            log.warn(
                    "{} connections still busy after the {} drain timeout; closing them",
                    registry.size(),
                    settings.drainTimeout());
            registry.closeAll("-ERR gateway shutting down");
        }
        if (settings.listenerTls() != null) {
            settings.listenerTls().close();
        }
        Duration quiet = Duration.ofMillis(50);
        boss.shutdownGracefully(0, quiet.toMillis() * 20, TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(quiet.toMillis(), quiet.toMillis() * 100, TimeUnit.MILLISECONDS)
                .syncUninterruptibly();
    }
}
