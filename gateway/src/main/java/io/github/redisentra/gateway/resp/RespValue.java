package io.github.redisentra.gateway.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One RESP2 or RESP3 reply as a small tree: the gateway's one value decoder and encoder. Used where a reply must be
 * understood rather than only framed: the blocking {@link RespConnection} of the probes, and the cluster reply
 * rewriting, which decodes a topology reply, edits the tree and encodes it again in the same shapes (a RESP3 map
 * stays a map, a RESP2 flat array stays an array, a verbatim string keeps its format prefix). The event loops only
 * frame replies ({@link ReplyFramer}); nothing else is decoded there.
 *
 * <p>Strings are kept as ISO-8859-1 text so that any byte survives the round trip unchanged. A tree is mutable and
 * belongs to whoever decoded it; it is not thread-safe.
 *
 * <p>Decoding refuses, with a {@link ReplyProtocolException} naming the problem, a reply nested deeper than
 * {@value #MAX_DEPTH} levels, a string announced longer than {@value #MAX_BULK} bytes, a line longer than
 * {@value #MAX_LINE} bytes, RESP3 streamed strings and aggregates, and malformed numbers. Those checks happen on the
 * header, before the announced bytes are there; nothing is allocated for an announced length. Input that ends early
 * is "not complete yet" ({@link #decode} returns {@code null}), never an error.
 */
public final class RespValue {
    /** Levels of nesting below the top-level value; an attribute's decorated value counts one level deeper. */
    public static final int MAX_DEPTH = 16;
    /** The longest string (bulk, verbatim, blob error) accepted, in bytes: 64 MiB. */
    public static final int MAX_BULK = 64 * 1024 * 1024;
    /** The longest line (a simple type or a length header) accepted, in bytes: 64 KiB. */
    public static final int MAX_LINE = 64 * 1024;

    private final byte type;
    private String text;
    private List<RespValue> items;
    private RespValue attribute;

    private RespValue(byte type, String text, List<RespValue> items) {
        this.type = type;
        this.text = text;
        this.items = items;
    }

    /** A bulk string ({@code $}) of ISO-8859-1 text. */
    public static RespValue bulk(String s) {
        return new RespValue((byte) '$', s, null);
    }

    /** An integer ({@code :}). */
    public static RespValue integer(long n) {
        return new RespValue((byte) ':', Long.toString(n), null);
    }

    /** A simple error ({@code -}), given without its leading {@code -}. */
    public static RespValue error(String lineWithoutDash) {
        return new RespValue((byte) '-', lineWithoutDash, null);
    }

    /** The RESP type byte: {@code + - : $ = ! , # ( _ * % ~ >}. */
    public byte type() {
        return type;
    }

    /**
     * The line of a simple type, or the payload of a string ({@code $ = !}, a verbatim string with its prefix);
     * {@code null} for a null and for aggregates.
     */
    public String text() {
        return text;
    }

    /** Replaces {@link #text()}. */
    public void setText(String text) {
        this.text = text;
    }

    /**
     * The elements of an aggregate, a map's keys and values alternating; {@code null} for a RESP2 null array and for
     * non-aggregates. The list is the tree's own and may be edited.
     */
    public List<RespValue> items() {
        return items;
    }

    /** Replaces {@link #items()}. */
    public void setItems(List<RespValue> items) {
        this.items = items;
    }

    /** A RESP3 attribute ({@code |}) that preceded this value, kept as it came (items as in a map), or {@code null}. */
    public RespValue attribute() {
        return attribute;
    }

    public boolean isAggregate() {
        return type == '*' || type == '%' || type == '~' || type == '>';
    }

    /** An aggregate that is not a RESP2 null array. */
    public boolean isList() {
        return isAggregate() && items != null;
    }

    /** A simple ({@code -}) or blob ({@code !}) error. */
    public boolean isError() {
        return type == '-' || type == '!';
    }

    /** A string-ish value with text: simple, bulk, verbatim (with its prefix) or an integer's digits. */
    public boolean hasText() {
        return text != null && !isError();
    }

    /** A RESP3 null or a RESP2 null bulk string or array. */
    public boolean isNull() {
        return type == '_' || (text == null && items == null);
    }

    /** Text of a string, without a verbatim string's {@code txt:} prefix. */
    public String string() {
        if (hasVerbatimPrefix()) {
            return text.substring(4);
        }
        return text;
    }

    /** Replaces a string's text, keeping a verbatim string's prefix. */
    public void string(String s) {
        if (hasVerbatimPrefix()) {
            text = text.substring(0, 4) + s;
        } else {
            text = s;
        }
    }

    /** The value of an integer, or of a string holding one. */
    public long integer() {
        return Long.parseLong(string().trim());
    }

    private boolean hasVerbatimPrefix() {
        return type == '=' && text != null && text.length() >= 4 && text.charAt(3) == ':';
    }

    // ------------------------------------------------------------------ decoding

    /**
     * Decodes the reply at {@code in}'s reader index and moves the reader index past it, or returns {@code null} and
     * leaves {@code in} alone when the reply is not complete yet. A RESP3 attribute and the value it decorates are
     * one reply.
     *
     * @throws ReplyProtocolException when the bytes are not RESP2/RESP3 or exceed a limit; the stream cannot be
     *     trusted any more
     */
    public static RespValue decode(ByteBuf in) throws ReplyProtocolException {
        int start = in.readerIndex();
        int end = scan(in, start, in.writerIndex(), 0);
        if (end < 0) {
            return null;
        }
        int[] pos = {start};
        RespValue v = build(in, pos);
        in.readerIndex(end);
        return v;
    }

    /**
     * Decodes {@code buf}, which must hold exactly one complete reply from its reader index to its writer index,
     * without moving its indexes.
     *
     * @throws IllegalArgumentException when it does not: malformed, over a limit, incomplete, or followed by more bytes
     */
    public static RespValue parse(ByteBuf buf) {
        ByteBuf b = buf.duplicate();
        RespValue v;
        try {
            v = decode(b);
        } catch (ReplyProtocolException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (v == null) {
            throw new IllegalArgumentException("incomplete reply");
        }
        if (b.isReadable()) {
            throw new IllegalArgumentException("trailing bytes after a reply");
        }
        return v;
    }

    /**
     * The index just past the value that starts at index {@code from} of {@code in}, checked as {@link #decode} checks
     * it but without building it, or {@code -1} when it is not complete before the writer index.
     *
     * @throws ReplyProtocolException when the bytes are not RESP2/RESP3 or exceed a limit
     */
    public static int end(ByteBuf in, int from) throws ReplyProtocolException {
        return scan(in, from, in.writerIndex(), 0);
    }

    /**
     * Checks the value at {@code p} without allocating: returns the index just past it, or {@code -1} when the bytes
     * up to {@code end} are not all of it yet.
     */
    private static int scan(ByteBuf b, int p, int end, int depth) throws ReplyProtocolException {
        if (depth > MAX_DEPTH) {
            throw new ReplyProtocolException("reply nested deeper than " + MAX_DEPTH + " levels");
        }
        if (p >= end) {
            return -1;
        }
        byte type = b.getByte(p);
        int cr = lineEnd(b, p + 1, end);
        if (cr < 0) {
            return -1;
        }
        int next = cr + 2;
        switch (type) {
            case '+', '-' -> {
                return next;
            }
            case ':' -> {
                number(b, p + 1, cr, "integer");
                return next;
            }
            case '(' -> {
                number(b, p + 1, cr, "big number");
                return next;
            }
            case ',' -> {
                checkDouble(b.toString(p + 1, cr - p - 1, StandardCharsets.ISO_8859_1));
                return next;
            }
            case '#' -> {
                byte c = cr - p == 2 ? b.getByte(p + 1) : 0;
                if (c != 't' && c != 'f') {
                    throw new ReplyProtocolException("boolean reply is neither #t nor #f");
                }
                return next;
            }
            case '_' -> {
                if (cr != p + 1) {
                    throw new ReplyProtocolException("null reply with a payload");
                }
                return next;
            }
            case '$', '=', '!' -> {
                long n = length(b, p + 1, cr, type == '$');
                if (n < 0) {
                    return next;
                }
                if (n > MAX_BULK) {
                    throw new ReplyProtocolException(
                            "string reply of " + n + " bytes is over the limit of " + MAX_BULK + " bytes");
                }
                if (type == '=' && n < 4) {
                    throw new ReplyProtocolException("verbatim string reply without its format prefix");
                }
                if (end - next < n + 2) {
                    return -1;
                }
                int after = next + (int) n;
                if (b.getByte(after) != '\r' || b.getByte(after + 1) != '\n') {
                    throw new ReplyProtocolException("string reply not terminated by CRLF");
                }
                return after + 2;
            }
            case '*', '~', '>', '%', '|' -> {
                long n = length(b, p + 1, cr, type == '*');
                if (n < 0) {
                    return next;
                }
                long count = type == '%' || type == '|' ? 2 * n : n;
                int q = next;
                for (long i = 0; i < count; i++) {
                    q = scan(b, q, end, depth + 1);
                    if (q < 0) {
                        return -1;
                    }
                }
                // the value an attribute decorates is part of the same reply; one level deeper bounds a chain of them
                return type == '|' ? scan(b, q, end, depth + 1) : q;
            }
            default -> throw new ReplyProtocolException("unknown RESP type byte 0x" + Integer.toHexString(type & 0xff));
        }
    }

    /** The index of the CR ending the line that starts at {@code from}, or {@code -1} when it has not come yet. */
    private static int lineEnd(ByteBuf b, int from, int end) throws ReplyProtocolException {
        int limit = (int) Math.min(end, (long) from + MAX_LINE + 1);
        int cr = b.indexOf(from, limit, (byte) '\r');
        if (cr < 0) {
            if (limit - from > MAX_LINE) {
                throw new ReplyProtocolException("reply line longer than " + MAX_LINE + " bytes");
            }
            return -1;
        }
        if (cr + 1 >= end) {
            return -1;
        }
        if (b.getByte(cr + 1) != '\n') {
            throw new ReplyProtocolException("reply line not terminated by CRLF");
        }
        return cr;
    }

    /** A length or count: digits, or {@code -1} where a RESP2 null is allowed. */
    private static long length(ByteBuf b, int from, int to, boolean nullable) throws ReplyProtocolException {
        if (to - from == 1 && b.getByte(from) == '?') {
            throw new ReplyProtocolException("streamed RESP3 replies are not supported");
        }
        if (nullable && to - from == 2 && b.getByte(from) == '-' && b.getByte(from + 1) == '1') {
            return -1;
        }
        if (from >= to || to - from > 10) {
            throw new ReplyProtocolException("bad length in reply");
        }
        long v = 0;
        for (int p = from; p < to; p++) {
            byte c = b.getByte(p);
            if (c < '0' || c > '9') {
                throw new ReplyProtocolException("bad length in reply");
            }
            v = v * 10 + (c - '0');
        }
        if (v > Integer.MAX_VALUE / 2) {
            throw new ReplyProtocolException("reply length too large: " + v);
        }
        return v;
    }

    /** An optionally signed run of digits (an integer must also fit a {@code long}). */
    private static void number(ByteBuf b, int from, int to, String what) throws ReplyProtocolException {
        int p = from < to && (b.getByte(from) == '-' || b.getByte(from) == '+') ? from + 1 : from;
        if (p >= to) {
            throw new ReplyProtocolException("empty " + what + " in reply");
        }
        for (; p < to; p++) {
            byte c = b.getByte(p);
            if (c < '0' || c > '9') {
                throw new ReplyProtocolException("malformed " + what + " in reply");
            }
        }
        if (what.equals("integer")) {
            try {
                Long.parseLong(b.toString(from, to - from, StandardCharsets.ISO_8859_1));
            } catch (NumberFormatException e) {
                throw new ReplyProtocolException("integer reply out of range");
            }
        }
    }

    private static void checkDouble(String s) throws ReplyProtocolException {
        try {
            toDouble(s);
        } catch (NumberFormatException e) {
            throw new ReplyProtocolException("malformed double in reply");
        }
    }

    private static double toDouble(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "inf", "+inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan", "-nan" -> Double.NaN;
            default -> {
                if (s.isEmpty() || !Character.isDigit(s.charAt(s.length() - 1))) {
                    throw new NumberFormatException(s); // Java would accept "1d", "1f"
                }
                yield Double.parseDouble(s);
            }
        };
    }

    /** Builds the value at {@code pos[0]}, which {@link #scan} has checked. */
    private static RespValue build(ByteBuf b, int[] pos) {
        int p = pos[0];
        byte type = b.getByte(p);
        int cr = b.indexOf(p + 1, b.writerIndex(), (byte) '\r');
        String line = b.toString(p + 1, cr - p - 1, StandardCharsets.ISO_8859_1);
        pos[0] = cr + 2;
        switch (type) {
            case '$', '=', '!' -> {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return new RespValue(type, null, null);
                }
                String s = b.toString(pos[0], n, StandardCharsets.ISO_8859_1);
                pos[0] += n + 2;
                return new RespValue(type, s, null);
            }
            case '*', '~', '>', '%', '|' -> {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return new RespValue(type, null, null);
                }
                int count = type == '%' || type == '|' ? 2 * n : n;
                // the count is bounded by the bytes scan() has seen, but stay modest until the elements are built
                List<RespValue> items = new ArrayList<>(Math.min(count, 1024));
                for (int i = 0; i < count; i++) {
                    items.add(build(b, pos));
                }
                if (type == '|') {
                    RespValue v = build(b, pos);
                    v.attribute = new RespValue(type, null, items);
                    return v;
                }
                return new RespValue(type, null, items);
            }
            case '_' -> {
                return new RespValue(type, null, null);
            }
            default -> {
                return new RespValue(type, line, null);
            }
        }
    }

    // ------------------------------------------------------------------ plain Java values

    /**
     * This value as plain Java values, the shapes {@link RespConnection#call} returns: simple, bulk and verbatim
     * strings (without the format prefix) as UTF-8 {@link String}, integers as {@link Long}, arrays, sets and pushes
     * as {@link List}, maps as an insertion-ordered {@link Map}, doubles as {@link Double}, booleans as
     * {@link Boolean}, big numbers as {@link BigInteger}, nulls as {@code null}, errors as the error value itself
     * ({@link #isError()}). Attributes are dropped.
     */
    Object plain() {
        switch (type) {
            case '+', '$', '=' -> {
                String s = string();
                return s == null ? null : utf8(s);
            }
            case ':' -> {
                return Long.parseLong(text);
            }
            case ',' -> {
                return toDouble(text);
            }
            case '#' -> {
                return text.equals("t");
            }
            case '(' -> {
                return new BigInteger(text);
            }
            case '_' -> {
                return null;
            }
            case '*', '~', '>' -> {
                if (items == null) {
                    return null;
                }
                List<Object> out = new ArrayList<>(items.size());
                for (RespValue v : items) {
                    out.add(v.plain());
                }
                return out;
            }
            case '%' -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int k = 0; k + 1 < items.size(); k += 2) {
                    out.put(items.get(k).plain(), items.get(k + 1).plain());
                }
                return out;
            }
            default -> {
                return this; // an error
            }
        }
    }

    /** The text of an error without its {@code -}, decoded as UTF-8; {@code null} if this is not an error. */
    String errorText() {
        return isError() && text != null ? utf8(text) : null;
    }

    private static String utf8(String isoText) {
        return new String(isoText.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ encoding

    /** This value (with its attribute) as RESP bytes, in a new buffer the caller owns. */
    public ByteBuf encode() {
        StringBuilder b = new StringBuilder(256);
        encode(b);
        return Unpooled.wrappedBuffer(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Appends this value (with its attribute) as RESP, one ISO-8859-1 char per byte. */
    public void encode(StringBuilder b) {
        if (attribute != null) {
            b.append('|').append(attribute.items.size() / 2).append("\r\n");
            for (RespValue v : attribute.items) {
                v.encode(b);
            }
        }
        b.append((char) type);
        switch (type) {
            case '+', '-', ':', ',', '#', '(' -> b.append(text).append("\r\n");
            case '_' -> b.append("\r\n");
            case '$', '=', '!' -> {
                if (text == null) {
                    b.append("-1\r\n");
                } else {
                    b.append(text.length()).append("\r\n").append(text).append("\r\n");
                }
            }
            default -> {
                if (items == null) {
                    b.append("-1\r\n");
                } else {
                    b.append(type == '%' ? items.size() / 2 : items.size()).append("\r\n");
                    for (RespValue v : items) {
                        v.encode(b);
                    }
                }
            }
        }
    }

    /** The value as RESP text; for tests and diagnostics (a reply may carry a secret: never log it). */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        encode(b);
        return b.toString();
    }
}
