package io.github.redisentra.jedis.internal;

import io.github.redisentra.core.AccessToken;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.SafeEncoder;

/**
 * A Jedis connection that knows which token it authenticated with and can re-authenticate while subscribed.
 *
 * <p>Writes are serialized by a lock so an in-band {@code AUTH} from the renewal thread never interleaves with a
 * command another thread writes on a pub/sub connection; the subscriber loop reads replies through
 * {@link #getUnflushedObject()}, which consumes the replies to those {@code AUTH}s so the pub/sub code never sees them.
 */
final class ReauthenticatingConnection extends Connection {
    private final ConnectionReauthenticator reauthenticator;
    private final ReentrantLock writes = new ReentrantLock();
    private final AtomicInteger inBandAuthReplies = new AtomicInteger();
    private volatile AccessToken authenticatedWith;
    private volatile AccessToken inBandPending;
    private volatile boolean subscribed;

    private ReauthenticatingConnection(Builder builder) {
        super(builder);
        this.reauthenticator = builder.reauthenticator;
    }

    @Override
    protected void initializeFromClientConfig(JedisClientConfig config) {
        reauthenticator.takeHandshakeToken();
        try {
            super.initializeFromClientConfig(config);
            authenticatedWith = reauthenticator.takeHandshakeToken();
        } finally {
            reauthenticator.takeHandshakeToken();
        }
    }

    boolean isAuthenticatedWith(AccessToken token) {
        AccessToken current = authenticatedWith;
        return current != null && current.equals(token);
    }

    /** The token this connection last authenticated with ({@code null} before its handshake). */
    AccessToken authenticatedWith() {
        return authenticatedWith;
    }

    /** Whether this connection entered pub/sub mode (it is then never handed out again). */
    boolean isSubscribed() {
        return subscribed;
    }

    /** {@code AUTH} on a connection the caller holds exclusively, reply read at once. */
    void reauthenticate(JedisCredentials credentials) {
        setCredentials(credentials);
        String reply = reAuthenticate();
        if (!"OK".equals(reply)) {
            throw new JedisDataException("AUTH with a renewed token answered " + reply);
        }
        authenticatedWith = credentials.token();
    }

    /**
     * {@code AUTH} written while another thread reads this connection's pub/sub stream; the reply is consumed in
     * {@link #getUnflushedObject()}.
     */
    void reauthenticateInBand(JedisCredentials credentials) {
        byte[] password = encode(credentials.getPassword());
        writes.lock();
        try {
            CommandArguments args = new CommandArguments(Protocol.Command.AUTH);
            if (credentials.getUser() != null) {
                args.add(SafeEncoder.encode(credentials.getUser()));
            }
            args.add(password);
            inBandAuthReplies.incrementAndGet();
            inBandPending = credentials.token();
            super.sendCommand(args);
            super.flush();
        } catch (RuntimeException e) {
            inBandAuthReplies.decrementAndGet();
            reauthenticator.failed(this, e);
        } finally {
            writes.unlock();
            Arrays.fill(password, (byte) 0);
        }
    }

    @Override
    public void sendCommand(CommandArguments args) {
        ProtocolCommand command = args.getCommand();
        if (command == Protocol.Command.SUBSCRIBE
                || command == Protocol.Command.PSUBSCRIBE
                || command == Protocol.Command.SSUBSCRIBE) {
            subscribed = true;
        }
        writes.lock();
        try {
            super.sendCommand(args);
        } finally {
            writes.unlock();
        }
    }

    @Override
    protected void flush() {
        writes.lock();
        try {
            super.flush();
        } finally {
            writes.unlock();
        }
    }

    @Override
    public Object getUnflushedObject() {
        while (true) {
            Object reply;
            try {
                reply = super.getUnflushedObject();
            } catch (JedisDataException e) {
                if (inBandAuthReplies.get() > 0) {
                    // In subscribed mode the only error reply we can be waiting for is our AUTH's.
                    inBandAuthReplies.decrementAndGet();
                    reauthenticator.failed(this, e);
                    continue;
                }
                throw e;
            }
            if (inBandAuthReplies.get() > 0
                    && reply instanceof byte[] bytes
                    && "OK".equals(SafeEncoder.encode(bytes))) {
                inBandAuthReplies.decrementAndGet();
                AccessToken token = inBandPending;
                authenticatedWith = token;
                if (token != null) {
                    reauthenticator.succeeded(this, token);
                }
                continue;
            }
            return reply;
        }
    }

    /** Jedis's pub/sub refuses RESP2 on connections that say so; we need RESP3 to AUTH while subscribed. */
    @Override
    protected boolean isTokenBasedAuthenticationEnabled() {
        return true;
    }

    private static byte[] encode(char[] chars) {
        var buffer = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        Arrays.fill(chars, '\0');
        return bytes;
    }

    /** Builds {@link ReauthenticatingConnection}s for Jedis's {@code ConnectionFactory}. */
    static final class Builder extends Connection.Builder {
        private final ConnectionReauthenticator reauthenticator;

        Builder(ConnectionReauthenticator reauthenticator) {
            this.reauthenticator = reauthenticator;
        }

        @Override
        protected Connection createConnection() {
            return new ReauthenticatingConnection(this);
        }
    }
}
