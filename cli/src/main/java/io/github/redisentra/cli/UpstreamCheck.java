package io.github.redisentra.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One blocking connection before the tunnel opens: TCP, TLS (SNI, host name verified), {@code AUTH <oid> <token>},
 * {@code PING}; so that "unreachable" and "refused the user" are said once, clearly, at start instead of as an
 * {@code -ERR} on the first client's first command. The messages quote the server's reply (never the token).
 */
final class UpstreamCheck {
    private UpstreamCheck() {}

    /** What is at the other end, for the messages. */
    enum Kind {
        GATEWAY("the gateway"),
        CACHE("the cache");

        final String words;

        Kind(String words) {
            this.words = words;
        }
    }

    static void check(
            Kind kind,
            String host,
            int port,
            String serverName,
            SSLContext tls,
            Duration timeout,
            String user,
            String account,
            String secret)
            throws CliException {
        String where = kind.words + " at " + host + ":" + port;
        Socket plain = new Socket();
        try {
            talk(kind, where, plain, host, port, serverName, tls, timeout, user, account, secret);
        } finally {
            try {
                plain.close();
            } catch (IOException e) {
                // closing a probe connection: nothing to tell
            }
        }
    }

    private static void talk(
            Kind kind,
            String where,
            Socket plain,
            String host,
            int port,
            String serverName,
            SSLContext tls,
            Duration timeout,
            String user,
            String account,
            String secret)
            throws CliException {
        try {
            plain.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            plain.setSoTimeout((int) timeout.toMillis());
        } catch (IOException e) {
            throw new CliException(CliException.UPSTREAM, "cannot reach " + where + ": " + e.getMessage(), e);
        }
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, serverName, port, true)) {
            SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            params.setServerNames(List.of(new SNIHostName(serverName)));
            socket.setSSLParameters(params);
            try {
                socket.startHandshake();
            } catch (IOException e) {
                throw new CliException(
                        CliException.UPSTREAM,
                        "TLS with " + where + " (verifying the name " + serverName + ") failed: " + e.getMessage()
                                + " (a private CA: --upstream-ca-file; another certificate name:"
                                + " --upstream-server-name)",
                        e);
            }
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            out.write(command("AUTH", user, secret));
            out.write(command("PING"));
            out.flush();
            String auth = readLine(in);
            if (!auth.equals("+OK")) {
                throw new CliException(CliException.UPSTREAM, refusal(kind, where, user, account, auth));
            }
            String pong = readLine(in);
            if (!pong.equals("+PONG")) {
                throw new CliException(CliException.UPSTREAM, where + " answered PING after AUTH with: " + pong);
            }
        } catch (IOException e) {
            throw new CliException(CliException.UPSTREAM, "talking to " + where + " failed: " + e.getMessage(), e);
        }
    }

    static String refusal(Kind kind, String where, String user, String account, String reply) {
        String why = switch (kind) {
            case GATEWAY ->
                "is " + account + " in one of the gateway's allowed groups (or roles), and is"
                        + " --scope the gateway's API (api://<gateway app>/.default)? The gateway's audit log"
                        + " names the reason.";
            case CACHE ->
                "does the cache have a data access policy assignment for object id " + user
                        + " (Entra authentication enabled), and is --scope https://redis.azure.com/.default?";
        };
        return where + " refused " + account + " (user " + user + "): " + reply + "\n" + why;
    }

    private static byte[] command(String... args) {
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

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                return sb.toString().stripTrailing();
            }
            if (sb.length() < 512) {
                sb.append((char) c);
            }
        }
        throw new IOException("connection closed" + (sb.isEmpty() ? "" : " after \"" + sb + "\""));
    }
}
