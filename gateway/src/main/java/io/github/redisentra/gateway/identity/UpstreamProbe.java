package io.github.redisentra.gateway.identity;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.config.UpstreamSettings;
import io.github.redisentra.gateway.resp.RespConnection;
import io.github.redisentra.gateway.tls.TrustMaterial;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import java.io.IOException;
import java.security.GeneralSecurityException;

/**
 * One blocking connection to the upstream cache, as {@code --check-config} and the start-time command-table probe
 * use it: a {@link RespConnection} (TCP, TLS with SNI and host name verification against {@code REDIS_HOSTNAME}) and
 * {@code AUTH user token}. Never on an event loop. The error message names the step that failed and quotes the
 * server's reply (which never contains the secret).
 */
public final class UpstreamProbe {
    private UpstreamProbe() {}

    /**
     * Connects, authenticates and pings.
     *
     * @throws IOException naming the failing step, e.g. {@code AUTH as <user> refused by <host:port>: -WRONGPASS
     *     invalid username-password pair or user is disabled.}
     */
    public static void check(UpstreamSettings config, UpstreamCredentials identity, AccessToken token)
            throws IOException, GeneralSecurityException {
        try (RespConnection c = connect(config, identity, token)) {
            Object pong = c.call("PING");
            if (!"PONG".equals(pong)) {
                throw new IOException("PING after AUTH answered: " + pong);
            }
        }
    }

    /** Connects and authenticates as {@link #check} does; the caller closes the connection. */
    public static RespConnection connect(UpstreamSettings config, UpstreamCredentials identity, AccessToken token)
            throws IOException, GeneralSecurityException {
        RespConnection c = RespConnection.open(
                config.address().host(),
                config.address().port(),
                config.tls() ? TrustMaterial.load(config.caFile()).sslContext() : null,
                config.hostname(),
                config.connectTimeout());
        boolean ok = false;
        try {
            String user = identity.username(token);
            Object reply;
            try {
                reply = c.call("AUTH", user, token.secret());
            } catch (RespConnection.ErrorReply e) {
                throw new IOException("AUTH as " + user + " refused by " + c.address() + ": -" + e.reply(), e);
            }
            if (!"OK".equals(reply)) {
                throw new IOException("AUTH as " + user + " answered by " + c.address() + ": " + reply);
            }
            ok = true;
            return c;
        } finally {
            if (!ok) {
                c.close();
            }
        }
    }
}
