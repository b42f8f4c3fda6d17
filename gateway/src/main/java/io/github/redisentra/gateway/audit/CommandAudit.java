package io.github.redisentra.gateway.audit;

import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.CommandTable.Spec;
import io.github.redisentra.gateway.config.AuditMode;
import io.github.redisentra.gateway.resp.Command;
import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command audit: one JSON line per audited command, for example
 *
 * <pre>{@code
 * {"time":"2026-12-05T21:30:00.123Z","event":"command","oid":"…","name":"alice@contoso.com","role":"writers",
 *  "client":"10.0.0.7:51234","cmd":"set","keys":1,"result":"ok","latency_us":182}
 * }</pre>
 *
 * <p>What a line can hold is fixed by this API: the session's {@link AuditUser} (rendered once at sign-in), the
 * command's table entry (its name from the command table; a name not in the table is written as {@code unknown}),
 * a key count, a {@link Result} and a latency. No argument value (key, value, channel, script, password) is ever
 * passed in, so none can be written.
 *
 * <p>{@link #record} is called on event loops and never blocks: the event goes to a bounded lock-free queue
 * ({@code AUDIT_COMMANDS_QUEUE}); when that is full the line is dropped and counted. Past
 * {@code AUDIT_COMMANDS_PER_SECOND} (bursts of one second's worth) a line is dropped and counted by the producer,
 * before anything is built or queued ({@link #admit}: one clock read and one shared read, no allocation). One
 * writer thread renders the lines and writes them in batches. Both counts are in {@code /metrics} ({@code audit_lines_dropped_total{reason=…}}).
 */
public final class CommandAudit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CommandAudit.class);
    private static final long IDLE_PARK_NANOS = 5_000_000; // the writer looks for new lines every 5 ms when idle
    private static final byte[] UNKNOWN = "\"unknown\"".getBytes(StandardCharsets.US_ASCII);

    /** The class of a command's outcome. */
    public enum Result {
        OK,
        ERROR,
        /** Refused for permissions: by the gateway's roles file or by the cache's ACL ({@code -NOPERM}). */
        NOPERM;

        final byte[] json = ("\"" + name().toLowerCase(Locale.ROOT) + "\"").getBytes(StandardCharsets.US_ASCII);

        /** The class of a reply frame: RESP errors ({@code -…}, RESP3 {@code !…}) are errors, {@code -NOPERM} is NOPERM. */
        public static Result ofReply(ByteBuf frame) {
            int i = frame.readerIndex();
            if (frame.readableBytes() < 1) {
                return OK;
            }
            byte t = frame.getByte(i);
            if (t == '-') {
                return startsWith(frame, i + 1, "NOPERM") ? NOPERM : ERROR;
            }
            if (t == '!') { // blob error: !<len>\r\n<text>
                int crlf = frame.indexOf(i, frame.writerIndex(), (byte) '\n');
                return crlf > 0 && startsWith(frame, crlf + 1, "NOPERM") ? NOPERM : ERROR;
            }
            return OK;
        }

        /** The class of a reply line the gateway answers itself (without CRLF), e.g. a refusal of the gate. */
        public static Result ofLine(String line) {
            if (line.startsWith("-NOPERM")) {
                return NOPERM;
            }
            return line.startsWith("-") ? ERROR : OK;
        }

        private static boolean startsWith(ByteBuf b, int at, String ascii) {
            if (at + ascii.length() > b.writerIndex()) {
                return false;
            }
            for (int k = 0; k < ascii.length(); k++) {
                if (b.getByte(at + k) != ascii.charAt(k)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** One audited command, as queued (no argument bytes: there is no field for them). */
    private record Event(long timeMillis, AuditUser user, Spec spec, int keys, Result result, long latencyNanos) {}

    private static final CommandAudit OFF = new CommandAudit();

    private final AuditMode mode;
    private final CommandNames names;
    private final boolean[] audited; // by command id
    private final byte[][] nameJson; // by command id
    private final Queue<Event> queue;
    private final int queueSize;
    private final OutputStream out;
    private final LongSupplier millis;
    private final LongSupplier nanos;
    /** The rate bound as a generic cell rate algorithm: nanoseconds per line (0: no bound) and the burst's span. */
    private final long intervalNanos;

    private final long toleranceNanos;
    /** The theoretical arrival time of the next line (nanos clock); shared by the event loops. */
    private final AtomicLong nextLineNanos;

    private final LongAdder droppedQueueFull = new LongAdder();
    private final LongAdder droppedRateLimit = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final LongAdder writeFailures = new LongAdder();
    private final Thread writer;
    private volatile boolean closed;
    private volatile boolean idle = true;

    private CommandAudit() {
        mode = AuditMode.OFF;
        names = null;
        audited = new boolean[0];
        nameJson = new byte[0][];
        queue = null;
        queueSize = 0;
        out = null;
        millis = System::currentTimeMillis;
        nanos = System::nanoTime;
        intervalNanos = 0;
        toleranceNanos = 0;
        nextLineNanos = null;
        writer = null;
    }

    /**
     * @param table the command table the session resolves commands with (the audit's {@link #resolve} uses it)
     * @param perSecond most lines written per second on average (bursts of one second's worth); 0: no bound
     * @param queueSize most events waiting for the writer; more are dropped and counted
     * @param out where the lines go (standard output in the gateway); written by the writer thread only
     * @param millis wall clock for the line's time; {@code nanos}: monotonic clock for the rate bound
     */
    CommandAudit(
            AuditMode mode,
            CommandTable table,
            int perSecond,
            int queueSize,
            OutputStream out,
            LongSupplier millis,
            LongSupplier nanos) {
        if (mode == AuditMode.OFF) {
            throw new IllegalArgumentException("use CommandAudit.off()");
        }
        if (perSecond < 0 || queueSize < 1) {
            throw new IllegalArgumentException("perSecond >= 0 and queueSize >= 1 needed");
        }
        this.mode = mode;
        this.names = CommandNames.of(table);
        this.audited = new boolean[table.size()];
        this.nameJson = new byte[table.size()][];
        for (int id = 0; id < table.size(); id++) {
            Spec s = table.byId(id);
            audited[id] = mode == AuditMode.ALL || s.flags().contains("write");
            StringBuilder sb = new StringBuilder();
            Json.string(sb, s.fullName());
            nameJson[id] = sb.toString().getBytes(StandardCharsets.UTF_8);
        }
        this.queueSize = queueSize;
        this.queue = PlatformDependent.newFixedMpscQueue(queueSize);
        this.out = out;
        this.millis = millis;
        this.nanos = nanos;
        this.intervalNanos = perSecond == 0 ? 0 : Math.max(1, 1_000_000_000L / perSecond);
        this.toleranceNanos = intervalNanos * perSecond; // a burst of one second's worth
        this.nextLineNanos = new AtomicLong(nanos.getAsLong());
        this.writer = new Thread(this::writeLoop, "command-audit");
        writer.setDaemon(true);
        writer.start();
    }

    /** An audit that audits nothing ({@code AUDIT_COMMANDS=off}): {@link #audits} is always false, no thread. */
    public static CommandAudit off() {
        return OFF;
    }

    /** An audit writing to standard output, or {@link #off()} for {@link AuditMode#OFF}. */
    public static CommandAudit start(AuditMode mode, CommandTable table, int perSecond, int queueSize) {
        return start(mode, table, perSecond, queueSize, System.out);
    }

    /** An audit writing to {@code out} (benchmarks, tests), or {@link #off()} for {@link AuditMode#OFF}. */
    public static CommandAudit start(
            AuditMode mode, CommandTable table, int perSecond, int queueSize, OutputStream out) {
        if (mode == AuditMode.OFF) {
            return OFF;
        }
        return new CommandAudit(mode, table, perSecond, queueSize, out, System::currentTimeMillis, System::nanoTime);
    }

    public AuditMode mode() {
        return mode;
    }

    /** The command table entry of a framed client command ({@code null}: not in the table), without a String. */
    public Spec resolve(Command cmd) {
        return names == null ? null : names.resolve(cmd);
    }

    /**
     * Whether a command gets a line: never when off; with {@code writes} a command the table flags {@code write}
     * or one not in the table ({@code null}: it cannot be told apart from a module's write command); with
     * {@code all} every command. Ask before taking the start time, so that an unaudited command costs nothing more.
     */
    public boolean audits(Spec spec) {
        if (mode == AuditMode.OFF) {
            return false;
        }
        if (spec == null) {
            return true;
        }
        int id = spec.id();
        return id < audited.length && audited[id];
    }

    /**
     * Records one command; never blocks (a full queue drops the line and counts it). Commands that {@link #audits}
     * declines are ignored.
     *
     * @param user the session's user, from sign-in
     * @param spec the command ({@link #resolve}); {@code null} when not in the table
     * @param keys its key count ({@code -1}: not known)
     * @param latencyNanos from forwarding the command to its reply (0 for a refusal)
     */
    public void record(AuditUser user, Spec spec, int keys, Result result, long latencyNanos) {
        if (!audits(spec) || !admit()) {
            return;
        }
        recordAdmitted(user, spec, keys, result, latencyNanos);
    }

    /**
     * Takes one line of the rate bound ({@code AUDIT_COMMANDS_PER_SECOND}) for a command {@link #audits} accepts:
     * false (the line counted as dropped) when over the rate, so that the caller builds nothing for it. Event loops
     * call it before building an event; without a bound it is always true. Lock-free, allocation-free.
     */
    public boolean admit() {
        if (intervalNanos == 0) {
            return true;
        }
        long now = nanos.getAsLong();
        while (true) {
            long next = nextLineNanos.get();
            long after = Math.max(next, now) + intervalNanos;
            if (after - now > toleranceNanos) {
                droppedRateLimit.increment();
                return false;
            }
            if (nextLineNanos.compareAndSet(next, after)) {
                return true;
            }
        }
    }

    /** Records one command that {@link #admit} let through earlier (e.g. when it was forwarded); never blocks. */
    public void recordAdmitted(AuditUser user, Spec spec, int keys, Result result, long latencyNanos) {
        if (closed || !queue.offer(new Event(millis.getAsLong(), user, spec, keys, result, latencyNanos))) {
            droppedQueueFull.increment();
        }
    }

    /** Lines written since start. */
    public long written() {
        return written.sum();
    }

    /** Lines dropped because the queue was full (the writer fell behind, or after close). */
    public long droppedQueueFull() {
        return droppedQueueFull.sum();
    }

    /** Lines dropped above {@code AUDIT_COMMANDS_PER_SECOND}. */
    public long droppedRateLimit() {
        return droppedRateLimit.sum();
    }

    /** The audit's counters in the Prometheus text format, each name prefixed with {@code prefix}. */
    public String renderMetrics(String prefix) {
        if (mode == AuditMode.OFF) {
            return "";
        }
        return "# HELP " + prefix + "audit_lines_total Command audit lines written (AUDIT_COMMANDS)\n"
                + "# TYPE " + prefix + "audit_lines_total counter\n"
                + prefix + "audit_lines_total " + written() + "\n"
                + "# HELP " + prefix + "audit_lines_dropped_total Command audit lines dropped: queue full"
                + " (AUDIT_COMMANDS_QUEUE) or over AUDIT_COMMANDS_PER_SECOND\n"
                + "# TYPE " + prefix + "audit_lines_dropped_total counter\n"
                + prefix + "audit_lines_dropped_total{reason=\"queue_full\"} " + droppedQueueFull() + "\n"
                + prefix + "audit_lines_dropped_total{reason=\"rate_limit\"} " + droppedRateLimit() + "\n"
                + "# HELP " + prefix + "audit_write_failures_total Failed writes of command audit lines\n"
                + "# TYPE " + prefix + "audit_write_failures_total counter\n"
                + prefix + "audit_write_failures_total " + writeFailures.sum() + "\n";
    }

    /** Waits up to {@code timeout} until every queued line is written (tests, shutdown). */
    public boolean drain(Duration timeout) {
        if (writer == null) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!(idle && queue.isEmpty())) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.unpark(writer);
            LockSupport.parkNanos(1_000_000); // shutdown and tests only
        }
        return true;
    }

    /** Writes what is queued (up to a second), then stops the writer; later records are dropped and counted. */
    @Override
    public void close() {
        if (writer == null || closed) {
            return;
        }
        drain(Duration.ofSeconds(1));
        closed = true;
        LockSupport.unpark(writer);
        try {
            writer.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeLoop() {
        Batch batch = new Batch();
        while (true) {
            idle = false;
            Event e = queue.poll();
            if (e == null) {
                flush(batch);
                if (closed && queue.isEmpty()) {
                    idle = true;
                    return;
                }
                idle = true;
                LockSupport.parkNanos(IDLE_PARK_NANOS);
                continue;
            }
            render(e, batch);
            if (batch.size >= 64 * 1024) {
                flush(batch);
            }
        }
    }

    private void render(Event e, Batch b) {
        b.ascii("{\"time\":\"");
        b.time(e.timeMillis());
        b.ascii("\",\"event\":\"command\"");
        b.write(e.user().json);
        b.ascii(",\"cmd\":");
        Spec s = e.spec();
        b.write(s == null || s.id() >= nameJson.length ? UNKNOWN : nameJson[s.id()]);
        if (e.keys() >= 0) {
            b.ascii(",\"keys\":");
            b.decimal(e.keys());
        }
        b.ascii(",\"result\":");
        b.write(e.result().json);
        b.ascii(",\"latency_us\":");
        b.decimal(e.latencyNanos() / 1000);
        b.ascii("}\n");
        b.lines++;
    }

    private void flush(Batch b) {
        if (b.size == 0) {
            return;
        }
        try {
            out.write(b.buf, 0, b.size);
            out.flush();
            written.add(b.lines);
        } catch (IOException | RuntimeException ex) {
            writeFailures.increment();
            log.warn("command audit: writing {} lines failed: {}", b.lines, ex.toString());
        }
        b.size = 0;
        b.lines = 0;
    }

    /** The writer thread's reusable buffer of rendered lines (one thread: no locking). */
    private static final class Batch {
        byte[] buf = new byte[16 * 1024];
        int size;
        int lines;
        private long second = Long.MIN_VALUE;
        private String secondText; // 2026-12-05T23:00:00, rendered once per second

        private void ensure(int n) {
            if (size + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
            }
        }

        void ascii(String s) {
            ensure(s.length());
            for (int i = 0; i < s.length(); i++) {
                buf[size++] = (byte) s.charAt(i);
            }
        }

        void write(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }

        void decimal(long v) {
            if (v >= 0 && v < 10) {
                ensure(1);
                buf[size++] = (byte) ('0' + v);
            } else {
                ascii(Long.toString(v));
            }
        }

        /** UTC with milliseconds, always the same width: {@code 2026-12-05T23:00:00.123Z}. */
        void time(long millis) {
            long sec = Math.floorDiv(millis, 1000);
            if (sec != second) {
                String t = Instant.ofEpochSecond(sec).toString(); // ...T23:00:00Z
                secondText = t.substring(0, t.length() - 1);
                second = sec;
            }
            ascii(secondText);
            int ms = (int) Math.floorMod(millis, 1000);
            ensure(5);
            buf[size++] = '.';
            buf[size++] = (byte) ('0' + ms / 100);
            buf[size++] = (byte) ('0' + ms / 10 % 10);
            buf[size++] = (byte) ('0' + ms % 10);
            buf[size++] = 'Z';
        }
    }

    @Override
    public String toString() {
        return "CommandAudit[" + mode + ", queue " + queueSize + "]";
    }
}
