package io.github.redisentra.samples.demo;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/** The demo's story: one line per step, {@code [+12.3s] [source] text}, and a summary of checks at the end. */
final class Transcript {
    private final PrintStream out;
    private final Instant start = Instant.now();
    private int failures;

    Transcript(PrintStream out) {
        this.out = out;
    }

    synchronized void step(String source, String text) {
        Duration d = Duration.between(start, Instant.now());
        out.printf("[+%5.1fs] %-8s %s%n", d.toMillis() / 1000.0, "[" + source + "]", text);
        out.flush();
    }

    /** A continuation line (configuration listing). */
    synchronized void detail(String source, String text) {
        out.printf("          %-8s %s%n", "", text);
        out.flush();
    }

    /** Records a check: {@code ok} prints a pass line, otherwise a FAILED line and the demo exits non-zero. */
    void check(boolean ok, String what) {
        if (!ok) {
            synchronized (this) {
                failures++;
            }
        }
        step("check", (ok ? "ok      " : "FAILED  ") + what);
    }

    synchronized int failures() {
        return failures;
    }

    /** A stream whose every line becomes a step of {@code source} (the sample apps print to it). */
    PrintStream linesOf(String source) {
        return new PrintStream(
                new OutputStream() {
                    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

                    @Override
                    public synchronized void write(int b) {
                        if (b == '\n') {
                            step(source, line.toString(StandardCharsets.UTF_8));
                            line.reset();
                        } else if (b != '\r') {
                            line.write(b);
                        }
                    }
                },
                true,
                StandardCharsets.UTF_8);
    }
}
