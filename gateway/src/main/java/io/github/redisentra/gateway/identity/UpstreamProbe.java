package io.github.redisentra.gateway.identity;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.config.UpstreamSettings;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One blocking connection to the upstream cache, as {@code --check-config} and readiness use it: TCP (+ TLS with SNI
 * and host name verification against {@code REDIS_HOSTNAME}), {@code AUTH user token}, {@code PING}. Never on an
 * event loop. The error message names the step that failed and quotes the server's reply (which never contains the
 * secret).
 */
public final class UpstreamProbe {
    private UpstreamProbe() {}

    /**
     * Connects, authenticates and pings.
     *
     * @throws IOException naming the failing step, e.g. {@code AUTH refused: -WRONGPASS invalid username-password
     *     pair or user is disabled.}
     */
    public static void check(UpstreamSettings config, UpstreamCredentials identity, AccessToken token)
            throws IOException, GeneralSecurityException {
        Socket socket = open(config);
        try {
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            authenticate(config, identity, token, out, in);
            out.write(command("PING"));
            out.flush();
            String pong = readLine(in);
            if (!pong.equals("+PONG")) {
                throw new IOException("PING after AUTH answered: " + pong);
            }
        } finally {
            socket.close();
        }
    }

    /** A conversation after AUTH: the streams of the authenticated connection. */
    @FunctionalInterface
    public interface Conversation<T> {
        T talk(OutputStream out, InputStream in) throws IOException;
    }

    /** Connects and authenticates as {@link #check} does, then hands the connection to {@code conversation}. */
    public static <T> T converse(
            UpstreamSettings config, UpstreamCredentials identity, AccessToken token, Conversation<T> conversation)
            throws IOException, GeneralSecurityException {
        Socket socket = open(config);
        try {
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            authenticate(config, identity, token, out, in);
            return conversation.talk(out, in);
        } finally {
            socket.close();
        }
    }

    /** Encodes a command as a RESP array of bulk strings. */
    public static byte[] encode(String... args) {
        return command(args);
    }

    private static void authenticate(
            UpstreamSettings config, UpstreamCredentials identity, AccessToken token, OutputStream out, InputStream in)
            throws IOException {
        String user = identity.username(token);
        out.write(command("AUTH", user, token.secret()));
        out.flush();
        String auth = readLine(in);
        if (!auth.equals("+OK")) {
            throw new IOException("AUTH as " + user + " refused by " + config.address() + ": " + auth);
        }
    }

    /** TCP, then TLS with SNI and host name verification when configured. */
    private static Socket open(UpstreamSettings config) throws IOException, GeneralSecurityException {
        int timeout = (int) config.connectTimeout().toMillis();
        InetSocketAddress addr =
                new InetSocketAddress(config.address().host(), config.address().port());
        Socket plain = new Socket();
        try {
            plain.connect(addr, timeout);
        } catch (IOException e) {
            plain.close();
            throw new IOException("cannot connect to " + config.address() + ": " + e.getMessage(), e);
        }
        Socket socket = plain;
        boolean ok = false;
        try {
            plain.setSoTimeout(timeout);
            if (config.tls()) {
                SSLSocket tls = (SSLSocket) TrustMaterial.sslContext(config.caFile())
                        .getSocketFactory()
                        .createSocket(plain, config.hostname(), config.address().port(), true);
                SSLParameters params = tls.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                params.setServerNames(List.of(new SNIHostName(config.hostname())));
                params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                tls.setSSLParameters(params);
                socket = tls;
                try {
                    tls.startHandshake();
                } catch (IOException e) {
                    throw new IOException(
                            "TLS handshake with " + config.address() + " (verifying host name " + config.hostname()
                                    + ") failed: " + e.getMessage(),
                            e);
                }
            }
            ok = true;
            return socket;
        } finally {
            if (!ok) {
                socket.close();
            }
        }
    }

    private static byte[] command(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            byte[] b = a.getBytes(StandardCharsets.UTF_8);
            sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\r') {
                int n = in.read();
                if (n == '\n') {
                    return sb.toString();
                }
                sb.append('\r');
                c = n;
                if (c == -1) {
                    break;
                }
            }
            if (sb.length() > 512) {
                return sb + "…";
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed by the server" + (sb.isEmpty() ? "" : " after \"" + sb + "\""));
    }
}
