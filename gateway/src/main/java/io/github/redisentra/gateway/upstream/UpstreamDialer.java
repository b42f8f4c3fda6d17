package io.github.redisentra.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * Opens a session's upstream connections: {@link UpstreamConnector} in the gateway; tests dial in-memory channels to
 * see every byte a session sends upstream.
 */
public interface UpstreamDialer {
    /**
     * Connects on {@code loop}; the returned channel is usable (TLS done, no AUTH yet) and hands its replies to
     * {@code sink}.
     */
    Future<Channel> connect(EventLoop loop, ReplySink sink);

    /** Where it connects to (for logs). */
    UpstreamEndpoint endpoint();
}
