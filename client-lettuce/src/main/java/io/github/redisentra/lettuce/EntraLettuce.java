package io.github.redisentra.lettuce;

import io.github.redisentra.core.ReauthenticationListener;
import io.github.redisentra.core.TokenRefresher;
import io.github.redisentra.core.TokenSource;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.ClientOptions.ReauthenticateBehavior;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.event.connection.ReauthenticationEvent;
import io.lettuce.core.event.connection.ReauthenticationFailedEvent;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * The few lines that make a Lettuce client re-authenticate its connections with renewed Entra ID tokens.
 *
 * <p>Lettuce sends {@code AUTH} on an open connection only when its {@link ClientOptions} say
 * {@link ReauthenticateBehavior#ON_NEW_CREDENTIALS}, and on pub/sub connections only with RESP3 (with RESP2 configured it
 * refuses pub/sub connections; with RESP2 merely negotiated it silently skips them). The methods here set both and
 * keep every other option the caller chose:
 *
 * <pre>{@code
 * RedisClient client = EntraLettuce.configure(RedisClient.create(uri));            // uri carries the provider
 * RedisClusterClient cluster = EntraLettuce.configure(RedisClusterClient.create(uris));
 * client.setOptions(EntraLettuce.clientOptions(ClientOptions.builder().autoReconnect(true).build()));
 * AutoCloseable watch = EntraLettuce.watchReauthentication(client, ReauthenticationListener.logging());
 * }</pre>
 */
public final class EntraLettuce {
    private static final Logger log = LoggerFactory.getLogger(EntraLettuce.class);

    private EntraLettuce() {}

    /** Lettuce's default client options with live re-authentication and RESP3. */
    public static ClientOptions clientOptions() {
        return clientOptions(ClientOptions.create());
    }

    /**
     * {@code base} with live re-authentication ({@code ON_NEW_CREDENTIALS}) and RESP3; every other option is kept. A
     * {@link ClusterClientOptions} stays one.
     */
    public static ClientOptions clientOptions(ClientOptions base) {
        Objects.requireNonNull(base, "base");
        if (base instanceof ClusterClientOptions cluster) {
            return clusterClientOptions(cluster);
        }
        warnIfResp2(base);
        return base.mutate()
                .reauthenticateBehavior(ReauthenticateBehavior.ON_NEW_CREDENTIALS)
                .protocolVersion(ProtocolVersion.RESP3)
                .build();
    }

    /** Lettuce's default cluster client options with live re-authentication and RESP3. */
    public static ClusterClientOptions clusterClientOptions() {
        return clusterClientOptions(ClusterClientOptions.create());
    }

    /** {@code base} with live re-authentication ({@code ON_NEW_CREDENTIALS}) and RESP3; every other option is kept. */
    public static ClusterClientOptions clusterClientOptions(ClusterClientOptions base) {
        Objects.requireNonNull(base, "base");
        warnIfResp2(base);
        return base.mutate()
                .reauthenticateBehavior(ReauthenticateBehavior.ON_NEW_CREDENTIALS)
                .protocolVersion(ProtocolVersion.RESP3)
                .build();
    }

    /**
     * Sets live re-authentication and RESP3 on {@code client}'s current options (keeping the others). Call before
     * connecting: options apply to connections opened afterwards.
     *
     * @return {@code client}
     */
    public static RedisClient configure(RedisClient client) {
        Objects.requireNonNull(client, "client");
        client.setOptions(clientOptions(client.getOptions()));
        return client;
    }

    /**
     * Sets live re-authentication and RESP3 on {@code client}'s current options (keeping the others). Call before
     * connecting.
     *
     * @return {@code client}
     */
    public static RedisClusterClient configure(RedisClusterClient client) {
        Objects.requireNonNull(client, "client");
        ClientOptions current = client.getOptions();
        ClusterClientOptions cluster = current instanceof ClusterClientOptions c
                ? c
                : ClusterClientOptions.builder(current).build();
        client.setOptions(clusterClientOptions(cluster));
        return client;
    }

    /**
     * Puts {@code credentials} on a URI builder ({@code withAuthentication}); the user name comes from the provider.
     *
     * @return {@code uri}
     */
    public static RedisURI.Builder configure(RedisURI.Builder uri, RedisCredentialsProvider credentials) {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(credentials, "credentials");
        return uri.withAuthentication(credentials);
    }

    /**
     * A credentials provider with its own {@link TokenRefresher} (default refresh policy) over {@code source}; closing
     * the provider closes the refresher (the source stays the caller's). Share one provider between all clients of a
     * process so the token endpoint sees one renewal per token lifetime.
     */
    public static EntraCredentialsProvider credentialsProvider(TokenSource source) {
        Objects.requireNonNull(source, "source");
        TokenRefresher refresher = TokenRefresher.builder(source).build();
        return EntraCredentialsProvider.builder(refresher)
                .usernameFrom(source)
                .ownsRefresher(true)
                .build();
    }

    /**
     * Passes the client's re-authentication outcomes ({@link ReauthenticationEvent}, {@link ReauthenticationFailedEvent}
     * from its event bus) to {@code listener}. The event bus belongs to the client's {@code ClientResources}: clients
     * sharing resources share the events. An exception thrown by the listener is logged and does not stop the watch.
     *
     * @return closes the watch
     */
    public static AutoCloseable watchReauthentication(AbstractRedisClient client, ReauthenticationListener listener) {
        Objects.requireNonNull(client, "client");
        return watchReauthentication(client.getResources(), listener);
    }

    /**
     * Passes the re-authentication outcomes of every client built on {@code resources} to {@code listener}: for
     * frameworks that share one {@link ClientResources} and never expose the client (Spring Data Redis). An exception
     * thrown by the listener is logged and does not stop the watch.
     *
     * @return closes the watch
     */
    public static AutoCloseable watchReauthentication(ClientResources resources, ReauthenticationListener listener) {
        Objects.requireNonNull(resources, "resources");
        Objects.requireNonNull(listener, "listener");
        Disposable subscription = resources.eventBus().get().subscribe(event -> {
            try {
                if (event instanceof ReauthenticationFailedEvent failed) {
                    listener.onReauthenticationFailed(failed.getEpId(), failed.getCause());
                } else if (event instanceof ReauthenticationEvent done) {
                    listener.onReauthenticated(done.getEpId(), null);
                }
            } catch (RuntimeException e) {
                log.warn("ReauthenticationListener {} threw; ignoring: {}", listener, e.toString());
            }
        });
        return subscription::dispose;
    }

    private static void warnIfResp2(ClientOptions base) {
        if (base.getConfiguredProtocolVersion() == ProtocolVersion.RESP2) {
            log.warn("Client options asked for RESP2; using RESP3, which live re-authentication of pub/sub"
                    + " connections requires");
        }
    }
}
