package io.github.redisentra.gateway.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Finds client command boundaries in a connection's input: RESP2 arrays of bulk strings and inline commands,
 * exactly as redis-server 7 parses them (same acceptance, same error texts).
 *
 * <p>Parsing is incremental: a frame that arrives in pieces is never rescanned from its start, so a large value
 * costs O(n). Limits are checked on the header, before the body is buffered: a client announcing a 100 MB bulk
 * before authentication is refused after reading 12 bytes. Offsets are kept relative to the buffer's reader index,
 * so the caller may discard read bytes between calls (not in the middle of a frame's bytes, which stay unread).
 *
 * <p>Multibulk frames are handed out as retained slices of the input (no copy); inline commands are re-encoded as
 * multibulk so that the rest of the gateway sees one shape.
 *
 * <p><b>Streaming.</b> After authentication a command carrying a bulk of at least {@link #STREAM_THRESHOLD} bytes
 * need not be buffered whole: when the caller's gate accepts the command (judged on its leading complete
 * arguments, e.g. its name, knowing the announced argument count and the large bulk's length), {@link
 * #next(ByteBuf, RequestLimits, Predicate)} returns it with
 * {@link Command#streaming()} set and a frame holding only the bytes up to the large bulk's header; the rest of the
 * command is then handed out piecewise by {@link #nextPart(ByteBuf, RequestLimits)} as it arrives, until
 * {@link #streaming()} turns false. Streamed bulks may be as large as Redis allows (512 MB); the cache enforces its
 * own {@code proto-max-bulk-len}. A bulk the gate does not accept is buffered (within {@link
 * RequestLimits#maxBulkBytes()}) and the gate is asked again at the command's next large bulk, with that one read:
 * a gate that needs to see more arguments before deciding just declines until it has seen them.
 *
 * <p><b>Budget before authentication.</b> With unauthenticated limits, when a call returns {@code null} (the
 * command is incomplete) and more than {@link RequestLimits#maxHeldBytes()} bytes are buffered, the call throws:
 * whatever the shape of the input, an unauthenticated connection never makes the gateway hold more than that budget
 * (plus one socket read).
 */
public final class RequestFramer {
    private static final String MULTIBULK_INVALID = "ERR Protocol error: invalid multibulk length";
    private static final String MULTIBULK_UNAUTH = "ERR Protocol error: unauthenticated multibulk length";
    private static final String BULK_INVALID = "ERR Protocol error: invalid bulk length";
    private static final String BULK_UNAUTH = "ERR Protocol error: unauthenticated bulk length";
    private static final String HELD_UNAUTH = "ERR Protocol error: unauthenticated request larger than ";
    private static final long BAD_NUMBER = Long.MIN_VALUE;
    private static final long REDIS_MAX_BULK = 512L * 1024 * 1024;

    /** Bulks at least this large may be streamed (after authentication, when the gate accepts the command). */
    public static final int STREAM_THRESHOLD = 64 * 1024;

    private final Command command = new Command();
    private final ByteReader bytes = new ByteReader();
    private int expected = -1;
    private int parsed;
    private int pos;
    private int bulkLen = -1;
    private boolean streaming;
    private long streamBody;
    private int streamArgsLeft;

    /**
     * Returns the next complete command, or {@code null} when more bytes are needed. The command's frame is a
     * retained slice of {@code in} owned by the caller, made when asked for ({@link Command#viewOf()}); {@code in}'s
     * reader index moves past it.
     *
     * @throws RespProtocolException on malformed input or a limit exceeded; the connection must then be closed
     *     after replying the exception's text
     */
    public Command next(ByteBuf in, RequestLimits limits) throws RespProtocolException {
        return next(in, limits, null);
    }

    /**
     * Like {@link #next(ByteBuf, RequestLimits)}, and with authenticated limits offers a command with a large bulk to
     * {@code streamGate} (see the class doc); {@code null} never streams. The gate sees the command's leading
     * complete arguments only and must not keep the command.
     */
    public Command next(ByteBuf in, RequestLimits limits, Predicate<Command> streamGate) throws RespProtocolException {
        Command c = scan(in, limits, streamGate);
        if (c == null && !limits.authenticated() && in.readableBytes() > limits.maxHeldBytes()) {
            // Everything still buffered waits for the rest of a command: the unauthenticated connection's budget.
            throw new RespProtocolException(HELD_UNAUTH + limits.maxHeldBytes() + " bytes");
        }
        return c;
    }

    private Command scan(ByteBuf in, RequestLimits limits, Predicate<Command> streamGate) throws RespProtocolException {
        if (streaming) {
            throw new IllegalStateException("a streamed command is in progress: call nextPart");
        }
        final ByteReader bytes = this.bytes;
        bytes.reset(in);
        for (; ; ) {
            int start = in.readerIndex();
            int end = in.writerIndex();
            if (expected < 0) {
                if (start == end) {
                    return null;
                }
                if (bytes.get(start) != '*') {
                    Command inline = inline(in, limits);
                    if (inline == this.command) {
                        return inline;
                    }
                    if (in.readerIndex() == start) {
                        return null; // incomplete line
                    }
                    continue; // an empty line was skipped
                }
                int cr = bytes.indexOf(start, end, (byte) '\r');
                if (cr < 0 || cr + 1 >= end) {
                    if (end - start > limits.maxInlineBytes()) {
                        throw new RespProtocolException("ERR Protocol error: too big mbulk count string");
                    }
                    return null;
                }
                long n = parseRedisLong(bytes, start + 1, cr);
                if (n == BAD_NUMBER || n > Integer.MAX_VALUE) {
                    throw new RespProtocolException(MULTIBULK_INVALID);
                }
                if (n > limits.maxArgs()) {
                    throw new RespProtocolException(limits.authenticated() ? MULTIBULK_INVALID : MULTIBULK_UNAUTH);
                }
                if (n <= 0) { // Redis silently ignores *0 and *-1
                    in.readerIndex(cr + 2);
                    continue;
                }
                expected = (int) n;
                parsed = 0;
                bulkLen = -1;
                pos = cr + 2 - start;
                command.setArgCapacity(Math.min(expected, 1024));
            }
            while (parsed < expected) {
                if (bulkLen < 0) {
                    int p = start + pos;
                    if (p >= end) {
                        return null;
                    }
                    byte b = bytes.get(p);
                    if (b != '$') {
                        throw new RespProtocolException(
                                "ERR Protocol error: expected '$', got '" + (char) (b & 0xff) + "'");
                    }
                    int cr = bytes.indexOf(p, end, (byte) '\r');
                    if (cr < 0 || cr + 1 >= end) {
                        if (end - p > limits.maxInlineBytes()) {
                            throw new RespProtocolException("ERR Protocol error: too big bulk count string");
                        }
                        return null;
                    }
                    long len = parseRedisLong(bytes, p + 1, cr);
                    if (len == BAD_NUMBER || len < 0 || len > REDIS_MAX_BULK) {
                        throw new RespProtocolException(BULK_INVALID);
                    }
                    if (len >= STREAM_THRESHOLD && parsed >= 1 && streamGate != null && limits.authenticated()) {
                        command.resetView(in, start, cr + 2 - start);
                        reindex(in, start, cr + 2, parsed);
                        command.head(expected, len);
                        if (streamGate.test(command)) {
                            command.streaming(true);
                            streaming = true;
                            streamBody = len + 2;
                            streamArgsLeft = expected - parsed - 1;
                            in.readerIndex(cr + 2);
                            expected = -1;
                            pos = 0;
                            return command;
                        }
                        command.release();
                    }
                    if (len > limits.maxBulkBytes()) {
                        throw new RespProtocolException(limits.authenticated() ? BULK_INVALID : BULK_UNAUTH);
                    }
                    bulkLen = (int) len;
                    pos = cr + 2 - start;
                }
                // Like Redis, the two bytes after the body are skipped without being checked.
                if ((long) end - (start + pos) < (long) bulkLen + 2) {
                    return null;
                }
                pos += bulkLen + 2;
                bulkLen = -1;
                parsed++;
            }
            int argc = expected;
            command.resetView(in, start, pos);
            reindex(in, start, start + pos, argc);
            in.readerIndex(start + pos);
            expected = -1;
            pos = 0;
            return command;
        }
    }

    /** Whether a streamed command is in progress (its remaining bytes come from {@link #nextPart}). */
    public boolean streaming() {
        return streaming;
    }

    /**
     * The next bytes of the streamed command in progress, as a retained slice of {@code in} owned by the caller
     * ({@code in}'s reader index moves past it), or {@code null} when more input is needed. Bulk headers inside
     * are validated as in {@link #next}; {@link #streaming()} turns false once the command's last byte was handed
     * out.
     *
     * @throws RespProtocolException on a malformed header; the command is then cut and the connection must close
     */
    public ByteBuf nextPart(ByteBuf in, RequestLimits limits) throws RespProtocolException {
        final ByteReader bytes = this.bytes;
        bytes.reset(in);
        int start = in.readerIndex();
        int end = in.writerIndex();
        int p = start;
        while (p < end) {
            if (streamBody > 0) {
                int n = (int) Math.min(streamBody, end - p);
                p += n;
                streamBody -= n;
                continue;
            }
            if (streamArgsLeft == 0) {
                break;
            }
            if (bytes.get(p) != '$') {
                streaming = false;
                throw new RespProtocolException(
                        "ERR Protocol error: expected '$', got '" + (char) (bytes.get(p) & 0xff) + "'");
            }
            int cr = bytes.indexOf(p, end, (byte) '\r');
            if (cr < 0 || cr + 1 >= end) {
                if (end - p > limits.maxInlineBytes()) {
                    streaming = false;
                    throw new RespProtocolException("ERR Protocol error: too big bulk count string");
                }
                break;
            }
            long len = parseRedisLong(bytes, p + 1, cr);
            if (len == BAD_NUMBER || len < 0 || len > REDIS_MAX_BULK) {
                streaming = false;
                throw new RespProtocolException(BULK_INVALID);
            }
            streamArgsLeft--;
            streamBody = len + 2;
            p = cr + 2;
        }
        if (streamBody == 0 && streamArgsLeft == 0) {
            streaming = false;
        }
        if (p == start) {
            return null;
        }
        ByteBuf part = in.retainedSlice(start, p - start);
        in.readerIndex(p);
        return part;
    }

    /** Whether a frame is partially parsed (bytes of it are buffered). */
    public boolean inFrame() {
        return expected >= 0;
    }

    private void reindex(ByteBuf in, int start, int end, int args) {
        // Walk the validated frame (start to end of in) once more to record argument offsets: headers are short and
        // bodies are skipped, so this is cheaper than keeping offsets valid across partial reads. Like the parser, a
        // header ends at '\r' and the byte after it is skipped unchecked.
        int p = bytes.indexOf(start, end, (byte) '\r') + 2;
        for (int i = 0; i < args; i++) {
            int cr = bytes.indexOf(p, end, (byte) '\r');
            int len = (int) parseRedisLong(bytes, p + 1, cr);
            command.addArg(cr + 2, len);
            p = cr + 2 + len + 2;
        }
    }

    private Command inline(ByteBuf in, RequestLimits limits) throws RespProtocolException {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int nl = in.indexOf(start, end, (byte) '\n');
        if (nl < 0) {
            if (end - start > limits.maxInlineBytes()) {
                throw new RespProtocolException("ERR Protocol error: too big inline request");
            }
            return null;
        }
        if (nl - start > limits.maxInlineBytes()) {
            throw new RespProtocolException("ERR Protocol error: too big inline request");
        }
        int lineEnd = nl > start && in.getByte(nl - 1) == '\r' ? nl - 1 : nl;
        List<byte[]> args = splitArgs(in, start, lineEnd);
        if (args == null) {
            throw new RespProtocolException("ERR Protocol error: unbalanced quotes in request");
        }
        in.readerIndex(nl + 1);
        if (args.isEmpty()) {
            return null;
        }
        if (args.size() > limits.maxArgs()) {
            throw new RespProtocolException(limits.authenticated() ? MULTIBULK_INVALID : MULTIBULK_UNAUTH);
        }
        int size = 16;
        for (byte[] a : args) {
            if (a.length > limits.maxBulkBytes()) {
                throw new RespProtocolException(limits.authenticated() ? BULK_INVALID : BULK_UNAUTH);
            }
            size += a.length + 16;
        }
        ByteBuf frame = (in.alloc() == null ? ByteBufAllocator.DEFAULT : in.alloc()).buffer(size);
        command.reset(frame, true);
        frame.writeByte('*').writeCharSequence(Integer.toString(args.size()), StandardCharsets.US_ASCII);
        frame.writeShort(0x0d0a);
        for (byte[] a : args) {
            frame.writeByte('$').writeCharSequence(Integer.toString(a.length), StandardCharsets.US_ASCII);
            frame.writeShort(0x0d0a);
            command.addArg(frame.writerIndex(), a.length);
            frame.writeBytes(a).writeShort(0x0d0a);
        }
        return command;
    }

    /** A port of Redis's sdssplitargs: {@code null} on unbalanced quotes. */
    static List<byte[]> splitArgs(ByteBuf in, int p, int end) {
        List<byte[]> args = new ArrayList<>();
        for (; ; ) {
            while (p < end && isSpace(in.getByte(p))) {
                p++;
            }
            if (p >= end) {
                return args;
            }
            boolean inq = false;
            boolean insq = false;
            boolean done = false;
            ByteArrayOutputStream current = new ByteArrayOutputStream();
            while (!done) {
                int c = p < end ? in.getByte(p) & 0xff : 0;
                int next = p + 1 < end ? in.getByte(p + 1) & 0xff : 0;
                if (inq) {
                    if (c == '\\'
                            && next == 'x'
                            && p + 3 < end
                            && isHex(in.getByte(p + 2))
                            && isHex(in.getByte(p + 3))) {
                        current.write(hex(in.getByte(p + 2)) * 16 + hex(in.getByte(p + 3)));
                        p += 3;
                    } else if (c == '\\' && next != 0) {
                        p++;
                        current.write(
                                switch (next) {
                                    case 'n' -> '\n';
                                    case 'r' -> '\r';
                                    case 't' -> '\t';
                                    case 'b' -> '\b';
                                    case 'a' -> 7;
                                    default -> next;
                                });
                    } else if (c == '"') {
                        if (next != 0 && !isSpace((byte) next)) {
                            return null;
                        }
                        done = true;
                    } else if (p >= end) {
                        return null;
                    } else {
                        current.write(c);
                    }
                } else if (insq) {
                    if (c == '\\' && next == '\'') {
                        p++;
                        current.write('\'');
                    } else if (c == '\'') {
                        if (next != 0 && !isSpace((byte) next)) {
                            return null;
                        }
                        done = true;
                    } else if (p >= end) {
                        return null;
                    } else {
                        current.write(c);
                    }
                } else {
                    switch (c) {
                        case ' ', '\n', '\r', '\t', 0 -> done = true;
                        case '"' -> inq = true;
                        case '\'' -> insq = true;
                        default -> current.write(c);
                    }
                }
                if (p < end) {
                    p++;
                }
            }
            args.add(current.toByteArray());
        }
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
    }

    private static boolean isHex(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }

    private static int hex(byte b) {
        return b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
    }

    /** Redis's string2ll: optional '-', no '+', no leading zeros, no spaces; {@link #BAD_NUMBER} when invalid. */
    private static long parseRedisLong(ByteReader in, int from, int to) {
        int len = to - from;
        if (len <= 0 || len > 20) {
            return BAD_NUMBER;
        }
        int p = from;
        boolean negative = false;
        if (len == 1 && in.get(p) == '0') {
            return 0;
        }
        if (in.get(p) == '-') {
            negative = true;
            p++;
            if (p == to) {
                return BAD_NUMBER;
            }
        }
        byte first = in.get(p);
        if (first < '1' || first > '9') {
            return BAD_NUMBER;
        }
        long v = 0;
        // Up to 18 digits cannot overflow a long: the overflow test (a division) is needed only for 19 and 20.
        boolean mayOverflow = to - p > 18;
        for (; p < to; p++) {
            byte b = in.get(p);
            if (b < '0' || b > '9') {
                return BAD_NUMBER;
            }
            if (mayOverflow && v > (Long.MAX_VALUE - (b - '0')) / 10) {
                return BAD_NUMBER;
            }
            v = v * 10 + (b - '0');
        }
        return negative ? -v : v;
    }
}
