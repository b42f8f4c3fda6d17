package io.github.redisentra.gateway.tls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Blocking TLS client sockets (LDAP, probes of the cache) with the gateway's rules: only TLS 1.3 and 1.2, and, when
 * asked, the JDK's host-name check (RFC 6125), which runs inside the handshake, before any byte of the application
 * protocol is sent.
 */
public final class TlsSockets {
    private TlsSockets() {}

    /**
     * A socket factory restricting every socket it creates (connects and layering, e.g. StartTLS) to TLS 1.3 and 1.2
     * and, when {@code endpointIdentification} is not {@code null}, checking the server's certificate against the
     * host connected to with that algorithm ({@code "LDAPS"}, {@code "HTTPS"}).
     */
    public static SSLSocketFactory factory(SSLContext context, String endpointIdentification) {
        return new Restricted(context.getSocketFactory(), endpointIdentification);
    }

    /**
     * Layers TLS over a connected socket and completes the handshake: TLS 1.3/1.2, SNI {@code hostname}, and the
     * certificate must name {@code hostname} (HTTPS rules, as for a cache). Closes {@code plain} when it fails.
     */
    public static SSLSocket layer(SSLContext context, Socket plain, String hostname) throws IOException {
        SSLSocket tls;
        try {
            tls = (SSLSocket) factory(context, "HTTPS").createSocket(plain, hostname, plain.getPort(), true);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
        try {
            SSLParameters params = tls.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(hostname)));
            tls.setSSLParameters(params);
            tls.startHandshake();
            return tls;
        } catch (IOException | RuntimeException e) {
            tls.close();
            throw e;
        }
    }

    private static final class Restricted extends SSLSocketFactory {
        private final SSLSocketFactory d;
        private final String endpointIdentification;

        Restricted(SSLSocketFactory d, String endpointIdentification) {
            this.d = d;
            this.endpointIdentification = endpointIdentification;
        }

        private Socket restrict(Socket s) {
            if (s instanceof SSLSocket ssl) {
                SSLParameters p = ssl.getSSLParameters();
                p.setProtocols(TlsContexts.PROTOCOLS);
                if (endpointIdentification != null) {
                    p.setEndpointIdentificationAlgorithm(endpointIdentification);
                }
                ssl.setSSLParameters(p);
            }
            return s;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return d.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return d.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket() throws IOException {
            return restrict(d.createSocket());
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return restrict(d.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return restrict(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return restrict(d.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return restrict(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return restrict(d.createSocket(address, port, localAddress, localPort));
        }
    }
}
