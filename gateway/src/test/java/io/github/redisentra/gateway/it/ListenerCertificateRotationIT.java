package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.listener.ListenerTls;
import io.github.redisentra.testkit.TestCertificate;
import io.github.redisentra.testkit.TestCertificateAuthority;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * cert-manager renews the listener's Secret and Kubernetes swaps the mounted files (the {@code ..data} symlink): new
 * TLS connections get the new certificate without a restart, open ones keep working, and a pair caught half-written
 * (new certificate, old key) is never served. Real TLS sockets, real sign-in through the gateway.
 */
@Timeout(120)
class ListenerCertificateRotationIT {
    static GatewayHarness h;
    static final TestCertificateAuthority CA = TestCertificateAuthority.create("rotation-ca");

    @BeforeAll
    static void start() throws Exception {
        h = new GatewayHarness(Duration.ofMinutes(30), false);
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void newConnectionsGetTheRenewedCertificateAndOpenOnesKeepWorking(@TempDir Path secret) throws Exception {
        TestCertificate first = CA.issueServerCertificate();
        TestCertificate renewed = CA.issueServerCertificate();
        // The layout kubelet writes for a Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>.
        mountSecret(secret, "..2026_12_04_01", first);
        Files.createSymbolicLink(secret.resolve("..data"), Path.of("..2026_12_04_01"));
        Files.createSymbolicLink(secret.resolve("tls.crt"), Path.of("..data/tls.crt"));
        Files.createSymbolicLink(secret.resolve("tls.key"), Path.of("..data/tls.key"));

        ListenerTls tls = ListenerTls.fromFiles(secret.resolve("tls.crt"), secret.resolve("tls.key"), Clock.systemUTC())
                .watch(Duration.ofMillis(100));
        GatewayServer g = new GatewayServer(
                        GatewaySettings.loopback(0)
                                .withSession(GatewayHarness.sessionSettings())
                                .withListenerTls(tls)
                                .withDrainTimeout(Duration.ofSeconds(5)),
                        h.authenticator,
                        h.endpoint(),
                        h.credentials,
                        new CountingEvents())
                .start();
        try (Tls before = new Tls(g.localAddress().getPort())) {
            assertThat(before.serial()).isEqualTo(serial(first));
            assertThat(before.call("AUTH", h.token(h.alice))).isEqualTo("+OK");
            assertThat(before.call("SET", "rotation:k", "v1")).isEqualTo("+OK");

            // Renewal: the new files go into a new directory, then ..data is swapped atomically.
            mountSecret(secret, "..2026_12_04_02", renewed);
            swapData(secret, "..2026_12_04_02");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                try (Tls probe = new Tls(g.localAddress().getPort())) {
                    assertThat(probe.serial()).isEqualTo(serial(renewed));
                }
            });
            try (Tls after = new Tls(g.localAddress().getPort())) {
                assertThat(after.call("AUTH", h.token(h.bob))).isEqualTo("+OK");
                assertThat(after.call("GET", "rotation:k")).isEqualTo("$2");
            }
            // The connection opened before the renewal is untouched: same session, same certificate, still serving.
            assertThat(before.serial()).isEqualTo(serial(first));
            assertThat(before.call("SET", "rotation:k", "v2")).isEqualTo("+OK");

            // Half-written renewal: a new certificate next to the previous key. It must not be served.
            TestCertificate third = CA.issueServerCertificate();
            Path half = secret.resolve("..2026_12_04_03");
            Files.createDirectory(half);
            third.writeCertificatePem(half.resolve("tls.crt"));
            Files.writeString(half.resolve("tls.key"), renewed.privateKeyPem());
            swapData(secret, "..2026_12_04_03");
            assertThat(tls.reloadIfChanged()).as("mismatched pair adopted").isFalse();
            try (Tls probe = new Tls(g.localAddress().getPort())) {
                assertThat(probe.serial()).isEqualTo(serial(renewed));
            }
            assertThat(tls.renderMetrics("x_")).contains("x_listener_certificate_reloads_total{result=\"ok\"} 1");
            assertThat(tls.renderMetrics("x_")).containsPattern("result=\"failed\"} [1-9]");
            // ... until the key arrives.
            Files.writeString(half.resolve("tls.key"), third.privateKeyPem());
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                try (Tls probe = new Tls(g.localAddress().getPort())) {
                    assertThat(probe.serial()).isEqualTo(serial(third));
                }
            });
            assertThat(before.call("GET", "rotation:k")).isEqualTo("$2");
        } finally {
            g.close();
        }
    }

    private static void mountSecret(Path secret, String dir, TestCertificate cert) throws IOException {
        Path d = Files.createDirectory(secret.resolve(dir));
        cert.writeCertificatePem(d.resolve("tls.crt"));
        cert.writePrivateKeyPem(d.resolve("tls.key"));
    }

    /** kubelet's atomic update: a new symlink renamed over ..data. */
    private static void swapData(Path secret, String target) throws IOException {
        Path tmp = secret.resolve("..data_tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, Path.of(target));
        Files.move(tmp, secret.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static BigInteger serial(TestCertificate c) {
        return c.certificate().getSerialNumber();
    }

    /** A TLS client socket speaking RESP, trusting the test CA. */
    static final class Tls implements AutoCloseable {
        private final SSLSocket socket;
        private final InputStream in;
        private final OutputStream out;

        Tls(int port) throws Exception {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", CA.certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            socket = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", port);
            socket.setSoTimeout(20_000);
            socket.startHandshake();
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        BigInteger serial() throws Exception {
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }

        /** Sends one command; returns the first reply line (a bulk reply's body is skipped). */
        String call(String... args) throws IOException {
            StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                sb.append('$')
                        .append(a.getBytes(StandardCharsets.UTF_8).length)
                        .append("\r\n")
                        .append(a)
                        .append("\r\n");
            }
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            String line = line();
            if (line.startsWith("$") && !line.equals("$-1")) {
                in.readNBytes(Integer.parseInt(line.substring(1)) + 2);
            }
            return line;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
                    return sb.substring(0, sb.length() - 1);
                }
                sb.append((char) c);
            }
            throw new IOException("closed after: " + sb);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
