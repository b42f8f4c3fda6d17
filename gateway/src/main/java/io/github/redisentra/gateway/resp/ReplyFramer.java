package io.github.redisentra.gateway.resp;

import io.netty.buffer.ByteBuf;

/**
 * Finds reply boundaries in an upstream RESP2/RESP3 byte stream without decoding values and without allocating
 * per reply: it keeps one counter of remaining elements per open aggregate.
 *
 * <ul>
 *   <li>Simple types ({@code + - : _ # , (}) end at their line; blob types ({@code $ ! =}) are skipped by length;
 *       streamed strings ({@code $?} with {@code ;n} chunks) and streamed aggregates ({@code *? ~? %? >?} ended by
 *       {@code .}) are supported.
 *   <li>Aggregates ({@code * ~ >} n elements, {@code %} n pairs) count their nested elements.
 *   <li>An attribute ({@code |} n pairs) is not a reply of its own: it belongs to the reply that follows it, and
 *       both are returned as one frame.
 *   <li>A top-level push ({@code >}) is flagged {@linkplain #lastWasPush() out-of-band}: it answers no command.
 * </ul>
 *
 * <p>Large replies can be passed on before they are complete: {@link #scannedBytes()} bytes from the reader index
 * are known to belong to the current (incomplete) frame; after handing them on, call {@link #consumed(int)}.
 */
public final class ReplyFramer {
    private static final int STREAMED = -1;

    private int[] remaining = new int[16];
    private boolean[] attribute = new boolean[16];
    private int depth;
    private int pos;
    private int bulkRemaining = -1;
    private boolean streamedString;
    private boolean typeKnown;
    private boolean push;
    private boolean lastWasPush;
    private final ByteReader bytes = new ByteReader();

    /**
     * Scans {@code in} from its reader index. Returns the length of the next complete reply frame (the caller
     * reads it), or {@code -1} when the frame is incomplete. Does not move the reader index.
     */
    public int next(ByteBuf in) throws ReplyProtocolException {
        bytes.reset(in);
        return scan(in);
    }

    private int scan(ByteBuf buf) throws ReplyProtocolException {
        final ByteReader in = bytes;
        final int start = buf.readerIndex();
        final int end = buf.writerIndex();
        for (; ; ) {
            if (bulkRemaining >= 0) {
                int avail = end - (start + pos);
                if (avail < bulkRemaining) {
                    pos += avail;
                    bulkRemaining -= avail;
                    return -1;
                }
                pos += bulkRemaining;
                bulkRemaining = -1;
                if (streamedString) {
                    continue;
                }
                if (elementDone()) {
                    return complete();
                }
                continue;
            }
            int p = start + pos;
            if (p >= end) {
                return -1;
            }
            int lf = in.indexOf(p, end, (byte) '\n');
            if (lf < 0) {
                return -1;
            }
            if (lf == p || in.get(lf - 1) != '\r') {
                throw new ReplyProtocolException("reply line not terminated by CRLF");
            }
            int lineEnd = lf - 1;
            byte type = in.get(p);
            pos = lf + 1 - start;
            if (streamedString) {
                if (type != ';') {
                    throw new ReplyProtocolException("expected ';' chunk in a streamed string");
                }
                long len = parseLength(in, p + 1, lineEnd);
                if (len == 0) {
                    streamedString = false;
                    if (elementDone()) {
                        return complete();
                    }
                } else {
                    bulkRemaining = checkedInt(len + 2);
                }
                continue;
            }
            if (depth == 0 && type != '|' && !typeKnown) {
                typeKnown = true;
                push = type == '>';
            }
            switch (type) {
                case '+', '-', ':', '_', '#', ',', '(' -> {
                    if (elementDone()) {
                        return complete();
                    }
                }
                case '$', '!', '=' -> {
                    if (type == '$' && lineEnd - p == 2 && in.get(p + 1) == '?') {
                        streamedString = true;
                        continue;
                    }
                    long len = parseLength(in, p + 1, lineEnd);
                    if (len < 0) { // null bulk ($-1)
                        if (elementDone()) {
                            return complete();
                        }
                    } else {
                        bulkRemaining = checkedInt(len + 2);
                    }
                }
                case '*', '~', '>', '%', '|' -> {
                    boolean streamed = lineEnd - p == 2 && in.get(p + 1) == '?';
                    long n = streamed ? STREAMED : parseLength(in, p + 1, lineEnd);
                    if (!streamed && (type == '%' || type == '|')) {
                        n *= 2;
                    }
                    if (streamed) {
                        open(STREAMED, type == '|');
                    } else if (n > 0) {
                        open(checkedInt(n), type == '|');
                    } else if (type != '|' && elementDone()) { // empty or null aggregate
                        return complete();
                    }
                }
                case '.' -> {
                    if (depth == 0 || remaining[depth - 1] != STREAMED) {
                        throw new ReplyProtocolException("'.' outside a streamed aggregate");
                    }
                    boolean wasAttribute = attribute[--depth];
                    if (!wasAttribute && elementDone()) {
                        return complete();
                    }
                }
                default ->
                    throw new ReplyProtocolException("unknown RESP type byte 0x" + Integer.toHexString(type & 0xff));
            }
        }
    }

