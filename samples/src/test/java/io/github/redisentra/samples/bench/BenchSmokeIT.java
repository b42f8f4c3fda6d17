package io.github.redisentra.samples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps {@code bench/run} from rotting: its {@code --smoke} variant starts every contender (direct Redis, HAProxy,
 * twemproxy, the gateway with a plaintext and a TLS listener) on loopback, runs one tiny round of each part and
 * writes the results table. This asserts that the script works, never the numbers (speed is measured by the full
 * {@code bench/run}, not by tests). The reactor has packaged the gateway and emulator jars before this module's
 * tests run.
 */
class BenchSmokeIT {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void benchScriptSmokeRunCompletesAndWritesTheResultsTable(@TempDir Path out) throws Exception {
        Path log = out.resolve("bench.log");
        Process p = new ProcessBuilder(
                        "bash",
                        ROOT.resolve("bench/run").toString(),
                        "--smoke",
                        "--no-build",
                        "--out",
                        out.resolve("results").toString())
                .directory(ROOT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean done = p.waitFor(210, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(done)
                .as("bench/run --smoke finished in time; its output:%n%s", tail(output))
                .isTrue();
        assertThat(p.exitValue())
                .as("bench/run --smoke exit status; its output:%n%s", tail(output))
                .isZero();
        assertThat(output).contains("smoke run OK");
        // Tokens the script mints for the benchmark clients must never reach its output.
        assertThat(output).doesNotContain("eyJ");

        String results = Files.readString(out.resolve("results").resolve("results.md"));
        assertThat(results)
                .contains("| config | test | direct-plain | direct-tls | haproxy | twemproxy | gateway | gateway-tls |")
                .contains("Connection cost")
                .contains("idle authenticated connections")
                .doesNotContain("eyJ");
    }

    private static String tail(String s) throws IOException {
        return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
    }
}
