package io.github.redisentra.gateway.auth.ldap;

import io.github.redisentra.gateway.config.LdapConfig;
import io.github.redisentra.gateway.identity.TrustMaterial;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * TLS material for LDAPS and StartTLS: the JVM's trust anchors plus {@code LDAP_CA_FILE}, an optional client
 * certificate, and sockets restricted to TLS 1.3 and 1.2.
 */
final class LdapTls {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    private static final Pattern PEM_KEY =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private LdapTls() {}

    /** The socket factory the configuration describes, or {@code null} when no server uses TLS. */
    static SSLSocketFactory socketFactory(LdapConfig c) throws GeneralSecurityException, IOException {
        if (!c.tls()) {
            return null;
        }
        KeyManager[] km = null;
        if (c.clientCertFile() != null && c.clientKeyFile() != null) {
            km = keyManagers(c.clientCertFile(), c.clientKeyFile());
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(km, new TrustManager[] {TrustMaterial.trustManager(Optional.ofNullable(c.caFile()))}, null);
        return new Tls12Plus(ctx.getSocketFactory(), c.verifyHostname());
    }

    static KeyManager[] keyManagers(Path certFile, Path keyFile) throws GeneralSecurityException, IOException {
        Certificate[] chain = TrustMaterial.readCertificates(certFile).toArray(new Certificate[0]);
        if (chain.length == 0) {
            throw new GeneralSecurityException("no PEM certificate in LDAP_CLIENT_CERT_FILE");
        }
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        Matcher m = PEM_KEY.matcher(pem);
        if (!m.find()) {
            throw new GeneralSecurityException(
                    "LDAP_CLIENT_KEY_FILE holds no PKCS#8 PEM private key" + " (-----BEGIN PRIVATE KEY-----)");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        PrivateKey key = null;
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "EdDSA"}) {
            try {
                key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                break;
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        if (key == null) {
            throw new GeneralSecurityException("LDAP_CLIENT_KEY_FILE: unsupported private key type");
        }
        char[] pw = new char[0];
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", key, pw, chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        return kmf.getKeyManagers();
    }

    /**
     * Enables only TLS 1.3 and 1.2 on every socket it creates (LDAPS connects and StartTLS layering) and, when asked,
     * the JDK's LDAPS host-name check (RFC 6125: the certificate must name the host of the server's URL), which runs
     * inside the handshake — before any bind is sent.
     */
    static final class Tls12Plus extends SSLSocketFactory {
        private final SSLSocketFactory d;
        private final boolean verifyHostname;

        Tls12Plus(SSLSocketFactory d, boolean verifyHostname) {
            this.d = d;
            this.verifyHostname = verifyHostname;
        }

        private Socket restrict(Socket s) {
            if (s instanceof SSLSocket ssl) {
                SSLParameters p = ssl.getSSLParameters();
                p.setProtocols(PROTOCOLS);
                if (verifyHostname) {
                    p.setEndpointIdentificationAlgorithm("LDAPS");
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
