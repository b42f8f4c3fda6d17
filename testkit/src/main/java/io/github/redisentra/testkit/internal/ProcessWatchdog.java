package io.github.redisentra.testkit.internal;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Kills a child process (and deletes its scratch directory) when this JVM dies without cleaning up
 * — SIGKILL, OOM kill, a surefire fork timeout — which no shutdown hook survives.
 *
 * <p>How: a tiny {@code sh} process blocks on {@code read} from a pipe whose other end only this JVM holds
 * (Java closes every inherited descriptor above 2 in children, so no other process keeps it open). When
 * the JVM is gone, the kernel closes that end, {@code read} returns end-of-file and the shell kills the
 * process. No polling, no timing. {@link #disarm()} ends the shell without killing anything; it is also
 * disarmed as soon as the watched process exits on its own, so a recycled pid is never signalled.
 *
 * <p>The {@link Process} object of the shell must stay reachable while armed: if it were garbage collected,
 * the JVM's descriptor cleaner would close the pipe and fire the watchdog.
 */
public final class ProcessWatchdog {

    private static final String SCRIPT = "read -r _; kill -KILL \"$1\" 2>/dev/null; rm -rf -- \"$2\"";

    private final Process shell;

    private ProcessWatchdog(Process shell) {
        this.shell = shell;
    }

    /**
     * Arms a watchdog for {@code watched}; on JVM death it kills the process and deletes {@code scratchDir}
     * (which must be an absolute path the caller created for this process alone).
     */
    public static ProcessWatchdog arm(Process watched, Path scratchDir) throws IOException {
        if (!scratchDir.isAbsolute() || scratchDir.getNameCount() < 2) {
            throw new IllegalArgumentException("scratch directory must be an absolute, non-root path: " + scratchDir);
        }
        Process shell = new ProcessBuilder(
                        "sh", "-c", SCRIPT, "redis-entra-watchdog", Long.toString(watched.pid()), scratchDir.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        ProcessWatchdog watchdog = new ProcessWatchdog(shell);
        watched.onExit().thenRun(watchdog::disarm);
        return watchdog;
    }

    /** Ends the watchdog without touching the watched process (SIGTERM ends {@code sh} inside {@code read}). */
    public void disarm() {
        shell.destroy();
    }

    public long pid() {
        return shell.pid();
    }

    public boolean isArmed() {
        return shell.isAlive();
    }
}
