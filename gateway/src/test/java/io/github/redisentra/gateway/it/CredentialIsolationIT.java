package io.github.redisentra.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.GatewayServer;
import io.github.redisentra.gateway.GatewaySettings;
import io.github.redisentra.gateway.upstream.UpstreamCredentials;
import io.github.redisentra.gateway.upstream.UpstreamEndpoint;
import io.github.redisentra.testkit.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Records every byte the gateway sends upstream (through a plaintext relay in front of a plain redis-server with a
 * password user) while a client uses every credential-carrying form: none of the client's JWT may appear.
 */
class CredentialIsolationIT {

    /** A one-connection-at-a-time byte relay that keeps what flows client → server. */
    static final class TappingRelay implements AutoCloseable {
        final ServerSocket server;
        final ByteArrayOutputStream upstreamBytes = new ByteArrayOutputStream();

        TappingRelay(int targetPort) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket in = server.accept();
                        Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                        pump(in.getInputStream(), out.getOutputStream(), true);
                        pump(out.getInputStream(), in.getOutputStream(), false);
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void pump(InputStream from, OutputStream to, boolean record) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try {
                    int n;
                    while ((n = from.read(buf)) >= 0) {
                        if (record) {
                            synchronized (upstreamBytes) {
                                upstreamBytes.write(buf, 0, n);
                            }
                        }
                        to.write(buf, 0, n);
                        to.flush();
                    }
                    to.close();
                } catch (IOException ignored) {
                    // connection ended
                }
            });
            t.setDaemon(true);
            t.start();
        }

        String recorded() {
            synchronized (upstreamBytes) {
                return upstreamBytes.toString(StandardCharsets.ISO_8859_1);
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void noFormOfClientAuthenticationSendsTheClientsTokenUpstream() throws Exception {
        try (GatewayHarness h = new GatewayHarness(Duration.ofMinutes(10), false);
                RedisServer plain =
                        RedisServer.builder().user("gateway", "gateway-secret").start();
                TappingRelay relay = new TappingRelay(plain.port())) {
            GatewayServer gw = new GatewayServer(
                            GatewaySettings.loopback(0).withSession(GatewayHarness.sessionSettings()),
                            h.authenticator,
                            UpstreamEndpoint.plaintext("127.0.0.1", relay.server.getLocalPort()),
                            UpstreamCredentials.password("gateway", "gateway-secret"),
                            new CountingEvents())
                    .start();
            try {
                String jwt = h.token(h.alice);
                String other = h.token(h.bob);
                try (RawClient c = new RawClient(gw.localAddress().getPort())) {
                    c.send("AUTH " + jwt + "\r\n"
                            + "AUTH " + h.alice.objectId() + " " + jwt + "\r\n"
                            + "*2\r\n$4\r\nAUTH\r\n$" + other.length() + "\r\n" + other + "\r\n"
                            + "HELLO 2 AUTH default " + jwt + "\r\n"
                            + "MULTI\r\nAUTH " + jwt + "\r\nHELLO 3 AUTH default " + jwt + "\r\nEXEC\r\n"
                            + "AUTH bad." + jwt + "\r\n"
                            + "RESET\r\nHELLO 3 AUTH default " + jwt + "\r\nPING\r\nQUIT\r\n");
                    while (!c.closedByServer()) {
                        // read everything until QUIT closes the connection
                    }
                }
                String recorded = relay.recorded();
                assertThat(recorded).contains("gateway-secret"); // the tap sees the gateway's own AUTH
                assertThat(recorded).contains("PING");
                String signature = jwt.substring(jwt.lastIndexOf('.') + 1);
                String otherSignature = other.substring(other.lastIndexOf('.') + 1);
                assertThat(recorded.contains(signature))
                        .as("the client's token signature reached upstream")
                        .isFalse();
                assertThat(recorded.contains(otherSignature))
                        .as("the second token's signature reached upstream")
                        .isFalse();
            } finally {
                gw.close();
            }
        }
    }
}
