package io.github.redisentra.gateway.resp;

import io.github.redisentra.gateway.tls.TlsSockets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
 * One blocking RESP connection to a Redis server, for the gateway's few questions outside the event loops: the
 * {@code --check-config} and start-time probes of the cache ({@code AUTH}, {@code PING}, {@code INFO},
 * {@code COMMAND}). One command at a time: {@link #call} writes it, gathers the bytes of its one reply until
 * {@link ReplyFramer} finds the reply complete, and decodes it with {@link RespValue} into plain values (strings,
 * {@link Long}, {@link java.util.List}, {@code null}; see {@link #call}). The decoder's limits apply (nesting, string
 * length), and one reply may not exceed {@value #MAX_REPLY_BYTES} bytes.
 *
 * <p>Every failure is an {@link IOException} whose message names the server and the step: {@code cannot connect to
 * host:port: ...} (refused, unreachable, or no answer within the timeout), {@code TLS handshake with host:port
 * (verifying host name ...) failed: ...}, {@code no reply to CMD from host:port within n ms}, or an
 * {@link ErrorReply} for a {@code -ERR}-style reply. Messages name the command, never its arguments (a secret may be
 * one). After any failure other than an error reply the connection is closed, since its replies can no longer be
 * matched to commands.
 */
public final class RespConnection implements AutoCloseable {
    /** The most bytes one reply may take: two of the longest strings the decoder accepts. */
    static final int MAX_REPLY_BYTES = 2 * RespValue.MAX_BULK;

    private static final int READ_CHUNK = 16 * 1024;

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    /** Bytes received and not yet decoded; heap memory, dropped with the connection. */
    private final ByteBuf received = Unpooled.buffer(READ_CHUNK);

    private final ReplyFramer framer = new ReplyFramer();
    private final String address;
    private final long timeoutMillis;

    private RespConnection(Socket socket, String address, long timeoutMillis) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = socket.getInputStream();
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
     * @return the decoded reply: simple and bulk strings as {@link String} (UTF-8), integers as {@link Long}, arrays
     *     as {@link java.util.List}, nil as {@code null}; on a RESP3 connection also maps ({@link java.util.Map}),
     *     sets and pushes ({@link java.util.List}), doubles, booleans and big numbers ({@link Double},
     *     {@link Boolean}, {@link java.math.BigInteger}); an error nested in an array stays a {@link RespValue}
     * @throws ErrorReply when the server answers with an error
     * @throws IOException when the connection fails or the reply does not come in time
     */
    public Object call(String... command) throws IOException {
        String name = command[0];
        RespValue reply;
        try {
            out.write(encode(command));
            out.flush();
            reply = readReply();
        } catch (SocketTimeoutException e) {
            abandon();
            throw new IOException("no reply to " + name + " from " + address + " within " + timeoutMillis + " ms", e);
        } catch (IOException | ReplyProtocolException | RuntimeException e) {
            abandon();
            throw new IOException(name + " to " + address + " failed: " + e.getMessage(), e);
        }
        if (reply.isError()) {
            throw new ErrorReply(name, address, reply.errorText());
        }
        return reply.plain();
    }

    /**
     * Closes the socket after a failed exchange: a late or partly read reply could otherwise be taken for the answer
     * to the next command. Later calls fail.
     */
    private void abandon() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /**
     * Reads until one whole reply is buffered, then decodes it. The framer finds the end in one pass over the bytes
     * however they arrive; the decoder also looks at the incomplete reply each time the buffered bytes have doubled,
     * so that a header over a limit (a 2 GB string, a deep nesting) is refused before its bytes come.
     */
    private RespValue readReply() throws IOException, ReplyProtocolException {
        int nextCheck = 1;
        for (; ; ) {
            int length = received.isReadable() ? framer.next(received) : -1;
            if (length >= 0) {
                int end = received.readerIndex() + length;
                RespValue v = RespValue.decode(received);
                if (v == null || received.readerIndex() != end) {
                    throw new ReplyProtocolException("reply framing and decoding disagree");
                }
                received.discardReadBytes();
                return v;
            }
            if (received.readableBytes() >= nextCheck) {
                RespValue.decode(received.duplicate()); // null: not complete yet; throws at a limit
                nextCheck = 2 * received.readableBytes();
            }
            if (received.readableBytes() >= MAX_REPLY_BYTES) {
                throw new ReplyProtocolException("reply longer than " + MAX_REPLY_BYTES + " bytes");
            }
            received.ensureWritable(READ_CHUNK);
            if (received.writeBytes(in, Math.min(READ_CHUNK, received.writableBytes())) < 0) {
                throw new IOException("connection closed by the server");
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            socket.close();
        } finally {
            if (received.refCnt() > 0) {
                received.release();
            }
        }
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
