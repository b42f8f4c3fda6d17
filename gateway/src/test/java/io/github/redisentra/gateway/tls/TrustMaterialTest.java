package io.github.redisentra.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.redisentra.testkit.TestCertificate;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one place trust and client keys are loaded: JVM anchors plus a CA file, and the errors for bad files. */
class TrustMaterialTest {
    static final TestCertificateAuthority CA = TestCertificateAuthority.create("trust-material-test");

    @TempDir
    Path dir;

    @Test
    void aCaFileAddsToTheJvmAnchorsAndEveryFormCarriesIt() throws Exception {
        TrustMaterial jvm = TrustMaterial.load(Optional.empty());
        TrustMaterial withCa = TrustMaterial.load(Optional.of(CA.writeCertificatePem(dir.resolve("ca.pem"))));
        List<java.security.cert.X509Certificate> jvmIssuers =
                List.of(jvm.trustManager().getAcceptedIssuers());
        List<java.security.cert.X509Certificate> issuers =
                List.of(withCa.trustManager().getAcceptedIssuers());
        assertThat(jvmIssuers).doesNotContain(CA.certificate());
        assertThat(issuers).contains(CA.certificate()).hasSize(jvmIssuers.size() + 1);
        // the private CA's server certificate is trusted only with the CA file
        TestCertificate server = CA.issueServerCertificate("localhost");
        java.security.cert.X509Certificate[] chain = server.chain().toArray(new java.security.cert.X509Certificate[0]);
        withCa.trustManager().checkServerTrusted(chain, "ECDHE_ECDSA");
        assertThatThrownBy(() -> jvm.trustManager().checkServerTrusted(chain, "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class);
        assertThat(withCa.sslContext()).isSameAs(withCa.sslContext()); // built once
        assertThat(withCa.sslContext(null)).isSameAs(withCa.sslContext());
        assertThat(withCa.nettyClient().isClient()).isTrue();
    }

    /** Each upstream OpenSSL engine holds a native buffer of this size for as long as its connection is open. */
    @Test
    void upstreamEnginesQueueLittleOutsideWrap() throws Exception {
        io.netty.handler.ssl.SslContext client =
                TrustMaterial.load(Optional.empty()).nettyClient();
        if (client instanceof io.netty.handler.ssl.ReferenceCountedOpenSslContext openSsl) {
            assertThat(openSsl.getBioNonApplicationBufferSize()).isEqualTo(TlsContexts.UPSTREAM_NON_APPLICATION_BUFFER);
        }
    }

    @Test
    void badCaFilesKeepTheirMessages() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        assertThatThrownBy(() -> TrustMaterial.load(Optional.of(empty)))
                .isInstanceOf(GeneralSecurityException.class)
                .hasMessage("no PEM certificate found in " + empty);
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> TrustMaterial.load(Optional.of(missing))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aClientCertificateFromPemFilesAndTheErrorsNamingTheSettings() throws Exception {
        TestCertificate client = CA.issueClientCertificate("probe-client");
        Path cert = client.writeCertificatePem(dir.resolve("client.pem"));
        Path key = client.writePrivateKeyPem(dir.resolve("client.key"));
        KeyManager[] km = KeyMaterial.fromPem(cert, "CERT_SETTING", key, "KEY_SETTING");
        X509KeyManager x = (X509KeyManager) km[0];
        assertThat(x.getCertificateChain("client")[0]).isEqualTo(client.certificate());

        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        assertThatThrownBy(() -> KeyMaterial.fromPem(empty, "CERT_SETTING", key, "KEY_SETTING"))
                .hasMessage("no PEM certificate in CERT_SETTING");
        assertThatThrownBy(() -> KeyMaterial.fromPem(cert, "CERT_SETTING", cert, "KEY_SETTING"))
                .hasMessage("KEY_SETTING holds no PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
}
