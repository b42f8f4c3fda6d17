package io.github.redisentra.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
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
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for tests: issues server certificates (with the loopback names as
 * subject alternative names) and client certificates, all generated in memory at test time.
 *
 * <p>Keys are EC P-256 (fast to generate on a loaded machine, understood by OpenSSL and the JDK).
 * Certificates are valid from one hour ago (tolerates clock skew) for {@link #DEFAULT_VALIDITY}.
 *
 * <pre>{@code
 * TestCertificateAuthority ca = TestCertificateAuthority.create("gateway-tests");
 * TestCertificate server = ca.issueServerCertificate("gateway.test");   // + localhost, 127.0.0.1, ::1
 * TestCertificate client = ca.issueClientCertificate("alice");
 * SSLContext trustOnly = ca.trustingSslContext();
 * SSLContext mutual = ca.sslContext(client);
 * server.writeCertificatePem(dir.resolve("server.pem"));
 * server.writePrivateKeyPem(dir.resolve("server.key"));   // PKCS#8, owner-only permissions
 * }</pre>
 *
 * <p>Nothing generated here belongs in the repository; the key material lives in memory and in files the
 * caller chooses (typically a temporary directory that {@link RedisServer} deletes on close).
 */
public final class TestCertificateAuthority {

    /** Validity of issued certificates: long enough for any test run. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(2);

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final TestCertificate ca;

    private TestCertificateAuthority(TestCertificate ca) {
        this.ca = ca;
    }

    /** A new CA with the given common name (shown in certificate errors; say which test made it). */
    public static TestCertificateAuthority create(String commonName) {
        requireName(commonName, "commonName");
        try {
            KeyPair keys = newKeyPair();
            X500Name subject = new X500Name("CN=" + escapeRdn(commonName) + ",O=redis-entra testkit");
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    subject,
                    serial(),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(DEFAULT_VALIDITY)),
                    subject,
                    keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(
                    Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate cert = sign(builder, keys);
            return new TestCertificateAuthority(new TestCertificate(cert, keys.getPrivate(), List.of(cert)));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("could not create the test certificate authority", e);
        }
    }

    /**
     * A server certificate for {@code localhost}, {@code 127.0.0.1} and {@code ::1} plus {@code extraNames}
     * (DNS names or IP literals). Extended key usage allows both server and client authentication, because
     * redis-server also presents its certificate when it connects out (replication, cluster bus).
     */
    public TestCertificate issueServerCertificate(String... extraNames) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        for (String name : extraNames) {
            names.add(requireName(name, "extraNames"));
        }
        return issue(
                "localhost", names, new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
    }

    /**
     * A server certificate naming only {@code names} (no localhost, no IP literal), like an Azure cache's certificate,
     * which carries its host name but never the shard IPs a cluster client dials. Server and client authentication.
     */
    public TestCertificate issueServerCertificateNamedOnly(String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("at least one name is needed");
        }
        Set<String> sans = new LinkedHashSet<>();
        for (String name : names) {
            sans.add(requireName(name, "names"));
        }
        return issue(names[0], sans, new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
    }

    /** A client certificate whose subject common name is {@code commonName}. */
    public TestCertificate issueClientCertificate(String commonName) {
        requireName(commonName, "commonName");
        return issue(commonName, Set.of(), new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth});
    }

    /** The CA certificate. */
    public X509Certificate certificate() {
        return ca.certificate();
    }

    /** The CA certificate as PEM ({@code -----BEGIN CERTIFICATE-----}). */
    public String certificatePem() {
        return ca.certificatePem();
    }

    /** Writes the CA certificate as PEM to {@code file} (for {@code tls-ca-cert-file} and the like). */
    public Path writeCertificatePem(Path file) {
        return ca.writeCertificatePem(file);
    }

    /** An in-memory PKCS12 trust store holding only this CA. */
    public KeyStore trustStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("testkit-ca", ca.certificate());
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("could not build the trust store", e);
        }
    }

    /** A TLS client context that trusts this CA and presents no client certificate. */
    public SSLContext trustingSslContext() {
        return sslContext(null);
    }

    /**
     * A TLS context that trusts this CA and, when {@code keyMaterial} is not null, presents that certificate
     * (client certificate for a client, server certificate for a server).
     */
    public SSLContext sslContext(TestCertificate keyMaterial) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(
                    keyMaterial == null ? null : keyMaterial.keyManagerFactory().getKeyManagers(),
                    tmf.getTrustManagers(),
                    null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not build the TLS context", e);
        }
    }

    private TestCertificate issue(String commonName, Set<String> sans, KeyPurposeId[] purposes) {
        try {
            KeyPair keys = newKeyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name("CN=" + escapeRdn(commonName) + ",O=redis-entra testkit");
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    ca.certificate(),
                    serial(),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(DEFAULT_VALIDITY)),
                    subject,
                    keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
            builder.addExtension(
                    Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            builder.addExtension(
                    Extension.authorityKeyIdentifier,
                    false,
                    ext.createAuthorityKeyIdentifier(ca.certificate().getPublicKey()));
            if (!sans.isEmpty()) {
                List<GeneralName> names = new ArrayList<>();
                for (String name : sans) {
                    names.add(
                            isIpLiteral(name)
                                    ? new GeneralName(GeneralName.iPAddress, name)
                                    : new GeneralName(GeneralName.dNSName, name));
                }
                builder.addExtension(
                        Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            X509Certificate cert = sign(builder, new KeyPair(ca.certificate().getPublicKey(), ca.privateKey()));
            return new TestCertificate(cert, keys.getPrivate(), List.of(cert, ca.certificate()));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("could not issue a test certificate for " + commonName, e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
            throws OperatorCreationException, GeneralSecurityException {
        var contentSigner = new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(63, RANDOM).add(BigInteger.ONE);
    }

    private static boolean isIpLiteral(String name) {
        return name.contains(":") || IPV4.matcher(name).matches();
    }

    private static String escapeRdn(String value) {
        return value.replaceAll("([,+\"\\\\<>;=])", "\\\\$1");
    }

    private static String requireName(String name, String what) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(what + " must be a non-blank name, got " + name);
        }
        return name;
    }

    static UncheckedIOException unchecked(String what, IOException e) {
        return new UncheckedIOException(what + ": " + e.getMessage(), e);
    }
}