    /** Whether the frame last returned by {@link #next} was a RESP3 push. */
    public boolean lastWasPush() {
        return lastWasPush;
    }

    /** Bytes from the reader index that belong to the current, incomplete frame. */
    public int scannedBytes() {
        return pos;
    }

    /** Whether the current incomplete frame's type is known and it is a push. */
    public boolean pendingIsPush() {
        return typeKnown && push;
    }

    /** Whether the current incomplete frame's top-level type has been seen. */
    public boolean pendingTypeKnown() {
        return typeKnown;
    }

    /** The caller read {@code n <= scannedBytes()} bytes of the incomplete frame and passed them on. */
    public void consumed(int n) {
        if (n < 0 || n > pos) {
            throw new IllegalArgumentException("consumed " + n + " of " + pos + " scanned bytes");
        }
        pos -= n;
    }

    private int complete() {
        int len = pos;
        pos = 0;
        lastWasPush = push;
        push = false;
        typeKnown = false;
        return len;
    }

    private void open(int count, boolean isAttribute) {
        if (depth == remaining.length) {
            remaining = java.util.Arrays.copyOf(remaining, depth * 2);
            attribute = java.util.Arrays.copyOf(attribute, depth * 2);
        }
        remaining[depth] = count;
        attribute[depth] = isAttribute;
        depth++;
    }

    /** An element ended at the current depth; returns whether that completed a top-level frame. */
    private boolean elementDone() {
        while (depth > 0) {
            int top = depth - 1;
            if (remaining[top] == STREAMED) {
                return false;
            }
            if (--remaining[top] > 0) {
                return false;
            }
            depth--;
            if (attribute[top]) {
                return false; // the element an attribute decorates is still to come, at the same level
            }
        }
        return true;
    }

    private static int checkedInt(long n) throws ReplyProtocolException {
        if (n > Integer.MAX_VALUE) {
            throw new ReplyProtocolException("reply length too large: " + n);
        }
        return (int) n;
    }

    private static long parseLength(ByteReader in, int from, int to) throws ReplyProtocolException {
        if (from >= to) {
            throw new ReplyProtocolException("empty length in reply");
        }
        boolean negative = in.get(from) == '-';
        int p = negative ? from + 1 : from;
        if (p >= to || to - p > 18) {
            throw new ReplyProtocolException("bad length in reply");
        }
        long v = 0;
        for (; p < to; p++) {
            byte b = in.get(p);
            if (b < '0' || b > '9') {
                throw new ReplyProtocolException("bad length in reply");
            }
            v = v * 10 + (b - '0');
        }
        return negative ? -v : v;
    }
}
