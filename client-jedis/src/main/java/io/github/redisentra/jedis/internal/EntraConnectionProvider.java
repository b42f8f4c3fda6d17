package io.github.redisentra.jedis.internal;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.providers.PooledConnectionProvider;

/**
 * Jedis's pooled provider (so {@code RedisClient.getPool()} keeps working) whose {@link #close()} also ends this
 * client's re-authentication, and nothing else: the refresher keeps serving other clients unless this provider owns
 * it.
 */
public final class EntraConnectionProvider extends PooledConnectionProvider {
    private final ClientReauthentication reauthentication;

    public EntraConnectionProvider(
            ReauthenticatingConnectionFactory factory,
            GenericObjectPoolConfig<Connection> poolConfig,
            ConnectionReauthenticator reauthenticator,
            AutoCloseable ownedRefresher) {
        super(factory, poolConfig);
        this.reauthentication = new ClientReauthentication(reauthenticator, ownedRefresher);
        reauthenticator.attach(getPool());
    }

    /** This client's re-authentication state (tests, diagnostics). */
    public ConnectionReauthenticator reauthenticator() {
        return reauthentication.reauthenticator();
    }

    @Override
    public void close() {
        reauthentication.close(super::close);
    }
}
