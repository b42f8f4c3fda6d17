package io.github.redisentra.emulator.internal;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority generated in memory at start, and the TLS server certificate it signs
 * for the loopback names. Nothing is written to disk unless asked (the CA certificate only, never a key).
 */
public final class CertificateAuthority {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] STORE_PASSWORD = "emulator".toCharArray();

    private final X509Certificate caCertificate;
    private final KeyPair serverKeys;
    private final X509Certificate serverCertificate;

    private CertificateAuthority(X509Certificate ca, KeyPair serverKeys, X509Certificate server) {
        this.caCertificate = ca;
        this.serverKeys = serverKeys;
        this.serverCertificate = server;
    }

    /** A new CA named after {@code name} and a server certificate for localhost, 127.0.0.1 and ::1. */
    public static CertificateAuthority generate(String name) {
        try {
            KeyPair caKeys = rsaKeyPair();
            Instant now = Instant.now();
            X500Name caName = new X500Name("CN=" + name + " CA, O=redis-entra emulator");
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(
                            caName,
                            serial(),
                            Date.from(now.minus(Duration.ofHours(1))),
                            Date.from(now.plus(Duration.ofDays(365))),
                            caName,
                            caKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(caKeys.getPublic()));
            X509Certificate caCert = sign(ca, caKeys);

            KeyPair serverKeys = rsaKeyPair();
            GeneralNames sans = new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.iPAddress, "::1")
            });
            X509v3CertificateBuilder server = new JcaX509v3CertificateBuilder(
                            caCert,
                            serial(),
                            Date.from(now.minus(Duration.ofHours(1))),
                            Date.from(now.plus(Duration.ofDays(365))),
                            new X500Name("CN=localhost, O=redis-entra emulator"),
                            serverKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(
                            Extension.keyUsage,
                            true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(
                            Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, sans)
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
            X509Certificate serverCert = sign(server, caKeys);
            return new CertificateAuthority(caCert, serverKeys, serverCert);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("Could not generate the emulator's TLS certificates", e);
        }
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    public String caCertificatePem() {
        return pem(caCertificate);
    }

    /** PKCS12 trust store holding only the CA certificate. */
    public KeyStore trustStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("redis-entra-emulator-ca", caCertificate);
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Could not build the emulator trust store", e);
        }
    }

    /** Client-side context: trusts the CA (and nothing else). */
    public SSLContext clientContext() {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), RANDOM);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Could not build the emulator client SSLContext", e);
        }
    }

    /** Server-side context presenting the loopback certificate (chain: server, CA). */
    public SSLContext serverContext() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", serverKeys.getPrivate(), STORE_PASSWORD, new X509Certificate[] {
                serverCertificate, caCertificate
            });
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, STORE_PASSWORD);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, RANDOM);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Could not build the emulator server SSLContext", e);
        }
    }

    public static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static KeyPair rsaKeyPair() throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048, RANDOM);
        return gen.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).abs().add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuerKeys)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    /**
     * A self-signed certificate and key for a confidential client (tests and the demo use it to register a
     * certificate credential). Returned as a key pair + certificate; the caller keeps the key in memory.
     */
    public static SelfSigned selfSigned(String commonName) {
        try {
            KeyPair keys = rsaKeyPair();
            Instant now = Instant.now();
            X500Name name = new X500Name("CN=" + commonName);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name,
                    serial(),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(Duration.ofDays(365))),
                    name,
                    keys.getPublic());
            return new SelfSigned(keys, sign(builder, keys));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("Could not generate a self-signed certificate", e);
        }
    }

    /** A key pair and its self-signed certificate. */
    public record SelfSigned(KeyPair keyPair, X509Certificate certificate) {
        @Override
        public String toString() {
            return "SelfSigned[" + certificate.getSubjectX500Principal() + "]";
        }
    }
}
