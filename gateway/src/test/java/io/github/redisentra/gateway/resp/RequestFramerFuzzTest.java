package io.github.redisentra.gateway.resp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzzing of {@link RequestFramer} (Jazzer). Without {@code JAZZER_FUZZ} this replays the committed
 * corpus in {@code src/test/resources/.../RequestFramerFuzzTestInputs/}; the {@code fuzz-framer} surefire execution
 * fuzzes for a bounded time (README: "Fuzzing").
 *
 * <p>Properties checked for every input: the framer throws nothing but {@link RespProtocolException}; feeding the
 * bytes at once and in arbitrary pieces (through the same cumulation the session uses) yields the same commands and
 * the same verdict; every command respects the limits; every frame is a well-formed multibulk that frames again to
 * the same arguments; every buffer is released exactly once (the paranoid leak detector watches the rest).
 */
class RequestFramerFuzzTest {
    /** Small limits so that the fuzzer reaches them; same shape as the real ones. */
    static final RequestLimits PRE_AUTH = new RequestLimits(4, 1024, 1024, false);

    static final RequestLimits AUTHENTICATED = new RequestLimits(64, 4096, 2048, true);

    record Outcome(List<List<byte[]>> commands, boolean error) {}

    @FuzzTest(maxDuration = "5s")
    void framesLikeRedisWhateverTheInputAndItsSplit(FuzzedDataProvider data) {
        RequestLimits limits = data.consumeBoolean() ? PRE_AUTH : AUTHENTICATED;
        int[] cuts = new int[data.consumeInt(0, 6)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = data.consumeInt(0, 4096);
        }
        byte[] input = data.consumeRemainingAsBytes();

        Outcome whole = frame(List.of(input), limits);
        Arrays.sort(cuts);
        List<byte[]> pieces = new ArrayList<>();
        int from = 0;
        for (int c : cuts) {
            int to = Math.min(c, input.length);
            if (to > from) {
                pieces.add(Arrays.copyOfRange(input, from, to));
                from = to;
            }
        }
        pieces.add(Arrays.copyOfRange(input, from, input.length));
        Outcome split = frame(pieces, limits);

        assertThat(split.error()).as("same verdict split and whole").isEqualTo(whole.error());
        assertThat(split.commands()).as("same commands split and whole").hasSameSizeAs(whole.commands());
        for (int i = 0; i < whole.commands().size(); i++) {
            List<byte[]> a = whole.commands().get(i);
            List<byte[]> b = split.commands().get(i);
            assertThat(b).hasSameSizeAs(a);
            for (int k = 0; k < a.size(); k++) {
                assertThat(b.get(k)).isEqualTo(a.get(k));
            }
        }
    }

    /** Feeds the pieces as the session does (merge cumulation, discard read bytes between frames). */
    static Outcome frame(List<byte[]> pieces, RequestLimits limits) {
        RequestFramer framer = new RequestFramer();
        List<List<byte[]>> commands = new ArrayList<>();
        ByteBuf cumulation = null;
        boolean error = false;
        try {
            outer:
            for (byte[] piece : pieces) {
                ByteBuf in = Unpooled.copiedBuffer(piece);
                cumulation = cumulation == null
                        ? in
                        : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ByteBufAllocator.DEFAULT, cumulation, in);
                for (; ; ) {
                    Command cmd;
                    try {
                        cmd = framer.next(cumulation, limits);
                    } catch (RespProtocolException e) {
                        assertThat(e.getMessage()).startsWith("ERR Protocol error: ");
                        error = true;
                        break outer;
                    }
                    if (cmd == null) {
                        break;
                    }
                    commands.add(check(cmd, limits));
                }
                if (!cumulation.isReadable()) {
                    cumulation.release();
                    cumulation = null;
                } else if (!framer.inFrame()) {
                    cumulation.discardSomeReadBytes();
                }
            }
        } finally {
            if (cumulation != null) {
                cumulation.release();
            }
        }
        return new Outcome(commands, error);
    }

    static List<byte[]> check(Command cmd, RequestLimits limits) {
        try {
            assertThat(cmd.argc()).isBetween(1, limits.maxArgs());
            List<byte[]> args = new ArrayList<>();
            for (int i = 0; i < cmd.argc(); i++) {
                assertThat(cmd.argLength(i)).isLessThanOrEqualTo(limits.maxBulkBytes());
                ByteBuf a = cmd.arg(i);
                byte[] b = new byte[a.readableBytes()];
                a.getBytes(a.readerIndex(), b);
                args.add(b);
            }
            // The frame handed on upstream is itself a well-formed multibulk with the same arguments.
            ByteBuf again = cmd.frame().duplicate();
            RequestFramer reframer = new RequestFramer();
            Command c2;
            try {
                c2 = reframer.next(again, AUTHENTICATED_UNBOUNDED);
            } catch (RespProtocolException e) {
                throw new AssertionError("frame does not frame again: " + e.getMessage());
            }
            assertThat(c2).isNotNull();
            assertThat(again.isReadable()).as("frame holds exactly one command").isFalse();
            assertThat(c2.wasInline()).isFalse();
            assertThat(c2.argc()).isEqualTo(args.size());
            for (int i = 0; i < c2.argc(); i++) {
                ByteBuf a = c2.arg(i);
                byte[] b = new byte[a.readableBytes()];
                a.getBytes(a.readerIndex(), b);
                assertThat(b).isEqualTo(args.get(i));
            }
            c2.release();
            return args;
        } finally {
            cmd.release();
        }
    }

    static final RequestLimits AUTHENTICATED_UNBOUNDED =
            new RequestLimits(1 << 20, 1 << 26, RequestLimits.REDIS_INLINE_MAX, true);
}
