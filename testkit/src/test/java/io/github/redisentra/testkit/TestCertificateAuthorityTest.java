package io.github.redisentra.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestCertificateAuthorityTest {

    private static final TestCertificateAuthority CA = TestCertificateAuthority.create("unit-test");

    @Test
    void serverCertificateNamesTheLoopbackAddressesAndExtraNames() throws Exception {
        X509Certificate cert =
                CA.issueServerCertificate("gateway.test", "10.0.0.7").certificate();
        Set<String> names = cert.getSubjectAlternativeNames().stream()
                .map(san -> san.get(1).toString())
                .collect(Collectors.toSet());
        assertThat(names)
                .contains("localhost", "127.0.0.1", "gateway.test", "10.0.0.7")
                .anyMatch(n -> n.equals("0:0:0:0:0:0:0:1") || n.equals("::1"));
        assertThat(cert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    }

    @Test
    void issuedCertificatesChainToTheCa() throws Exception {
        TestCertificate client = CA.issueClientCertificate("alice");
        assertThat(client.subject()).contains("CN=alice");
        assertThat(client.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(CA.certificate(), null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX")
                .validate(
                        CertificateFactory.getInstance("X.509").generateCertPath(List.of(client.certificate())),
                        params);
    }

    @Test
    void certificateFromAnotherCaIsNotTrusted() {
        TestCertificate foreign = TestCertificateAuthority.create("other").issueClientCertificate("mallory");
        PKIXParameters params;
        try {
            params = new PKIXParameters(Set.of(new TrustAnchor(CA.certificate(), null)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        params.setRevocationEnabled(false);
        assertThatThrownBy(() -> CertPathValidator.getInstance("PKIX")
                        .validate(
                                CertificateFactory.getInstance("X.509")
                                        .generateCertPath(List.of(foreign.certificate())),
                                params))
                .isInstanceOf(java.security.cert.CertPathValidatorException.class);
    }

    @Test
    void pemFilesArePkcs8AndTheKeyIsOwnerOnly(@TempDir Path dir) throws Exception {
        TestCertificate server = CA.issueServerCertificate();
        Path key = server.writePrivateKeyPem(dir.resolve("server.key"));
        Path cert = server.writeCertificatePem(dir.resolve("server.pem"));
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----\n");
        assertThat(Files.readString(cert)).startsWith("-----BEGIN CERTIFICATE-----\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                .isEqualTo("rw-------");
        assertThat(server.toString()).doesNotContain("PRIVATE");
    }

    @Test
    void ecPrivateKeyPemIsSec1WithTheCurveAndPublicKeyOfTheCertificate(@TempDir Path dir) throws Exception {
        TestCertificate server = CA.issueServerCertificate();
        Path key = server.writeEcPrivateKeyPem(dir.resolve("server.key"));
        String pem = Files.readString(key);
        assertThat(pem).startsWith("-----BEGIN EC PRIVATE KEY-----\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                .isEqualTo("rw-------");
        byte[] der = java.util.Base64.getMimeDecoder()
                .decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(der);
        assertThat(sec1.getKey()).isEqualTo(((java.security.interfaces.ECPrivateKey) server.privateKey()).getS());
        assertThat(sec1.getParametersObject().toString()).isEqualTo("1.2.840.10045.3.1.7"); // prime256v1
        assertThat(sec1.getPublicKey().getBytes())
                .isEqualTo(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                                server.certificate().getPublicKey().getEncoded())
                        .getPublicKeyData()
                        .getBytes());
    }

    @Test
    void blankNamesAreRejected() {
        assertThatThrownBy(() -> CA.issueClientCertificate(" ")).hasMessageContaining("commonName");
        assertThatThrownBy(() -> CA.issueServerCertificate("")).hasMessageContaining("extraNames");
    }
}
