package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.github.redisentra.emulator.AppRegistration;
import io.github.redisentra.emulator.AppSpec;
import io.github.redisentra.emulator.EntraEmulator;
import io.github.redisentra.emulator.ManagedIdentity;
import io.github.redisentra.emulator.Tenant;
import io.github.redisentra.emulator.TokenRequest;
import io.github.redisentra.emulator.User;
import io.github.redisentra.emulator.UserSpec;
import io.github.redisentra.testkit.AzureCacheStandIn;
import io.github.redisentra.testkit.RedisCli;
import io.github.redisentra.testkit.RedisServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The container image, run for real (opt-in: {@code deploy/test-image.sh} builds the image and runs this with
 * {@code -Dgateway.image=NAME}; skipped otherwise). The image's own entrypoint runs in a buildah container (chroot
 * isolation, host network) against the Entra emulator and a TLS redis-server on loopback, configured through an
 * {@code ENV_FILE} mounted into it: the gateway runs as the image's non-root user on epoll and OpenSSL, {@code /readyz}
 * turns 200, a client signs in through it, and SIGTERM drains and stops it.
 */
@Timeout(300)
class ContainerImageIT {
    static final String GROUP = "eeeeeeee-0000-4000-8000-00000000000e";

    @Test
    void imageRunsAsNonRootSignsClientsInAndDrainsOnSigterm() throws Exception {
        String image = System.getProperty("gateway.image");
        assumeThat(image).as("-Dgateway.image (deploy/test-image.sh sets it)").isNotBlank();
        Path work = Files.createTempDirectory("gateway-image-it");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (EntraEmulator emu = EntraEmulator.builder().build().start();
                RedisServer redis = RedisServer.builder().tlsOnly().start()) {
            Tenant tenant = emu.createTenant("contoso");
            AppRegistration api = tenant.registerApp(AppSpec.api("gateway").acceptedTokenVersion(2));
            User alice = tenant.addUser(UserSpec.named("alice").groups(GROUP));
            ManagedIdentity mi = tenant.addManagedIdentity("gateway-mi");
            try (AzureCacheStandIn cache = AzureCacheStandIn.builder(redis)
                    .objectId(mi.objectId())
                    .build()
                    .watch(emu)) {
                // Files the container reads, mounted at /etc/gateway (readable by the image's user).
                emu.writeCaCertificate(work.resolve("emulator-ca.pem"));
                Files.copy(redis.caFile(), work.resolve("redis-ca.pem"));
                int listen = freePort();
                int admin = freePort();
                String env = String.join(
                        "\n",
                        "TENANT_ID=" + tenant.id(),
                        "EXPECTED_AUDIENCE=" + api.clientId(),
                        "ALLOWED_GROUP_IDS=" + GROUP,
                        "AZURE_AUTHORITY_HOST=" + emu.httpsBaseUrl(),
                        "GRAPH_BASE_URL=" + emu.graphBaseUrl(),
                        "HTTPS_CA_FILE=/etc/gateway/emulator-ca.pem",
                        "REDIS_HOSTPORT=127.0.0.1:" + redis.tlsPort(),
                        "REDIS_CA_FILE=/etc/gateway/redis-ca.pem",
                        "LOCAL_REDIS_TOKEN="
                                + emu.mintAccessToken(
                                        TokenRequest.forManagedIdentity(tenant, mi, AzureCacheStandIn.REDIS_AUDIENCE)),
                        "DRAIN_TIMEOUT=5s",
                        "");
                Path envFile = Files.writeString(work.resolve("gateway.env"), env);
                for (Path f : List.of(envFile, work.resolve("emulator-ca.pem"), work.resolve("redis-ca.pem"))) {
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
                }
                List<String> entrypoint = entrypoint(image);
                String container = run("buildah", "from", "--pull=never", image).strip();
                Path log = work.resolve("gateway.log");
                List<String> cmd = new ArrayList<>(List.of(
                        "buildah",
                        "run",
                        "--isolation",
                        "chroot",
                        "--network",
                        "host",
                        "-v",
                        work + ":/etc/gateway:ro",
                        "-e",
                        "ENV_FILE=/etc/gateway/gateway.env",
                        // The image's ENV (LISTEN_ADDR, ADMIN_ADDR, LOG_FORMAT) is process environment, which wins
                        // over the file: set these three as a deployment would, on the container.
                        "-e",
                        "LISTEN_ADDR=127.0.0.1:" + listen,
                        "-e",
                        "ADMIN_ADDR=127.0.0.1:" + admin,
                        "-e",
                        "LOG_FORMAT=text",
                        container,
                        "--"));
                cmd.addAll(entrypoint);
                Process buildah = new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
                HttpClient http = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(2))
                        .build();
                URI readyz = URI.create("http://127.0.0.1:" + admin + "/readyz");
                try {
                    await().atMost(Duration.ofSeconds(180))
                            .ignoreExceptions()
                            .failFast("the container exited: " + log, () -> !buildah.isAlive())
                            .untilAsserted(() -> assertThat(http.send(
                                                    HttpRequest.newBuilder(readyz)
                                                            .build(),
                                                    HttpResponse.BodyHandlers.discarding())
                                            .statusCode())
                                    .isEqualTo(200));
                    long gatewayPid = javaDescendant(buildah.toHandle())
                            .orElseThrow(() -> new AssertionError("no java process under buildah run"));
                    String status = Files.readString(Path.of("/proc/" + gatewayPid + "/status"));
                    Matcher uid = Pattern.compile("(?m)^Uid:\\s+(\\d+)").matcher(status);
                    assertThat(uid.find()).isTrue();
                    assertThat(uid.group(1)).as("the gateway's user id").isEqualTo("10001");
                    System.out.println("ContainerImageIT: gateway pid " + gatewayPid + " runs as uid " + uid.group(1));

                    try (RedisCli client = RedisCli.connect("127.0.0.1", listen)) {
                        assertThat(client.callString(
                                        "AUTH", emu.mintAccessToken(TokenRequest.forUser(tenant, alice, api))))
                                .isEqualTo("OK");
                        assertThat(client.callString("SET", "image-it", "signed-in"))
                                .isEqualTo("OK");
                        assertThat(client.callString("GET", "image-it")).isEqualTo("signed-in");
                    }
                    System.out.println("ContainerImageIT: /readyz 200, client signed in, SET/GET through the image");

                    new ProcessBuilder("kill", "-TERM", Long.toString(gatewayPid))
                            .inheritIO()
                            .start()
                            .waitFor();
                    assertThat(buildah.waitFor(60, TimeUnit.SECONDS))
                            .as("buildah run ends with the gateway")
                            .isTrue();
                    assertThat(accepts(listen)).as("listener closed").isFalse();
                    String out = Files.readString(log, StandardCharsets.UTF_8);
                    assertThat(out)
                            .contains("settings read from /etc/gateway/gateway.env")
                            .contains("transport epoll, TLS engine OpenSSL")
                            .contains("client authenticated")
                            .contains("shutting down")
                            .doesNotContain("could not load its native libraries");
                    System.out.println("ContainerImageIT: SIGTERM drained and stopped the gateway; log:\n"
                            + out.lines()
                                    .filter(l -> l.contains("gateway listening")
                                            || l.contains("shutting down")
                                            || l.contains("settings read"))
                                    .reduce("", (a, b) -> a + "  " + b + "\n"));
                } finally {
                    buildah.destroyForcibly();
                    run("buildah", "rm", container);
                    try (var files = Files.walk(work)) {
                        files.sorted(java.util.Comparator.reverseOrder())
                                .forEach(f -> f.toFile().delete());
                    }
                }
            }
        }
    }

    /** The image's ENTRYPOINT, as buildah reports it. */
    @SuppressWarnings("unchecked")
    static List<String> entrypoint(String image) throws Exception {
        Map<String, Object> inspected = JSONObjectUtils.parse(run("buildah", "inspect", "--type", "image", image));
        Map<String, Object> config = (Map<String, Object>) ((Map<String, Object>) inspected.get("OCIv1")).get("config");
        List<String> out = new ArrayList<>();
        for (Object o : (List<Object>) config.get("Entrypoint")) {
            out.add((String) o);
        }
        assertThat(out).as("entrypoint of " + image).isNotEmpty().startsWith("java");
        return out;
    }

    static Optional<Long> javaDescendant(ProcessHandle root) {
        return root.descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .map(ProcessHandle::pid)
                .findFirst();
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
        return out;
    }

    static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
