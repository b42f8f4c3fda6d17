package io.github.redisentra.gateway.upstream;

import io.github.redisentra.core.AccessToken;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.time.Instant;

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

    /**
     * A connection on {@code loop} already authenticated as {@code identity} (a {@link WarmPool}'s), now handing its
     * replies to {@code sink}, or {@code null} when there is none (then {@link #connect}). Called on {@code loop}.
     */
    default Warm takeWarm(EventLoop loop, UpstreamCredentials identity, ReplySink sink) {
        return null;
    }

    /**
     * A pre-authenticated connection: the cache acknowledged {@code AUTH} with {@code token} on {@code channel} at
     * {@code acknowledgedAt} (what {@link UpstreamAuth#adopted} guards from).
     */
    record Warm(Channel channel, AccessToken token, Instant acknowledgedAt) {}
}
