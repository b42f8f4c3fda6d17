package io.github.redisentra.testkit;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A minimal, blocking Redis connection over a plain Java socket (optionally TLS): enough for test set-up,
 * admin commands and raw protocol assertions, with no client library in the way.
 *
 * <p>{@link #call(String...)} sends one command and returns the reply as a Java value:
 * simple/bulk/verbatim strings → {@code String}, integers → {@code Long}, doubles → {@code Double},
 * booleans → {@code Boolean}, nil/null → {@code null}, arrays/sets/pushes → {@code List<Object>},
 * maps → {@code Map<Object, Object>}; an error reply is thrown as {@link RedisErrorReply}. The connection
 * speaks RESP2 unless you send {@code HELLO 3} yourself.
 *
 * <p>Not thread-safe except for the admin connection handed out by {@link RedisServer#cli()}, whose calls
 * are serialised and which reconnects (and re-authenticates) once if its connection was closed, e.g. by a
 * test's {@code CLIENT KILL}. Exceptions never contain command arguments (they may be passwords or tokens).
 */
public final class RedisCli implements AutoCloseable {

    /** Read timeout per reply: generous, because a loaded 2-core CI machine can stall for seconds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final String host;
    private final int port;
    private final SSLContext tls;
    private final Duration timeout;
    private final String[] handshake; // AUTH command replayed on reconnect, or null
    private final boolean reconnect;

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    private RedisCli(String host, int port, SSLContext tls, Duration timeout, String[] handshake, boolean reconnect) {
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
        this.tls = tls;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.handshake = handshake;
        this.reconnect = reconnect;
    }

    /** A plaintext connection to {@code host:port} (connects immediately). */
    public static RedisCli connect(String host, int port) {
        return open(new RedisCli(host, port, null, DEFAULT_TIMEOUT, null, false));
    }

    /**
     * A TLS connection to {@code host:port} using {@code sslContext} (connects and handshakes immediately;
     * the server certificate's names are checked against {@code host}).
     */
    public static RedisCli connectTls(String host, int port, SSLContext sslContext) {
        Objects.requireNonNull(sslContext, "sslContext");
        return open(new RedisCli(host, port, sslContext, DEFAULT_TIMEOUT, null, false));
    }

    /** The admin connection: authenticated, serialised, reconnecting once after a broken connection. */
    static RedisCli admin(String host, int port, SSLContext tls, Duration timeout, String user, String password) {
        return open(new RedisCli(host, port, tls, timeout, new String[] {"AUTH", user, password}, true));
    }

    private static RedisCli open(RedisCli cli) {
        try {
            cli.openSocket();
            return cli;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "could not connect to Redis at " + cli.host + ":" + cli.port + (cli.tls != null ? " (TLS)" : "")
                            + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * Sends one command and reads its reply.
     *
     * @throws RedisErrorReply when Redis answers with an error
     * @throws UncheckedIOException when the connection fails or the reply does not arrive in time
     */
    public synchronized Object call(String... args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("a Redis command needs at least a command name");
        }
        try {
            if (socket == null) {
                openSocket();
            }
            return roundTrip(args);
        } catch (IOException first) {
            if (!reconnect) {
                closeQuietly();
                throw failure(args[0], first);
            }
            closeQuietly();
            try {
                openSocket();
                return roundTrip(args);
            } catch (IOException second) {
                closeQuietly();
                second.addSuppressed(first);
                throw failure(args[0], second);
            }
        }
    }

    /** {@link #call(String...)} for commands answering with a string ({@code +OK}, a bulk string, …). */
    public String callString(String... args) {
        Object reply = call(args);
        return reply == null ? null : reply.toString();
    }

    /** Sends raw bytes as they are (inline commands, malformed frames) and reads one reply. */
    public synchronized Object sendRaw(byte[] bytes) {
        try {
            if (socket == null) {
                openSocket();
            }
            out.write(bytes);
            out.flush();
            return readReply();
        } catch (IOException e) {
            closeQuietly();
            throw failure("raw bytes", e);
        }
    }

    /** Reads one more reply or push frame (after {@code SUBSCRIBE}, {@code MONITOR}, …). */
    public synchronized Object readNext() {
        try {
            if (socket == null) {
                throw new IOException("connection closed");
            }
            return readReply();
        } catch (IOException e) {
            closeQuietly();
            throw failure("read", e);
        }
    }

    /** Whether the server has closed this connection (probes with a 1 ms read; consumes nothing on success). */
    public synchronized boolean isClosedByServer() {
        if (socket == null) {
            return true;
        }
        try {
            socket.setSoTimeout(1);
            in.mark(1);
            int b = in.read();
            if (b < 0) {
                return true;
            }
            in.reset();
            return false;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        } finally {
            try {
                if (socket != null && !socket.isClosed()) {
                    socket.setSoTimeout((int) timeout.toMillis());
                }
            } catch (IOException ignored) {
                // the next call reports the broken connection
            }
        }
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }

    @Override
    public String toString() {
        return "RedisCli[" + host + ":" + port + (tls != null ? " tls" : "") + "]";
    }

    private void openSocket() throws IOException {
        Socket s = tls == null ? new Socket() : tls.getSocketFactory().createSocket();
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) timeout.toMillis());
            s.connect(new InetSocketAddress(host, port), (int) Math.min(timeout.toMillis(), 10_000));
            if (s instanceof SSLSocket ssl) {
                SSLParameters params = ssl.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(params);
                ssl.startHandshake();
            }
            socket = s;
            in = new BufferedInputStream(s.getInputStream());
            out = new BufferedOutputStream(s.getOutputStream());
        } catch (IOException e) {
            s.close();
            throw e;
        }
        if (handshake != null) {
            try {
                roundTrip(handshake);
            } catch (RedisErrorReply e) {
                closeQuietly();
                throw new IllegalStateException("the testkit admin user was refused: " + e.getMessage(), e);
            }
        }
    }

    private Object roundTrip(String[] args) throws IOException {
        out.write(encode(args));
        out.flush();
        return readReply();
    }

    /** The RESP multibulk encoding of a command (for raw-protocol tests with {@link #sendRaw(byte[])}). */
    public static byte[] encode(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        buf.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            buf.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            buf.writeBytes(bytes);
            buf.writeBytes(new byte[] {'\r', '\n'});
        }
        return buf.toByteArray();
    }

    private Object readReply() throws IOException {
        Object reply = readValue();
        if (reply instanceof RedisErrorReply error) {
            throw new RedisErrorReply(error.getMessage()); // fresh stack trace at the caller
        }
        return reply;
    }

    private Object readValue() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by the server");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
            case '!':
                return new RedisErrorReply(type == '!' ? readBulk(line) : line);
            case ':':
                return Long.parseLong(line);
            case '(':
                return new java.math.BigInteger(line);
            case ',':
                return Double.parseDouble(line.replace("inf", "Infinity"));
            case '#':
                return "t".equals(line);
            case '_':
                return null;
            case '$':
            case '=':
                return readBulk(line);
            case '*':
            case '~':
            case '>':
                return readList(Integer.parseInt(line));
            case '%':
            case '|':
                int pairs = Integer.parseInt(line);
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < pairs; i++) {
                    map.put(readValue(), readValue());
                }
                if (type == '|') {
                    return readValue(); // attributes precede the real reply; tests don't need them
                }
                return map;
            default:
                throw new IOException("unexpected RESP type byte '" + (char) type + "'");
        }
    }

    private List<Object> readList(int count) throws IOException {
        if (count < 0) {
            return null;
        }
        List<Object> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(readValue());
        }
        return list;
    }

    private String readBulk(String lengthLine) throws IOException {
        int length = Integer.parseInt(lengthLine);
        if (length < 0) {
            return null;
        }
        byte[] data = in.readNBytes(length);
        if (data.length < length || in.read() != '\r' || in.read() != '\n') {
            throw new EOFException("connection closed inside a bulk string");
        }
        return new String(data, StandardCharsets.UTF_8);
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside a reply");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("malformed reply: CR without LF");
                }
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    private UncheckedIOException failure(String command, IOException e) {
        // The command name is safe to show; arguments are not (AUTH passwords, tokens).
        return new UncheckedIOException(
                "Redis " + command.split(" ")[0] + " on " + host + ":" + port + " failed: " + e.getMessage(), e);
    }

    private void closeQuietly() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        socket = null;
        in = null;
        out = null;
    }
}
