package io.github.redisentra.bench;

import io.github.redisentra.gateway.resp.ReplyFramer;
import io.github.redisentra.gateway.resp.ReplyProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the gateway's reply framer ({@link ReplyFramer}, run per byte the cache sends) over a direct buffer
 * holding a pipeline's worth of replies. See {@link RequestFramingBenchmark} for the command side.
 *
 * <p>One operation frames the whole buffer. The secondary result {@code bytes} is bytes framed per second
 * (divide by 10^6 for MB/s); {@code frames} is frames per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-Dio.netty.leakDetection.level=disabled"})
@State(Scope.Thread)
public class RespFramingBenchmark {

    /** What the buffer holds: GET replies (16-byte values), LRANGE_100 replies, one 64 KiB bulk per frame. */
    @Param({"get16", "lrange100", "bulk64k"})
    public String replies;

    private ByteBuf replyBuf;
    private final ReplyFramer replyFramer = new ReplyFramer();

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Counters {
        public long bytes;
        public long frames;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
            frames = 0;
        }
    }

    @Setup
    public void setUp() {
        StringBuilder r = new StringBuilder();
        switch (replies) {
            case "get16" -> {
                for (int i = 0; i < 1000; i++) {
                    r.append("$16\r\n").append("v".repeat(16)).append("\r\n");
                }
            }
            case "lrange100" -> {
                for (int i = 0; i < 20; i++) {
                    r.append("*100\r\n");
                    for (int j = 0; j < 100; j++) {
                        r.append("$3\r\nxxx\r\n"); // redis-benchmark's LRANGE_100 elements
                    }
                }
            }
            case "bulk64k" -> {
                for (int i = 0; i < 4; i++) {
                    r.append("$65536\r\n").append("x".repeat(65536)).append("\r\n");
                }
            }
            default -> throw new IllegalArgumentException(replies);
        }
        replyBuf = direct(r.toString());
    }

    private static ByteBuf direct(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        ByteBuf buf = Unpooled.directBuffer(b.length);
        buf.writeBytes(b);
        return buf;
    }

    @TearDown
    public void tearDown() {
        replyBuf.release();
    }

    @Benchmark
    public int replies(Counters counters) throws ReplyProtocolException {
        ByteBuf in = replyBuf;
        int start = in.readerIndex();
        int frames = 0;
        int len;
        while ((len = replyFramer.next(in)) > 0) {
            in.skipBytes(len);
            frames++;
        }
        counters.bytes += in.readerIndex() - start;
        counters.frames += frames;
        in.readerIndex(start);
        return frames;
    }
}
