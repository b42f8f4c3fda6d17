package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.listener.ListenerTls;
import io.github.redisentra.testkit.TestCertificate;
import io.github.redisentra.testkit.TestCertificateAuthority;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS session resumption on the client listener, through a real gateway: a JDK client reconnecting resumes its
 * session (TLS 1.2: the same session id comes back; TLS 1.3: the session keeps the creation time of the full handshake
 * that made it), OpenSSL's {@code s_client} reports its reconnections {@code Reused}, on the engine in use
 * (OpenSSL where it loads) and on the JDK's. A certificate reload (LISTEN_TLS_RELOAD_INTERVAL) still shows the new
 * certificate to the next client — sessions of the old one are not resumed — and sessions of the new one resume.
 */
@Timeout(120)
class ListenerTlsResumptionIT {
    static GatewayHarness h;
    static final TestCertificateAuthority CA = TestCertificateAuthority.create("resumption-ca");

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

    GatewayServer gateway(ListenerTls tls) throws InterruptedException {
        return h.startGateway(
                GatewaySettings.loopback(0)
                        .withSession(GatewayHarness.sessionSettings())
                        .withListenerTls(tls)
                        .withDrainTimeout(Duration.ofSeconds(5)),
                new CountingEvents(),
                h.endpoint());
    }

    /** A client that keeps one session cache across its connections, as a pool does. */
    static SSLContext client() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", CA.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** What one connection saw. */
    record Seen(byte[] id, long created, BigInteger serial, String protocol) {
        boolean sameSessionAs(Seen other) {
            return protocol.equals("TLSv1.2") ? Arrays.equals(id, other.id) : created == other.created;
        }
    }

