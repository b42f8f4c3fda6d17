package io.github.redisentra.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The persistent MSAL cache on Linux through a real Secret Service: a child JVM runs inside {@code dbus-run-session}
 * with a gnome-keyring unlocked for it (its own HOME, so no user keyring is touched) and signs in with the
 * OS-protected cache (libsecret), not the 0600 fallback. Skipped with a message where libsecret, gnome-keyring or
 * dbus-run-session are missing ({@code .ci/run} installs them: libsecret-1-0, gnome-keyring, dbus).
 */
@Timeout(120)
class ProtectedTokenCacheIT {

    @Test
    void signsInAgainFromTheKeyringAndNoTokenIsLeftInAFile(@TempDir Path tmp) throws Exception {
        assumeTrue(
                onPath("dbus-run-session") && onPath("gnome-keyring-daemon") && libsecretInstalled(),
                "no Secret Service to test against: install libsecret-1-0, gnome-keyring and dbus"
                        + " (Debian packages; .ci/run does)");
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path runtime = Files.createDirectories(tmp.resolve("runtime"));
        Files.setPosixFilePermissions(runtime, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // An unlocked login keyring for this session only (created by the first unlock, with a throwaway password).
        String script =
                "printf 'redis-entra-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 && exec \"$0\" -cp"
                        + " \"$1\" io.github.redisentra.core.ProtectedCacheChild \"$2\"";
        ProcessBuilder pb = new ProcessBuilder(
                        "dbus-run-session",
                        "--",
                        "sh",
                        "-c",
                        script,
                        java,
                        System.getProperty("java.class.path"),
                        cache.toString())
                .redirectErrorStream(true);
        pb.environment().put("HOME", home.toString());
        pb.environment().put("XDG_DATA_HOME", home.resolve(".local/share").toString());
        pb.environment().put("XDG_RUNTIME_DIR", runtime.toString());
        pb.environment().remove("DBUS_SESSION_BUS_ADDRESS");
        Process child = pb.start();
        Path log = tmp.resolve("child.log");
        try (var in = child.getInputStream()) {
            Files.copy(in, log);
        }
        assertThat(child.waitFor(90, TimeUnit.SECONDS)).isTrue();
        List<String> out = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertThat(out).as("child output").anyMatch(l -> l.startsWith("protected cache ok"));
        assertThat(child.exitValue()).as("child exit code; output: %s", out).isZero();
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static boolean libsecretInstalled() throws IOException, InterruptedException {
        for (String dir : List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib")) {
            if (Files.exists(Path.of(dir, "libsecret-1.so.0"))) {
                return true;
            }
        }
        return false;
    }
}
