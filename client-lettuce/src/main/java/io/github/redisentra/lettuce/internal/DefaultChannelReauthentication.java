package io.github.redisentra.lettuce.internal;

import io.lettuce.core.RedisAuthenticationHandler;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.StatefulRedisConnectionImpl;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.event.connection.ReauthenticationEvent;
import io.lettuce.core.event.connection.ReauthenticationFailedEvent;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.util.ArrayList;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * Re-authenticates the <i>default channel</i> of Lettuce's cluster connections, which Lettuce 7.7 leaves out.
 *
 * <p>A {@code StatefulRedisClusterConnection} and a {@code StatefulRedisClusterPubSubConnection} each hold one channel
 * of their own to a node besides the per-node connections: keyless commands ({@code PUBLISH}, {@code ACL WHOAMI},
 * {@code PING}) and plain {@code SUBSCRIBE} use it. Lettuce installs its {@code RedisAuthenticationHandler} on the
 * per-node connections only, so with short-lived tokens this channel is cut at the first token expiry and reconnects
 * (losing pub/sub messages and failing commands in flight). Measured against the cluster stand-in: one cut per token
 * lifetime per connection.
 *
 * <ul>
 *   <li>Pub/sub: the connection is a {@code StatefulRedisConnectionImpl}; Lettuce's own handler is installed on it
 *       (same code path, events and RESP3 check as for node connections).
 *   <li>Regular cluster connection: on each credentials emission an {@code AUTH} is written to the connection's channel
 *       writer, which routes keyless commands to the default channel. Written to the writer, not dispatched through
 *       the connection, so Lettuce does not pin those credentials as static ones for later reconnects (a reconnect
 *       authenticates through the provider as before). Outcomes are published as Lettuce's
 *       {@link ReauthenticationEvent}/{@link ReauthenticationFailedEvent}.
 * </ul>
 */
public final class DefaultChannelReauthentication {
    private static final Logger log = LoggerFactory.getLogger(DefaultChannelReauthentication.class);

    private DefaultChannelReauthentication() {}

    /** Installs Lettuce's authentication handler on a cluster pub/sub connection's default channel. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static void installOnPubSub(StatefulRedisConnectionImpl connection, RedisCredentialsProvider provider) {
        Objects.requireNonNull(connection, "connection");
        if (provider == null || !provider.supportsStreaming()) {
            return;
        }
        RedisAuthenticationHandler handler =
                RedisAuthenticationHandler.createHandler(connection, provider, true, connection.getOptions());
        connection.setAuthenticationHandler(handler);
        if (connection.isOpen()) {
            handler.subscribe(); // already activated: Lettuce subscribes on activation, i.e. again after reconnects
        }
    }

    /** Writes {@code AUTH} to the default channel of a cluster connection at every credentials emission. */
    public static void installOnCluster(RedisChannelHandler<?, ?> connection, RedisCredentialsProvider provider) {
        Objects.requireNonNull(connection, "connection");
        if (provider == null || !provider.supportsStreaming()) {
            return;
        }
        String endpoint = "cluster-default-" + Integer.toHexString(System.identityHashCode(connection));
        Disposable subscription = provider.credentials()
                .subscribe(
                        credentials -> reauthenticate(connection, credentials, endpoint),
                        error -> log.warn("Credentials stream ended with an error: {}", error.toString()));
        connection.registerCloseables(new ArrayList<>(), subscription::dispose);
    }

    private static void reauthenticate(
            RedisChannelHandler<?, ?> connection, RedisCredentials credentials, String endpoint) {
        if (!connection.isOpen() || !credentials.hasPassword()) {
            return;
        }
        CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8);
        if (credentials.hasUsername()) {
            args.add(credentials.getUsername());
        }
        args.add(credentials.getPassword());
        AsyncCommand<String, String, String> auth =
                new AsyncCommand<>(new Command<>(CommandType.AUTH, new StatusOutput<>(StringCodec.UTF8), args));
        auth.whenComplete((reply, error) -> {
            if (error == null) {
                connection.getResources().eventBus().publish(new ReauthenticationEvent(endpoint));
            } else {
                log.warn("Re-authenticating a cluster connection's default channel failed: {}", error.toString());
                connection.getResources().eventBus().publish(new ReauthenticationFailedEvent(endpoint, error));
            }
        });
        RedisChannelWriter writer = connection.getChannelWriter();
        writer.write(auth);
    }
}
