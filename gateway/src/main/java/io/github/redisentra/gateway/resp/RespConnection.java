package io.github.redisentra.gateway.resp;

import io.github.redisentra.gateway.tls.TlsSockets;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * One blocking RESP2 connection to a Redis server, for the gateway's few questions outside the event loops: the
 * {@code --check-config} and start-time probes of the cache ({@code AUTH}, {@code PING}, {@code INFO},
 * {@code COMMAND}). One command at a time: {@link #call} writes it and reads its one reply, decoded as
 * {@link RespReader} does (strings, {@link Long}, {@link java.util.List}, {@code null}).
 *
 * <p>Every failure is an {@link IOException} whose message names the server and the step: {@code cannot connect to
 * host:port: ...} (refused, unreachable, or no answer within the timeout), {@code TLS handshake with host:port
 * (verifying host name ...) failed: ...}, {@code no reply to CMD from host:port within n ms}, or an
 * {@link ErrorReply} for a {@code -ERR}-style reply. Messages name the command, never its arguments (a secret may be
 * one).
 */
public final class RespConnection implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final String address;
    private final long timeoutMillis;

    private RespConnection(Socket socket, String address, long timeoutMillis) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = new BufferedInputStream(socket.getInputStream());
        this.address = address;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Connects to {@code host:port} within {@code timeout} (also the limit for the TLS handshake and each reply).
     *
     * @param tls the TLS client context, or {@code null} for plaintext
     * @param tlsHostname the name the server's certificate must carry, also sent as SNI (ignored without TLS)
     */
    public static RespConnection open(String host, int port, SSLContext tls, String tlsHostname, Duration timeout)
            throws IOException {
        if (tls != null) {
            Objects.requireNonNull(tlsHostname, "tlsHostname");
        }
        String address = host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), millis);
            socket.setSoTimeout(millis);
        } catch (IOException e) {
            socket.close();
            String why = e instanceof SocketTimeoutException
                    ? "no answer within " + millis + " ms"
                    : e instanceof ConnectException && e.getMessage() == null ? "connection refused" : e.getMessage();
            throw new IOException("cannot connect to " + address + ": " + why, e);
        }
        if (tls != null) {
            try {
                socket = TlsSockets.layer(tls, socket, tlsHostname);
            } catch (IOException e) {
                throw new IOException(
                        "TLS handshake with " + address + " (verifying host name " + tlsHostname + ") failed: "
                                + (e instanceof SocketTimeoutException
                                        ? "no answer within " + millis + " ms"
                                        : e.getMessage()),
                        e);
            }
        }
        try {
            return new RespConnection(socket, address, millis);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** {@code host:port} of the server, as the error messages name it. */
    public String address() {
        return address;
    }

    /**
     * Sends one command and reads its reply.
     *
     * @return the decoded reply: {@link String}, {@link Long}, {@link java.util.List} or {@code null}
     * @throws ErrorReply when the server answers with an error
     * @throws IOException when the connection fails or the reply does not come in time
     */
    public Object call(String... command) throws IOException {
        String name = command[0];
        Object reply;
        try {
            out.write(encode(command));
            out.flush();
            reply = RespReader.read(in);
        } catch (SocketTimeoutException e) {
            throw new IOException("no reply to " + name + " from " + address + " within " + timeoutMillis + " ms", e);
        } catch (IOException | RuntimeException e) { // RuntimeException: a malformed length
            throw new IOException(name + " to " + address + " failed: " + e.getMessage(), e);
        }
        if (reply instanceof RespReader.Error error) {
            throw new ErrorReply(name, address, error.message());
        }
        return reply;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A command as a RESP array of bulk strings. */
    static byte[] encode(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$')
                    .append(a.getBytes(StandardCharsets.UTF_8).length)
                    .append("\r\n")
                    .append(a)
                    .append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The server answered a command with an error reply ({@code -ERR ...}, {@code -WRONGPASS ...}, ...). */
    public static final class ErrorReply extends IOException {
        private static final long serialVersionUID = 1L;
        private final String reply;

        ErrorReply(String command, String address, String reply) {
            super(command + " refused by " + address + ": -" + reply);
            this.reply = reply;
        }

        /** The error line without its {@code -}, e.g. {@code WRONGPASS invalid username-password pair ...}. */
        public String reply() {
            return reply;
        }
    }
}
