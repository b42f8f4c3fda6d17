package io.github.redisentra.gateway.resp;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import java.nio.charset.StandardCharsets;

/**
 * One complete client command as framed by {@link RequestFramer}: a view of the argument bytes inside the frame,
 * without copies. The instance is reused by its framer: it is valid until the next call of
 * {@link RequestFramer#next}. The caller owns {@link #frame()} (one reference) and must either pass it on with
 * {@link #takeFrame()} (e.g. write it upstream) or {@link #release()} it.
 *
 * <p>A multibulk command is a view of the framer's input (issue #19: nothing is allocated per command): its frame,
 * a retained slice of the input, is only made when {@link #frame()} or {@link #takeFrame()} asks for it. Until then
 * {@link #viewOf()} names the input buffer and {@link #viewStart()}/{@link #viewEnd()} where the command lies in
 * it, so that a caller can forward a run of consecutive commands as one slice; {@link #release()} then just forgets
 * the view.
 */
public final class Command {
    /** The bytes the argument offsets point into: the framer's input (a view) or {@link #frame} (an owned frame). */
    private ByteBuf bytes;
    /** The frame owned by this command (one reference), or {@code null} while it is a view or after it was taken. */
    private ByteBuf frame;
    /** Whether {@link #bytes} is the framer's input, not owned, and the frame not made yet. */
    private boolean view;

    private int start;
    private int length;
    private int argc;
    private int[] offsets = new int[8];
    private int[] lengths = new int[8];
    private boolean inline;
    private boolean streaming;
    private int declaredArgc = -1;
    private long nextBulkLength = -1;

    Command() {}

    /** An owned frame (an inline command re-encoded), arguments at offsets inside {@code frame}. */
    void reset(ByteBuf frame, boolean inline) {
        this.bytes = frame;
        this.frame = frame;
        this.view = false;
        this.start = frame.readerIndex();
        this.length = frame.readableBytes();
        this.inline = inline;
        clearArgs();
    }

    /** A view of {@code length} bytes of {@code in} from {@code start}; arguments at offsets inside {@code in}. */
    void resetView(ByteBuf in, int start, int length) {
        this.bytes = in;
        this.frame = null;
        this.view = true;
        this.start = start;
        this.length = length;
        this.inline = false;
        clearArgs();
    }

    private void clearArgs() {
        this.argc = 0;
        this.streaming = false;
        this.declaredArgc = -1;
        this.nextBulkLength = -1;
    }

    /** Marks this command as the head of a larger one: {@code declaredArgc} arguments, the next one that long. */
    void head(int declaredArgc, long nextBulkLength) {
        this.declaredArgc = declaredArgc;
        this.nextBulkLength = nextBulkLength;
    }

    /**
     * The number of arguments the client announced ({@code *N}): {@link #argc()} for a complete command, more for
     * the head of a command offered for streaming, whose arguments after the head have not been read.
     */
    public int declaredArgc() {
        return declaredArgc < 0 ? argc : declaredArgc;
    }

    /** For the head of a command offered for streaming: the length of the large bulk after it; otherwise -1. */
    public long nextBulkLength() {
        return nextBulkLength;
    }

    void streaming(boolean s) {
        this.streaming = s;
    }

    /**
     * Whether this is the head of a streamed command (see {@link RequestFramer}): {@link #frame()} then holds the
     * bytes up to a large bulk's header, {@link #argc()} counts only the complete arguments before it, and the
     * rest of the command follows from {@link RequestFramer#nextPart}.
     */
    public boolean streaming() {
        return streaming;
    }

    void addArg(int offset, int length) {
        if (argc == offsets.length) {
            offsets = java.util.Arrays.copyOf(offsets, argc * 2);
            lengths = java.util.Arrays.copyOf(lengths, argc * 2);
        }
        offsets[argc] = offset;
        lengths[argc] = length;
        argc++;
    }

    void setArgCapacity(int n) {
        if (offsets.length < n) {
            int c = Math.max(n, 8);
            offsets = new int[c];
            lengths = new int[c];
        }
    }

