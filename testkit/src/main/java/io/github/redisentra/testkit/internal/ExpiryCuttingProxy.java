package io.github.redisentra.testkit.internal;

import io.github.redisentra.testkit.RedisServer;
import io.github.redisentra.testkit.TestCertificate;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A byte-for-byte TCP (and TLS-terminating) forwarder in front of a {@link RedisServer} that remembers, per
 * connection, the token the client last authenticated with, so that connection can be closed when that token
 * expires — what an Azure cache does and Redis cannot. It reads the client's command frames (RESP multibulk
 * or inline) only to spot {@code AUTH} and {@code HELLO … AUTH}; every byte is forwarded unchanged, and the
 * server's replies are copied back untouched.
 *
 * <p>A blocking design (two threads per connection) keeps it small and obviously correct; tests open few
 * connections.
 */
public final class ExpiryCuttingProxy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ExpiryCuttingProxy.class);
    private static final int MAX_INLINE = 64 * 1024;

    private final RedisServer server;
    private final BiPredicate<String, String> isAccepted;
    private final ServerSocket plain;
    private final ServerSocket tls;
    private final SSLContext frontTls;
    private final List<ServerSocket> extraListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ExecutorService threads;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong cut = new AtomicLong();
    private volatile boolean closed;

    private ExpiryCuttingProxy(
            RedisServer server,
            BiPredicate<String, String> isAccepted,
            ServerSocket plain,
            ServerSocket tls,
            SSLContext frontTls) {
        this.server = server;
        this.frontTls = frontTls;
        this.isAccepted = isAccepted;
        this.plain = plain;
        this.tls = tls;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "stand-in-front-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens a plaintext front port, and a TLS one (certificate from the server's CA) when the server has TLS.
     * {@code isAccepted.test(username, token)} says whether an AUTH with that pair would succeed now.
     */
    public static ExpiryCuttingProxy start(RedisServer server, BiPredicate<String, String> isAccepted)
            throws IOException {
        return start(server, isAccepted, null);
    }

    /**
     * As {@link #start(RedisServer, BiPredicate)}, with the TLS front port presenting {@code frontCertificate} (null:
     * a certificate for localhost and the loopback addresses from the server's CA).
     */
    public static ExpiryCuttingProxy start(
            RedisServer server, BiPredicate<String, String> isAccepted, TestCertificate frontCertificate)
            throws IOException {
        InetAddress loopback = InetAddress.getByName(RedisServer.HOST);
        ServerSocket plain = new ServerSocket(0, 50, loopback);
        ServerSocket tls = null;
        SSLContext context = null;
        if (server.hasTls()) {
            TestCertificateAuthority ca = server.certificateAuthority();
            context = ca.sslContext(frontCertificate != null ? frontCertificate : ca.issueServerCertificate());
            tls = context.getServerSocketFactory().createServerSocket(0, 50, loopback);
        }
        ExpiryCuttingProxy proxy = new ExpiryCuttingProxy(server, isAccepted, plain, tls, context);
        proxy.threads.execute(() -> proxy.acceptLoop(plain));
        if (tls != null) {
            ServerSocket tlsSocket = tls;
            proxy.threads.execute(() -> proxy.acceptLoop(tlsSocket));
        }
        return proxy;
    }

    public int port() {
        return plain.getLocalPort();
    }

    public int tlsPort() {
        if (tls == null) {
            throw new IllegalStateException("the server has no TLS, so the stand-in's front door has none either");
        }
        return tls.getLocalPort();
    }

    /**
     * Opens one more TLS front port (same certificate, same connections bookkeeping) and returns it, e.g. for a cluster
     * node that is to announce another port.
     */
    public int openTlsPort() throws IOException {
        if (frontTls == null) {
            throw new IllegalStateException("the server has no TLS, so the stand-in's front door has none either");
        }
        ServerSocket extra =
                frontTls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getByName(RedisServer.HOST));
        extraListeners.add(extra);
        threads.execute(() -> acceptLoop(extra));
        return extra.getLocalPort();
    }

    /** Closes every connection whose last accepted AUTH used {@code token}; returns how many. */
    public int cutConnectionsUsing(String token) {
        int count = 0;
        for (Connection connection : connections) {
            if (token.equals(connection.token)) {
                log.info(
                        "cutting connection from port {} ({} accepted AUTHs, {} commands, first: {})",
                        connection.client.getPort(),
                        connection.auths,
                        connection.commands,
                        connection.firstCommands);
                connection.close();
                count++;
            }
        }
        cut.addAndGet(count);
        return count;
    }

    public long connectionsCut() {
        return cut.get();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(plain);
        closeQuietly(tls);
        extraListeners.forEach(ExpiryCuttingProxy::closeQuietly);
        for (Connection connection : connections) {
            connection.close();
        }
        threads.shutdownNow();
    }

    private void acceptLoop(ServerSocket listener) {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("stand-in front port stopped accepting: {}", e.getMessage());
                }
                return;
            }
            threads.execute(() -> open(client));
        }
    }

    private void open(Socket client) {
        Socket upstream = null;
        try {
            client.setTcpNoDelay(true);
            if (client instanceof SSLSocket ssl) {
                ssl.startHandshake();
            }
            upstream = connectUpstream();
            Connection connection = new Connection(client, upstream);
            connections.add(connection);
            if (closed) {
                connection.close();
                return;
            }
            Socket up = upstream;
            threads.execute(() -> connection.pump(up, client, false));
            connection.pump(client, up, true);
        } catch (IOException | RuntimeException e) {
            log.debug("stand-in front connection failed: {}", e.getMessage());
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    private Socket connectUpstream() throws IOException {
        Socket socket;
        if (server.hasPlaintext()) {
            socket = new Socket();
            socket.connect(new InetSocketAddress(RedisServer.HOST, server.port()), 10_000);
        } else {
            socket = server.clientSslContext().getSocketFactory().createSocket();
            socket.connect(new InetSocketAddress(RedisServer.HOST, server.tlsPort()), 10_000);
            SSLSocket ssl = (SSLSocket) socket;
            SSLParameters params = ssl.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            ssl.setSSLParameters(params);
            ssl.startHandshake();
        }
        socket.setTcpNoDelay(true);
        return socket;
    }

    private final class Connection {
        private final Socket client;
        private final Socket upstream;
        /** The token of the last AUTH that the stand-in accepted at the time it was sent. */
        volatile String token;

        volatile int auths;
        volatile long commands;
        final List<String> firstCommands = new java.util.concurrent.CopyOnWriteArrayList<>();

        Connection(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void pump(Socket from, Socket to, boolean fromClient) {
            try {
                InputStream in = new BufferedInputStream(from.getInputStream());
                OutputStream out = fromClient
                        ? new java.io.BufferedOutputStream(to.getOutputStream(), 16 * 1024)
                        : to.getOutputStream();
                if (fromClient) {
                    forwardCommands(in, out);
                } else {
                    byte[] buf = new byte[16 * 1024];
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // a closed side ends both directions
            } finally {
                close();
            }
        }

        private void forwardCommands(InputStream in, OutputStream out) throws IOException {
            while (true) {
                ByteArrayOutputStream raw = new ByteArrayOutputStream();
                List<String> args = readCommand(in, raw);
                if (args == null) {
                    return;
                }
                observe(args);
                raw.writeTo(out);
                if (in.available() == 0) {
                    out.flush();
                }
            }
        }

        private void observe(List<String> args) {
            if (args.isEmpty()) {
                return;
            }
            String command = args.get(0).toUpperCase(Locale.ROOT);
            String user = null;
            String pass = null;
            if (command.equals("AUTH")) {
                if (args.size() == 2) {
                    user = "default";
                    pass = args.get(1);
                } else if (args.size() == 3) {
                    user = args.get(1);
                    pass = args.get(2);
                }
            } else if (command.equals("HELLO")) {
                for (int i = 1; i + 2 < args.size(); i++) {
                    if (args.get(i).equalsIgnoreCase("AUTH")) {
                        user = args.get(i + 1);
                        pass = args.get(i + 2);
                        break;
                    }
                }
            }
            commands++;
            if (firstCommands.size() < 8) {
                // names only (and a subcommand): never arguments, which may be tokens
                firstCommands.add(command
                        + (args.size() > 1 && !command.equals("AUTH") && !command.equals("HELLO")
                                ? " " + args.get(1)
                                : ""));
            }
            if (user != null && pass != null && isAccepted.test(user, pass)) {
                auths++;
                token = pass;
            }
        }

        void close() {
            connections.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    /**
     * Reads one command frame, copying its exact bytes to {@code raw}; returns its arguments (bulk strings
     * decoded as UTF-8), or null at end of stream.
     */
    static List<String> readCommand(InputStream in, ByteArrayOutputStream raw) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        raw.write(first);
        List<String> args = new ArrayList<>();
        if (first == '*') {
            int count = Integer.parseInt(readLine(in, raw));
            for (int i = 0; i < count; i++) {
                int type = in.read();
                if (type < 0) {
                    throw new EOFException();
                }
                raw.write(type);
                int length = Integer.parseInt(readLine(in, raw));
                byte[] data = in.readNBytes(Math.max(0, length) + 2);
                if (data.length < length + 2) {
                    throw new EOFException();
                }
                raw.write(data);
                args.add(new String(data, 0, Math.max(0, length), StandardCharsets.UTF_8));
            }
            return args;
        }
        // Inline command: the rest of the line, split on blanks.
        String line = (char) first + readLine(in, raw);
        for (String word : line.trim().split("\\s+")) {
            if (!word.isEmpty()) {
                args.add(word);
            }
        }
        return args;
    }

    private static String readLine(InputStream in, ByteArrayOutputStream raw) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException();
            }
            raw.write(b);
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            if (line.length() > MAX_INLINE) {
                throw new IOException("line too long");
            }
            line.append((char) b);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
    }
}