    /** Connects, handshakes, does a signed-in round trip (TLS 1.3 tickets arrive after the handshake), closes. */
    static Seen connect(SSLContext ctx, int port, String protocol) throws Exception {
        Thread.sleep(5); // a full handshake would get another creation time
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", port)) {
            s.setEnabledProtocols(new String[] {protocol});
            s.setSoTimeout(20_000);
            s.startHandshake();
            String token = h.token(h.alice);
            s.getOutputStream()
                    .write(("*2\r\n$4\r\nAUTH\r\n$" + token.length() + "\r\n" + token + "\r\n*1\r\n$4\r\nPING\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            byte[] expected = "+OK\r\n+PONG\r\n".getBytes(StandardCharsets.US_ASCII);
            assertThat(s.getInputStream().readNBytes(expected.length)).isEqualTo(expected);
            SSLSession session = s.getSession();
            assertThat(session.getProtocol()).isEqualTo(protocol);
            return new Seen(
                    session.getId(),
                    session.getCreationTime(),
                    ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber(),
                    protocol);
        }
    }

    static void assertResumes(int port, String protocol) throws Exception {
        SSLContext ctx = client();
        Seen first = connect(ctx, port, protocol);
        for (int i = 0; i < 3; i++) {
            assertThat(connect(ctx, port, protocol).sameSessionAs(first))
                    .as("%s reconnection %d resumed the first session", protocol, i + 1)
                    .isTrue();
        }
        assertThat(connect(client(), port, protocol).sameSessionAs(first))
                .as("a client without that session does a full handshake")
                .isFalse();
    }

    @Test
    void aJdkClientResumesAndACertificateReloadIsStillSeen(@TempDir Path dir) throws Exception {
        TestCertificate first = CA.issueServerCertificate();
        first.writeCertificatePem(dir.resolve("tls.crt"));
        first.writePrivateKeyPem(dir.resolve("tls.key"));
        ListenerTls tls = ListenerTls.fromFiles(dir.resolve("tls.crt"), dir.resolve("tls.key"), Clock.systemUTC())
                .watch(Duration.ofMillis(100));
        try {
            int port = gateway(tls).localAddress().getPort();
            assertResumes(port, "TLSv1.3");
            assertResumes(port, "TLSv1.2");
            assertThat(reusedByOpenSsl(port, dir))
                    .hasSize(6)
                    .filteredOn(l -> l.startsWith("Reused, TLSv1.3"))
                    .hasSize(1);

            // Renewal: the client still holds sessions of the old certificate; it must get the new one.
            SSLContext pool = client();
            for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
                assertThat(connect(pool, port, protocol).serial())
                        .isEqualTo(first.certificate().getSerialNumber());
            }
            TestCertificate renewed = CA.issueServerCertificate();
            Path staged = dir.resolve("staged");
            Files.createDirectory(staged);
            renewed.writeCertificatePem(staged.resolve("tls.crt"));
            renewed.writePrivateKeyPem(staged.resolve("tls.key"));
            Files.move(staged.resolve("tls.key"), dir.resolve("tls.key"), StandardCopyOption.REPLACE_EXISTING);
            Files.move(staged.resolve("tls.crt"), dir.resolve("tls.crt"), StandardCopyOption.REPLACE_EXISTING);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> renewed.certificate().equals(tls.certificate()));
            for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
                Seen afterReload = connect(pool, port, protocol);
                assertThat(afterReload.serial())
                        .as("%s after the reload: the new certificate, not a resumed old session", protocol)
                        .isEqualTo(renewed.certificate().getSerialNumber());
                assertThat(connect(pool, port, protocol).sameSessionAs(afterReload))
                        .as("%s sessions of the new certificate resume", protocol)
                        .isTrue();
            }
            assertThat(tls.renderMetrics("x_")).contains("x_listener_certificate_reloads_total{result=\"ok\"} 1");
        } finally {
            tls.close();
        }
    }

    @Test
    void theJdkEngineResumesToo() throws Exception {
        TestCertificate cert = CA.issueServerCertificate();
        ListenerTls tls = ListenerTls.fixed(SslContextBuilder.forServer(
                        new ByteArrayInputStream(cert.certificatePem().getBytes(StandardCharsets.US_ASCII)),
                        new ByteArrayInputStream(cert.privateKeyPem().getBytes(StandardCharsets.US_ASCII)))
                .sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2")
                .build());
        int port = gateway(tls).localAddress().getPort();
        assertResumes(port, "TLSv1.3");
        assertResumes(port, "TLSv1.2");
    }

    /**
     * OpenSSL's own client, for an independent verdict: {@code s_client -reconnect} (TLS 1.2: connects, then reconnects
     * five times with the session; {@code -reconnect} does not wait for TLS 1.3 tickets) and, for TLS 1.3, a first
     * connection that saves its session ({@code -sess_out}, after {@code QUIT} so the tickets are read) and a second
     * that offers it ({@code -sess_in}). Returns the {@code Reused} lines. Skipped where no openssl binary is installed.
     */
    static List<String> reusedByOpenSsl(int port, Path dir) throws Exception {
        Path ca = dir.resolve("ca.pem");
        Files.writeString(ca, CA.certificatePem());
        Path session = dir.resolve("tls13-session.pem");
        List<String> out = new ArrayList<>();
        out.addAll(sClient(port, ca, "", "-tls1_2", "-reconnect"));
        List<String> saved = sClient(port, ca, "QUIT\r\n", "-tls1_3", "-ign_eof", "-sess_out", session.toString());
        assertThat(saved).as("s_client output").anyMatch(l -> l.startsWith("New, TLSv1.3"));
        out.addAll(sClient(port, ca, "QUIT\r\n", "-tls1_3", "-ign_eof", "-sess_in", session.toString()));
        return out.stream().filter(l -> l.startsWith("Reused, ")).toList();
    }

    static List<String> sClient(int port, Path ca, String input, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                "openssl",
                "s_client",
                "-connect",
                "127.0.0.1:" + port,
                "-servername",
                "localhost",
                "-CAfile",
                ca.toString()));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("no openssl binary: " + e.getMessage());
            return List.of();
        }
        p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .lines()
                .toList();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return lines;
    }
}
