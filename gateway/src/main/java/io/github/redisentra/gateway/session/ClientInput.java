package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.resp.RespProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.function.Predicate;

/**
 * A session's input loop: accumulates the client's bytes, takes one command at a time from the
 * {@link RequestFramer} while the session may process input, and hands each to the session (buffered commands) or
 * streams it (a large one whose head the {@link CommandGate} let through; a refused one is read and dropped).
 * Backpressure: client input is read only while {@link #canProcess()}, and {@code autoRead} follows it; the bytes of
 * client input held by the session are reported to the registry. Event-loop confined.
 *
 * <p>Large values: after authentication a command with a bulk of 64 KiB or more is judged by the gate on its head
 * (the arguments before the bulk, knowing the argument count) and, when allowed, streamed upstream as it arrives,
 * not buffered whole; a refused one is read and dropped; one whose verdict needs later arguments (a key after the
 * large bulk) is buffered until the gate can decide; see {@link RequestFramer}.
 */
final class ClientInput {
    /** Bytes of unsent replies above which the gateway stops reading a client that does not read. */
    static final long LOCAL_BACKLOG_CAP = 1024 * 1024;

    private final ClientSession s;
    private final SessionRegistry registry;
    private final RequestFramer framer = new RequestFramer();
    private final Predicate<Command> streamGate = this::takePiecewise;
    /** The gate's decision on the head of the command being streamed; a refused one's bytes are dropped. */
    private CommandGate.Decision streamed;

    private ByteBuf cumulation;
    private long backlogHigh;

    ClientInput(ClientSession session, SessionRegistry registry) {
        this.s = session;
        this.registry = registry;
    }

    /** Bytes read from the client: appended to what is held, then processed as far as possible. */
    void read(ByteBufAllocator alloc, ByteBuf in) {
        cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, cumulation, in);
        process();
    }

    /** Whether a command is being streamed upstream (an AUTH cannot go in the middle of it). */
    boolean streaming() {
        return framer.streaming();
    }

    private RequestLimits limits() {
        return s.gate.principal() != null ? s.settings.authenticatedLimits() : s.settings.preAuthLimits();
    }

    /**
     * Whether client input may be read. A client that is slow to read its replies is <em>not</em> a reason to stop
     * reading its commands (a pipelining client writes everything before it reads; Redis keeps reading too):
     * instead the upstream is not read while the client is not writable, so the backlog stays in the cache's
     * output buffer, as without the gateway. Only replies the gateway makes itself can pile up here; they are
     * capped by {@link #LOCAL_BACKLOG_CAP}.
     */
    boolean canProcess() {
        return !s.paused
                && !s.link.handingOver()
                && !s.draining
                && !s.closing
                && !s.failed
                && (s.client.isWritable() || s.client.bytesBeforeWritable() < LOCAL_BACKLOG_CAP)
                && (s.upstream == null || s.upstream.isWritable());
    }

    /** Makes the client channel's {@code autoRead} follow {@link #canProcess()}. */
    void updateAutoRead() {
        if (s.client != null) {
            s.client.config().setAutoRead(canProcess());
        }
    }

    /** Processes held input while the session may. */
    void process() {
        try {
            while (cumulation != null && canProcess()) {
                if (framer.streaming()) {
                    ByteBuf part;
                    try {
                        part = framer.nextPart(cumulation, limits());
                    } catch (RespProtocolException e) {
                        // part of the command is upstream already: the upstream connection cannot be reused
                        s.events.commandRefused("protocol_error");
                        s.fail("-" + e.getMessage());
                        break;
                    }
                    if (part == null) {
                        break;
                    }
                    if (streamed == CommandGate.FORWARD) {
                        s.forwardUpstream(streamed, part);
                    } else {
                        part.release(); // the rest of a refused command: read and dropped, never forwarded
                    }
                    if (!framer.streaming()) {
                        streamed = null;
                        s.afterForward();
                    }
                    continue;
                }
                Command cmd;
                try {
                    cmd = framer.next(cumulation, limits(), streamGate);
                } catch (RespProtocolException e) {
                    s.events.commandRefused("protocol_error");
                    s.closing = true;
                    s.local("-" + e.getMessage(), true);
                    break;
                }
                if (cmd == null) {
                    break;
                }
                if (cmd.streaming()) {
                    if (streamed == CommandGate.FORWARD) {
                        // the rest follows as it arrives, never buffered whole
                        s.queued(cmd); // cluster mode inside MULTI: its place in EXEC's result
                        ReplyLedger.Owed entry = s.audit.forwarded(cmd, ReplyLedger.FORWARD);
                        s.forwardUpstream(streamed, cmd.takeFrame());
                        s.ledger.add(entry);
                    } else {
                        s.refused(cmd, streamed);
                    }
                    continue;
                }
                s.handle(cmd);
            }
        } finally {
            // the run of forwarded commands is a view of the cumulation: written before it changes (as the cumulation
            // itself when the run is all that is left of it)
            if (s.writeForwarded(cumulation)) {
                cumulation = null;
            }
            if (cumulation != null) {
                if (!cumulation.isReadable()) {
                    cumulation.release();
                    cumulation = null;
                } else if (!framer.inFrame() && cumulation.refCnt() == 1) {
                    cumulation.discardSomeReadBytes();
                }
            }
            noteBacklog();
            updateAutoRead();
            s.flush();
        }
    }

    /**
     * Whether the head of a command with a large bulk is taken piecewise instead of buffered whole: streamed
     * upstream when the gate lets it through, or read and dropped when the gate refuses it (its refusal answered in
     * its place). Buffered, to be judged whole, are commands the session interprets (their arguments must not leave
     * the gateway, or change its state), and heads the gate cannot decide yet.
     */
    private boolean takePiecewise(Command head) {
        if (s.upstream == null || s.link.handingOver() || s.resp2Subscribed()) {
            return false;
        }
        // an undecided command is buffered whole, within the limit of one argument
        long bufferable = limits().maxBulkBytes() - (long) head.frameLength();
        CommandGate.Decision d = s.gate.decide(head, s.resp2Subscribed(), s.upstreamAuth.identity(), bufferable);
        if (d.kind() == CommandGate.Kind.SESSION
                || d.kind() == CommandGate.Kind.UNDECIDED
                || (d == CommandGate.FORWARD && interpreted(head))) {
            return false;
        }
        streamed = d;
        return true;
    }

    private static boolean interpreted(Command cmd) {
        return cmd.is("CLIENT")
                || cmd.is("MULTI")
                || cmd.is("EXEC")
                || cmd.is("DISCARD")
                || cmd.is("SUBSCRIBE")
                || cmd.is("PSUBSCRIBE")
                || cmd.is("SSUBSCRIBE")
                || cmd.is("UNSUBSCRIBE")
                || cmd.is("PUNSUBSCRIBE")
                || cmd.is("SUNSUBSCRIBE");
    }

    /** Client input held by this session: unparsed bytes plus bytes written upstream and not yet sent. */
    private void noteBacklog() {
        long held = cumulation == null ? 0 : cumulation.readableBytes();
        if (s.upstream != null) {
            ChannelOutboundBuffer out = s.upstream.unsafe().outboundBuffer();
            if (out != null) {
                held += out.totalPendingWriteBytes();
            }
        }
        if (held > backlogHigh) {
            backlogHigh = held;
            registry.noteInputBacklog(held);
        }
    }

    /** The session closed: releases held input. */
    void release() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
