package io.github.redisentra.gateway.tls;

import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trust for outgoing TLS: the JVM's default trust anchors plus, optionally, the CA certificates of a PEM file (a
 * private CA, or a local emulator's). Adding a CA never removes the JVM's anchors. The JVM's anchors are read once per
 * process; the PEM file once per {@link #load}, and the result gives every form a user needs: the trust manager, a JDK
 * {@link SSLContext} (HTTP, LDAP, blocking probes) and a Netty {@link SslContext} (the upstream connections).
 */
public final class TrustMaterial {
    private final X509TrustManager trustManager;
    private final SSLContext sslContext;

    private TrustMaterial(X509TrustManager trustManager) throws GeneralSecurityException {
        this.trustManager = trustManager;
        this.sslContext = sslContext(trustManager, null);
    }

    /**
     * The JVM's anchors plus every certificate in {@code extraCaPem} when present.
     *
     * @throws GeneralSecurityException when the file holds no PEM certificate
     * @throws IOException when the file cannot be read
     */
    public static TrustMaterial load(Optional<Path> extraCaPem) throws GeneralSecurityException, IOException {
        X509TrustManager jvm = JvmAnchors.trustManager();
        if (extraCaPem.isEmpty()) {
            return new TrustMaterial(jvm);
        }
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (X509Certificate c : jvm.getAcceptedIssuers()) {
            ks.setCertificateEntry("jvm-" + i++, c);
        }
        Collection<? extends Certificate> extra = readCertificates(extraCaPem.get());
        if (extra.isEmpty()) {
            throw new GeneralSecurityException("no PEM certificate found in " + extraCaPem.get());
        }
        for (Certificate c : extra) {
            ks.setCertificateEntry("extra-" + i++, c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return new TrustMaterial(x509(tmf.getTrustManagers()));
    }

    /** The trust manager: the JVM's anchors plus the extra CA file's certificates. */
    public X509TrustManager trustManager() {
        return trustManager;
    }

    /** A JDK TLS client context with this trust and no client certificate (built once). */
    public SSLContext sslContext() {
        return sslContext;
    }

    /** A JDK TLS client context with this trust presenting the client certificate of {@code keyManagers}. */
    public SSLContext sslContext(KeyManager[] keyManagers) throws GeneralSecurityException {
        return keyManagers == null ? sslContext : sslContext(trustManager, keyManagers);
    }

    /** A Netty client context with this trust, for the upstream connections ({@link TlsContexts#upstreamClient}). */
    public SslContext nettyClient() throws SSLException {
        return TlsContexts.upstreamClient(trustManager);
    }

    /** Every certificate of a PEM file (none when it holds none). */
    static Collection<? extends Certificate> readCertificates(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }

    private static SSLContext sslContext(X509TrustManager trust, KeyManager[] keyManagers)
            throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keyManagers, new TrustManager[] {trust}, null);
        return ctx;
    }

    private static X509TrustManager x509(TrustManager[] tms) throws GeneralSecurityException {
        for (TrustManager tm : tms) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509TrustManager available");
    }

    /** The JVM's default anchors ({@code cacerts} or {@code javax.net.ssl.trustStore}), read on first use. */
    private static final class JvmAnchors {
        private static X509TrustManager loaded;

        static synchronized X509TrustManager trustManager() throws GeneralSecurityException {
            if (loaded == null) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init((KeyStore) null);
                loaded = x509(tmf.getTrustManagers());
            }
            return loaded;
        }
    }
}
