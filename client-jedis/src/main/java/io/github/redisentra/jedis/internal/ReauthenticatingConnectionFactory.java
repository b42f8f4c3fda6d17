package io.github.redisentra.jedis.internal;

import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.PooledObjectFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/**
 * Jedis's {@link ConnectionFactory} plus re-authentication at every point where the pool holds a connection
 * exclusively: creation, borrow ({@code activateObject}), return ({@code passivateObject}) and idle tests
 * ({@code validateObject}). A connection whose {@code AUTH} fails there is discarded by the pool and replaced, so a
 * borrower never receives a connection authenticated with an old token.
 */
public final class ReauthenticatingConnectionFactory implements PooledObjectFactory<Connection> {
    private final ConnectionFactory delegate;
    private final ConnectionReauthenticator reauthenticator;

    public ReauthenticatingConnectionFactory(
            HostAndPort hostAndPort, JedisClientConfig config, ConnectionReauthenticator reauthenticator) {
        this.reauthenticator = reauthenticator;
        this.delegate = ConnectionFactory.builder()
                .hostAndPort(hostAndPort)
                .clientConfig(config)
                .connectionBuilder(new ReauthenticatingConnection.Builder(reauthenticator)
                        .socketFactory(new redis.clients.jedis.DefaultJedisSocketFactory(hostAndPort, config))
                        .clientConfig(config))
                .build();
    }

    /** The re-authentication state of the client this factory belongs to. */
    public ConnectionReauthenticator reauthenticator() {
        return reauthenticator;
    }

    @Override
    public PooledObject<Connection> makeObject() throws Exception {
        PooledObject<Connection> pooled = delegate.makeObject();
        ReauthenticatingConnection connection = (ReauthenticatingConnection) pooled.getObject();
        reauthenticator.register(connection);
        try {
            // A renewal between this connection's handshake and now would otherwise leave it on the old token.
            reauthenticator.refreshIfStale(connection);
        } catch (RuntimeException e) {
            reauthenticator.unregister(connection);
            connection.disconnect();
            throw e;
        }
        return pooled;
    }

    @Override
    public void destroyObject(PooledObject<Connection> pooled) throws Exception {
        reauthenticator.unregister((ReauthenticatingConnection) pooled.getObject());
        delegate.destroyObject(pooled);
    }

    @Override
    public void activateObject(PooledObject<Connection> pooled) throws Exception {
        delegate.activateObject(pooled);
        reauthenticator.refreshIfStale((ReauthenticatingConnection) pooled.getObject());
    }

    @Override
    public void passivateObject(PooledObject<Connection> pooled) throws Exception {
        ReauthenticatingConnection connection = (ReauthenticatingConnection) pooled.getObject();
        if (connection.isSubscribed()) {
            // Replies to in-band AUTHs may still be unread; a pub/sub connection is never handed to another borrower.
            throw new IllegalStateException("pub/sub connection retired after use");
        }
        delegate.passivateObject(pooled);
        reauthenticator.refreshIfStale(connection);
    }

    @Override
    public boolean validateObject(PooledObject<Connection> pooled) {
        ReauthenticatingConnection connection = (ReauthenticatingConnection) pooled.getObject();
        if (connection.isSubscribed() || !connection.isConnected()) {
            return false;
        }
        try {
            reauthenticator.refreshIfStale(connection);
        } catch (RuntimeException e) {
            return false;
        }
        return delegate.validateObject(pooled);
    }
}
