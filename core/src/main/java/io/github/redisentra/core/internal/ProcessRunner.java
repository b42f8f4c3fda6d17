package io.github.redisentra.core.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** Runs a shell command with a timeout, reading stdout (bounded) and the tail of stderr concurrently. */
public final class ProcessRunner {
    /** The most standard output kept; a token, even a JWT with hundreds of groups, is far smaller. */
    public static final int MAX_STDOUT = 1 << 20;

    private static final int STDERR_TAIL = 2048;
    private static final Pattern JWT_LIKE = Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");
    private static final Pattern LONG_OPAQUE = Pattern.compile("[A-Za-z0-9+/_=.-]{64,}");

    private ProcessRunner() {}

    /** What a finished (or killed) command left. */
    public record Result(int exitCode, boolean timedOut, String stdout, boolean stdoutTruncated, String stderrTail) {}

    /** Runs {@code command} via {@code /bin/sh -c}, stdin closed; kills it and its children after {@code timeout}. */
    public static Result run(String command, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        CompletableFuture<byte[]> out = readAsync(p.getInputStream(), MAX_STDOUT + 1, false);
        CompletableFuture<byte[]> err = readAsync(p.getErrorStream(), STDERR_TAIL, true);
        boolean finished;
        try {
            finished = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            kill(p);
            throw e;
        }
        if (!finished) {
            kill(p);
        }
        byte[] stdout = collect(out);
        byte[] stderr = collect(err);
        boolean truncated = stdout.length > MAX_STDOUT;
        return new Result(
                finished ? p.exitValue() : -1,
                !finished,
                new String(stdout, 0, Math.min(stdout.length, MAX_STDOUT), StandardCharsets.UTF_8),
                truncated,
                new String(stderr, StandardCharsets.UTF_8));
    }

    /** Replaces anything that looks like a token (a JWT, or a long opaque run of token characters). */
    public static String redactTokens(String text) {
        String s = JWT_LIKE.matcher(text).replaceAll("[token redacted]");
        return LONG_OPAQUE.matcher(s).replaceAll("[redacted]");
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static byte[] collect(CompletableFuture<byte[]> f) throws InterruptedException {
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            // A grandchild that escaped the kill may hold the pipe open; give up on its output.
            f.cancel(true);
            return new byte[0];
        }
    }

    private static CompletableFuture<byte[]> readAsync(InputStream in, int limit, boolean keepTail) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread t = new Thread(
                () -> {
                    try (in) {
                        ByteArrayOutputStream buf = new ByteArrayOutputStream();
                        byte[] chunk = new byte[8192];
                        int n;
                        while ((n = in.read(chunk)) >= 0) {
                            if (keepTail) {
                                buf.write(chunk, 0, n);
                                if (buf.size() > limit * 2) {
                                    byte[] all = buf.toByteArray();
                                    buf.reset();
                                    buf.write(all, all.length - limit, limit);
                                }
                            } else if (buf.size() < limit) {
                                buf.write(chunk, 0, Math.min(n, limit - buf.size()));
                            }
                        }
                        byte[] all = buf.toByteArray();
                        if (keepTail && all.length > limit) {
                            byte[] tail = new byte[limit];
                            System.arraycopy(all, all.length - limit, tail, 0, limit);
                            all = tail;
                        }
                        f.complete(all);
                    } catch (IOException e) {
                        f.completeExceptionally(e);
                    }
                },
                "redis-entra-token-command-reader");
        t.setDaemon(true);
        t.start();
        return f;
    }
}
