package io.github.redisentra.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * A certificate with its private key, issued by a {@link TestCertificateAuthority}. Test material only:
 * generated at test time, never committed. {@link #toString()} names the subject, never the key.
 */
public final class TestCertificate {

    /** Password of the in-memory key stores built here (a key store needs one; it protects nothing). */
    public static final char[] KEY_STORE_PASSWORD = "testkit".toCharArray();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;

    TestCertificate(X509Certificate certificate, PrivateKey privateKey, List<X509Certificate> chain) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.chain = List.copyOf(chain);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** This certificate followed by its issuer (the CA). */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** This certificate (not the chain) as PEM. */
    public String certificatePem() {
        return pem("CERTIFICATE", encoded(certificate));
    }

    /** The private key as unencrypted PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}), as OpenSSL reads it. */
    public String privateKeyPem() {
        return pem("PRIVATE KEY", privateKey.getEncoded());
    }

    public Path writeCertificatePem(Path file) {
        return write(file, certificatePem(), false);
    }

    /** Writes {@link #privateKeyPem()} to {@code file}, readable by the owner only where the file system allows. */
    public Path writePrivateKeyPem(Path file) {
        return write(file, privateKeyPem(), true);
    }

    /**
     * Writes the private key in OpenSSL's traditional SEC 1 form ({@code -----BEGIN EC PRIVATE KEY-----}, curve and
     * public key included), owner-only: GnuTLS-linked servers such as Debian's slapd cannot read the JDK's PKCS#8
     * encoding of an EC key (it leaves the public key out).
     */
    public Path writeEcPrivateKeyPem(Path file) {
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(privateKey.getEncoded());
            byte[] point = SubjectPublicKeyInfo.getInstance(
                            certificate.getPublicKey().getEncoded())
                    .getPublicKeyData()
                    .getBytes();
            ECPrivateKey sec1 = new ECPrivateKey(
                    256,
                    ((java.security.interfaces.ECPrivateKey) privateKey).getS(),
                    new DERBitString(point),
                    info.getPrivateKeyAlgorithm().getParameters());
            return write(file, pem("EC PRIVATE KEY", sec1.getEncoded()), true);
        } catch (IOException | ClassCastException e) {
            throw new IllegalStateException("could not encode the EC private key of " + subject(), e);
        }
    }

    /** An in-memory PKCS12 key store with this key and chain under alias {@code "key"}. */
    public KeyStore keyStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("key", privateKey, KEY_STORE_PASSWORD, chain.toArray(Certificate[]::new));
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("could not build the key store for " + subject(), e);
        }
    }

    /** Key managers presenting this certificate (for an {@code SSLContext}). */
    public KeyManagerFactory keyManagerFactory() {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore(), KEY_STORE_PASSWORD);
            return kmf;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not build key managers for " + subject(), e);
        }
    }

    public String subject() {
        return certificate.getSubjectX500Principal().getName();
    }

    @Override
    public String toString() {
        return "TestCertificate[" + subject() + ", expires "
                + certificate.getNotAfter().toInstant() + "]";
    }

    static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    private static byte[] encoded(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("could not encode certificate " + cert.getSubjectX500Principal(), e);
        }
    }

    private static Path write(Path file, String content, boolean ownerOnly) {
        try {
            Files.deleteIfExists(file);
            if (ownerOnly && file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, content, StandardCharsets.US_ASCII);
            return file;
        } catch (IOException e) {
            throw TestCertificateAuthority.unchecked("could not write " + file, e);
        }
    }
}
