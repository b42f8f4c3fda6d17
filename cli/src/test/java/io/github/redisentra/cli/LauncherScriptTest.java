package io.github.redisentra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script {@code cli/redis-entra} run by bash, with a stand-in {@code java} (JAVA_HOME) that prints the
 * arguments it was given: where it looks for the jar, what it passes on, and its message when there is no jar.
 */
class LauncherScriptTest {
    private static final Path SCRIPT = Path.of("redis-entra").toAbsolutePath();

    @TempDir
    Path dir;

    private Path fakeJavaHome() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/usr/bin/env bash\nfor a in \"$@\"; do echo \"arg:$a\"; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir.resolve("jdk");
    }

    private record Result(int code, String output) {}

    private Result run(Path script, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("REDIS_ENTRA_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void runsTheJarBesideItWithTheArgumentsAsGiven() throws Exception {
        Path installed = Files.createDirectories(dir.resolve("install"));
        Path script = Files.copy(SCRIPT, installed.resolve("redis-entra"));
        Files.writeString(installed.resolve("redis-entra-cli.jar"), "not really a jar");
        Path link = Files.createSymbolicLink(dir.resolve("on-path"), script);
        Result r = run(
                link,
                Map.of("JAVA_HOME", fakeJavaHome().toString(), "REDIS_ENTRA_JAVA_OPTS", "-Xmx64m"),
                "token",
                "--scope",
                "api://x y/.default");
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output().lines())
                .contains("arg:-Xmx64m", "arg:-jar", "arg:" + installed.resolve("redis-entra-cli.jar"))
                .contains("arg:-XX:TieredStopAtLevel=1")
                .endsWith("arg:token", "arg:--scope", "arg:api://x y/.default");
        // connect is long-running: the full JIT
        assertThat(run(link, Map.of("JAVA_HOME", fakeJavaHome().toString()), "connect")
                        .output())
                .doesNotContain("TieredStopAtLevel");
    }

    @Test
    void withoutAJarItSaysHowToBuildOne() throws Exception {
        Path script = Files.copy(SCRIPT, dir.resolve("redis-entra"));
        Result r = run(script, Map.of("JAVA_HOME", fakeJavaHome().toString()), "--help");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.output()).contains("redis-entra-cli.jar not found").contains("mvn -pl cli -am package");
    }
}