    /** Number of arguments including the command name (at least 1). */
    public int argc() {
        return argc;
    }

    /** Whether the command arrived as an inline line; {@link #frame()} is then its multibulk encoding. */
    public boolean wasInline() {
        return inline;
    }

    /** The whole command encoded as a RESP multibulk array, ready to be forwarded byte for byte. */
    public ByteBuf frame() {
        if (view) { // made on demand: a retained slice of the input
            frame = bytes.retainedSlice(start, length);
            view = false;
        }
        return frame;
    }

    /** The length in bytes of the whole command ({@link #frame()}'s readable bytes), without making the frame. */
    public int frameLength() {
        return view ? length : frame == null ? 0 : frame.readableBytes();
    }

    /**
     * The framer's input this command is a view of, while its frame was neither made nor released (its bytes are
     * {@link #viewStart()} to {@link #viewEnd()} of it, not retained: valid until the input is next modified); else
     * {@code null}.
     */
    public ByteBuf viewOf() {
        return view ? bytes : null;
    }

    /** Where the command starts in {@link #viewOf()}. */
    public int viewStart() {
        return start;
    }

    /** Where the command ends (exclusive) in {@link #viewOf()}. */
    public int viewEnd() {
        return start + length;
    }

    /** Hands over ownership of the frame (the caller now releases it); the command is empty afterwards. */
    public ByteBuf takeFrame() {
        ByteBuf f = frame();
        frame = null;
        bytes = null;
        return f;
    }

    /** Releases the frame if still owned (a view is just forgotten). */
    public void release() {
        ReferenceCounted f = frame;
        frame = null;
        view = false;
        bytes = null;
        if (f != null) {
            f.release();
        }
    }

    /** The length in bytes of argument {@code i}. */
    public int argLength(int i) {
        check(i);
        return lengths[i];
    }

    /** Byte {@code k} of argument {@code i}. */
    public byte argByte(int i, int k) {
        check(i);
        if (k < 0 || k >= lengths[i]) {
            throw new IndexOutOfBoundsException(k);
        }
        return bytes.getByte(offsets[i] + k);
    }

    /** Copies argument {@code i} into the start of {@code dst} (at least {@link #argLength} long). */
    public void argBytes(int i, byte[] dst) {
        check(i);
        bytes.getBytes(offsets[i], dst, 0, lengths[i]);
    }

    /** A read-only view of argument {@code i} (not retained; valid while the frame is). */
    public ByteBuf arg(int i) {
        check(i);
        return bytes.slice(offsets[i], lengths[i]).asReadOnly();
    }

    /** Argument {@code i} decoded as UTF-8 (copies; use for short arguments only). */
    public String argString(int i) {
        check(i);
        return bytes.toString(offsets[i], lengths[i], StandardCharsets.UTF_8);
    }

    /** Whether argument {@code i} equals {@code upperAscii} ignoring ASCII case ({@code upperAscii} in upper case). */
    public boolean argIs(int i, String upperAscii) {
        if (i >= argc || lengths[i] != upperAscii.length()) {
            return false;
        }
        int off = offsets[i];
        for (int k = 0; k < lengths[i]; k++) {
            int b = bytes.getByte(off + k);
            if (b >= 'a' && b <= 'z') {
                b -= 32;
            }
            if (b != upperAscii.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the command name is {@code upperAscii} (ASCII case-insensitive). */
    public boolean is(String upperAscii) {
        return argIs(0, upperAscii);
    }

    /** The command name in lower case, for error texts (copies). */
    public String nameLowerCase() {
        return argString(0).toLowerCase(java.util.Locale.ROOT);
    }

    private void check(int i) {
        if (i < 0 || i >= argc) {
            throw new IndexOutOfBoundsException("argument " + i + " of " + argc);
        }
    }

    @Override
    public String toString() {
        // Arguments may be credentials: never print them.
        return "Command[argc=" + argc + ", inline=" + inline + "]";
    }
}
