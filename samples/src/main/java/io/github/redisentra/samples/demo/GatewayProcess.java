package io.github.redisentra.samples.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway as a child JVM ({@code io.github.redisentra.gateway.Main} on this JVM's class path), configured only
 * through its environment, as a deployment configures it. A child process rather than in-process because the
 * managed-identity code (azure-identity → MSAL4J) reads {@code IDENTITY_ENDPOINT}/{@code IDENTITY_HEADER} from the
 * real process environment, which a JVM cannot set for itself.
 */
final class GatewayProcess implements AutoCloseable {
    /** Settings the child must not inherit from the user's shell (they would change what the demo shows). */
    private static final List<String> INHERITED_PREFIXES =
            List.of("AZURE_", "REDIS_", "IDENTITY_", "MSI_", "IMDS_", "LISTEN_", "LOCAL_REDIS_", "UAMI_");

    private final Process process;
    private final Path log;
    private final int adminPort;
    private final Thread reaper;

    private GatewayProcess(Process process, Path log, int adminPort) {
        this.process = process;
        this.log = log;
        this.adminPort = adminPort;
        // If the demo JVM is stopped (Ctrl+C), take the gateway down with it.
        this.reaper = new Thread(this::stop, "demo-gateway-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts the gateway with {@code settings} as its environment; its output goes to {@code log}. */
    static GatewayProcess start(Map<String, String> settings, int adminPort, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(
                java,
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                // The gateway's own logback.xml (also on this class path), not a test or sample configuration.
                "-Dlogback.configurationFile=logback.xml",
                "-cp",
                System.getProperty("java.class.path"),
                "io.github.redisentra.gateway.Main");
        pb.environment().keySet().removeIf(k -> INHERITED_PREFIXES.stream().anyMatch(k::startsWith));
        pb.environment().putAll(settings);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return new GatewayProcess(pb.start(), log, adminPort);
    }

    /** Waits until {@code /readyz} answers 200 (keys loaded, upstream token valid, upstream reachable). */
    void awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
                .timeout(Duration.ofSeconds(2))
                .build();
        Instant deadline = Instant.now().plus(timeout);
        String last = "no answer";
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("the gateway exited with status " + process.exitValue() + ":\n" + logTail(30));
            }
            try {
                HttpResponse<String> r = http.send(readyz, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body().strip();
            } catch (IOException e) {
                last = e.toString();
            }
            TimeUnit.MILLISECONDS.sleep(200); // polling a child process's HTTP endpoint
        }
        throw new IOException(
                "the gateway was not ready within " + timeout.toSeconds() + " s (" + last + "):\n" + logTail(30));
    }

    /** The gateway's Prometheus metrics (admin listener {@code /metrics}). */
    List<String> metrics() throws IOException, InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body().lines().toList();
    }

    /** The gateway's log lines so far. */
    List<String> logLines() throws IOException {
        return Files.readAllLines(log);
    }

    String logTail(int n) {
        try {
            List<String> lines = logLines();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    long pid() {
        return process.pid();
    }

    /** SIGTERM (the gateway drains and exits), then SIGKILL if it takes too long. */
    void stop() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The exit status after {@link #stop()}; 143 (SIGTERM) counts as a clean stop. */
    int exitStatus() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs stop(), which is idempotent
        }
    }
}
