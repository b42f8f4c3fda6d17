package io.github.redisentra.gateway.identity;

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
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trust for outgoing TLS: the JVM's default trust anchors plus, optionally, the CA certificates of a PEM file (a
 * private CA, or a local emulator's). Adding a CA never removes the JVM's anchors.
 */
public final class TrustMaterial {
    private TrustMaterial() {}

    /** A trust manager for the JVM's anchors plus every certificate in {@code extraCaPem} when present. */
    public static X509TrustManager trustManager(Optional<Path> extraCaPem)
            throws GeneralSecurityException, IOException {
        X509TrustManager jvm = defaultTrustManager();
        if (extraCaPem.isEmpty()) {
            return jvm;
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
        return x509(tmf.getTrustManagers());
    }

    /** A TLS client context trusting the JVM's anchors plus {@code extraCaPem}. */
    public static SSLContext sslContext(Optional<Path> extraCaPem) throws GeneralSecurityException, IOException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {trustManager(extraCaPem)}, null);
        return ctx;
    }

    public static Collection<? extends Certificate> readCertificates(Path pem)
            throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }

    private static X509TrustManager defaultTrustManager() throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        return x509(tmf.getTrustManagers());
    }

    private static X509TrustManager x509(TrustManager[] tms) throws GeneralSecurityException {
        for (TrustManager tm : tms) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509TrustManager available");
    }
}
