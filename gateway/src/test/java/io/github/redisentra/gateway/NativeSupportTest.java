package io.github.redisentra.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Netty unpacks its native libraries before loading them: with a writable work directory the gateway runs on epoll
 * and OpenSSL, without one (a read-only root file system) it falls back to NIO and the JDK engine, and says so. Each
 * case runs in a child JVM, since Netty decides once per process.
 */
@Timeout(60)
class NativeSupportTest {

    @Test
    void writableWorkDirectoryLoadsEpollAndOpenSsl(@TempDir Path work) throws Exception {
        assumeTrue(NativeSupport.shippedFor(System.getProperty("os.name"), System.getProperty("os.arch")));
        String out = childJvm("-Dio.netty.native.workdir=" + work);
        assertThat(out).startsWith("transport epoll, TLS engine OpenSSL (").doesNotContain("problem:");
    }

    @Test
    void unwritableWorkDirectoryFallsBackAndSaysHowToFixIt(@TempDir Path work) throws Exception {
        assumeTrue(NativeSupport.shippedFor(System.getProperty("os.name"), System.getProperty("os.arch")));
        // A path below a regular file can never be created, not even by root (tests may run as root).
        Path file = Files.writeString(work.resolve("not-a-directory"), "x");
        Path unwritable = file.resolve("netty");
        String out = childJvm("-Dio.netty.native.workdir=" + unwritable, "-Djava.io.tmpdir=" + unwritable);
        assertThat(out)
                .startsWith("transport NIO, TLS engine JDK (OpenSSL unavailable: ")
                .contains("problem: Netty could not load its native libraries (epoll: ")
                .contains("Netty unpacks them into \"" + unwritable + "\"")
                .contains("an emptyDir volume at /tmp");
    }

    @Test
    void nativesShipForLinuxOnX86AndArm() {
        assertThat(NativeSupport.shippedFor("Linux", "amd64")).isTrue();
        assertThat(NativeSupport.shippedFor("Linux", "aarch64")).isTrue();
        assertThat(NativeSupport.shippedFor("Mac OS X", "aarch64")).isFalse();
        assertThat(NativeSupport.shippedFor("Linux", "s390x")).isFalse();
    }

    private static String childJvm(String... properties) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(properties));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NativeSupport.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(45, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines()
                .filter(l -> l.startsWith("transport ") || l.startsWith("problem: "))
                .reduce("", (a, b) -> a + b + "\n");
    }
}
