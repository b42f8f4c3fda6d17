package io.github.redisentra.bench;

import io.github.redisentra.gateway.acl.CommandKeys;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.CommandTable.Spec;
import io.github.redisentra.gateway.audit.AuditUser;
import io.github.redisentra.gateway.audit.CommandAudit;
import io.github.redisentra.gateway.config.AuditMode;
import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the command audit ({@code AUDIT_COMMANDS=writes}) on the event loop, per command, as the session hook
 * will pay it: {@code notAudited} is a {@code GET} (resolve the name bytes, ask {@code audits}); {@code audited} is a
 * {@code SET} (resolve, key count, two clock reads, reply class, queue the event). The writer thread renders the
 * lines into a discarding stream; at the end of each iteration the lines written and dropped (queue full: the
 * writer's own rate, one core) are printed, which gives the writer's cost per line.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-Dio.netty.leakDetection.level=disabled"})
@State(Scope.Thread)
public class CommandAuditBenchmark {
    private static final OutputStream DISCARD = new OutputStream() {
        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    };

    private CommandAudit audit;
    private AuditUser user;
    private Command get;
    private Command set;
    private ByteBuf ok;
    private long writtenBefore;
    private long droppedBefore;
    private long iterationStart;

    static Command frame(String resp) throws Exception {
        return new RequestFramer()
                .next(Unpooled.copiedBuffer(resp, StandardCharsets.US_ASCII), RequestLimits.AUTHENTICATED_DEFAULT);
    }

    @Setup
    public void setUp() throws Exception {
        audit = CommandAudit.start(AuditMode.WRITES, CommandTable.builtIn(), 0, 65536, DISCARD);
        user = AuditUser.of(
                "4f6c0000-0000-4000-8000-000000000001", "alice@contoso.com", List.of("writers"), "10.0.0.7:51234");
        get = frame("*2\r\n$3\r\nGET\r\n$10\r\nkey:100001\r\n");
        set = frame("*3\r\n$3\r\nSET\r\n$10\r\nkey:100001\r\n$16\r\nvvvvvvvvvvvvvvvv\r\n");
        ok = Unpooled.copiedBuffer("+OK\r\n", StandardCharsets.US_ASCII);
    }

    @Setup(Level.Iteration)
    public void iterationStart() {
        writtenBefore = audit.written();
        droppedBefore = audit.droppedQueueFull();
        iterationStart = System.nanoTime();
    }

    @TearDown(Level.Iteration)
    public void iterationEnd() {
        double s = (System.nanoTime() - iterationStart) / 1e9;
        System.out.printf(
                " [lines written %.0f/s, dropped %.0f/s]",
                (audit.written() - writtenBefore) / s, (audit.droppedQueueFull() - droppedBefore) / s);
    }

    @TearDown
    public void tearDown() {
        audit.drain(Duration.ofSeconds(2));
        audit.close();
        get.release();
        set.release();
        ok.release();
    }

    @Benchmark
    public boolean notAudited() {
        Spec spec = audit.resolve(get);
        return audit.audits(spec);
    }

    @Benchmark
    public boolean audited() {
        Spec spec = audit.resolve(set);
        if (!audit.audits(spec)) {
            return false;
        }
        long start = System.nanoTime();
        int keys = CommandKeys.count(spec, set);
        long latency = System.nanoTime() - start;
        audit.record(user, spec, keys, CommandAudit.Result.ofReply(ok), latency);
        return true;
    }
}
