package io.github.redisentra.bench;

import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.resp.RespProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Throughput of the gateway's command framer ({@link RequestFramer}, run per byte a client sends, including
 * building, inspecting and releasing each {@link Command}) over a direct buffer of 1,000 pipelined
 * {@code SET key:NNNNNN <16 bytes>} commands. One operation frames the whole buffer; the secondary results are
 * bytes and frames per second (bytes / 10^6 = MB/s).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-Dio.netty.leakDetection.level=disabled"})
@State(Scope.Thread)
public class RequestFramingBenchmark {
    private ByteBuf commandBuf;
    private final RequestFramer requestFramer = new RequestFramer();

    @Setup
    public void setUp() {
        StringBuilder c = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            String key = "key:" + (100000 + i);
            c.append("*3\r\n$3\r\nSET\r\n$")
                    .append(key.length())
                    .append("\r\n")
                    .append(key)
                    .append("\r\n$16\r\n")
                    .append("v".repeat(16))
                    .append("\r\n");
        }
        byte[] b = c.toString().getBytes(StandardCharsets.US_ASCII);
        commandBuf = Unpooled.directBuffer(b.length);
        commandBuf.writeBytes(b);
    }

    @TearDown
    public void tearDown() {
        commandBuf.release();
    }

    @Benchmark
    public void commands(RespFramingBenchmark.Counters counters, Blackhole bh) throws RespProtocolException {
        ByteBuf in = commandBuf;
        int start = in.readerIndex();
        int frames = 0;
        Command cmd;
        while ((cmd = requestFramer.next(in, RequestLimits.AUTHENTICATED_DEFAULT)) != null) {
            bh.consume(cmd.is("SET"));
            cmd.release();
            frames++;
        }
        counters.bytes += in.readerIndex() - start;
        counters.frames += frames;
        in.readerIndex(start);
    }
}
