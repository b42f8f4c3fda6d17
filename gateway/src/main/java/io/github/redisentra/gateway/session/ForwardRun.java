package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.resp.Command;
import io.netty.buffer.ByteBuf;

/**
 * The run of forwarded commands not written upstream yet (issue #19: no slice, no write per command): consecutive
 * commands of one read, each still a view of the client's input ({@link Command#viewOf()}), kept as bytes
 * {@code runStart} to {@code runEnd} of that input buffer (not retained). Only {@link ClientSession#forwardUpstream}
 * (which requires the gate's {@code FORWARD}) joins a command to it ({@code UpstreamPathsTest} checks this); the
 * session takes the run's bytes and writes them upstream before any other upstream write, before the input buffer
 * changes ({@link ClientInput}), at flush and once the run reaches {@link #LIMIT}. Holds no reference count, writes
 * nothing itself. Event-loop confined.
 */
final class ForwardRun {
    /** A run is written once it is this long, so that the upstream's writability keeps up with a long pipeline. */
    static final int LIMIT = 64 * 1024;

    /** The client's input buffer the run is a part of, or {@code null} without a run. */
    private ByteBuf run;

    private int runStart;
    private int runEnd;

    /** Whether {@code cmd} (a view of the client's input) directly follows the run in the same buffer, or no run is pending. */
    boolean continuedBy(Command cmd) {
        return run == null || (cmd.viewOf() == run && cmd.viewStart() == runEnd);
    }

    /**
     * Joins {@code cmd}, a command the gate forwarded that is still a view of the client's input, to the run (starting
     * a new one when no run is pending: the caller has taken one that {@code cmd} does not continue). {@code cmd} is
     * released (its view forgotten; the bytes stay in the input until taken). Returns whether the run reached
     * {@link #LIMIT} and should be written now.
     */
    boolean join(Command cmd) {
        if (run == null) {
            ByteBuf in = cmd.viewOf();
            run = in;
            runStart = cmd.viewStart();
        }
        runEnd = cmd.viewEnd();
        cmd.release();
        return runEnd - runStart >= LIMIT;
    }

    /**
     * Takes the pending run, to be written upstream now: a retained slice of the client's input, or, when the run is
     * all that is left of {@code input} (the input buffer, read to its end), {@code input} itself (its reference passes
     * to the writer). Returns {@code null} when no run is pending.
     */
    ByteBuf take(ByteBuf input) {
        ByteBuf in = run;
        if (in == null) {
            return null;
        }
        run = null;
        boolean whole = in == input && runEnd == in.writerIndex() && in.readerIndex() == runEnd;
        return whole ? in.readerIndex(runStart) : in.retainedSlice(runStart, runEnd - runStart);
    }

    /** Forgets the pending run unwritten (the session failed or closed: its input and upstream are gone). */
    void drop() {
        run = null;
    }
}
