package io.github.redisentra.gateway.cluster;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One complete RESP2 or RESP3 reply decoded into a small tree, so that a topology reply can be rewritten and encoded
 * again in the same shapes (a RESP3 map stays a map, a RESP2 flat array stays an array, a verbatim string keeps its
 * format prefix). Only topology replies and transaction results in cluster mode are decoded; every other reply passes
 * through as bytes.
 *
 * <p>Strings are kept as ISO-8859-1 text so that any byte survives the round trip unchanged.
 */
final class RespValue {
    private static final int MAX_DEPTH = 32;

    /** The RESP type byte: {@code + - : $ = ! , # ( _ * % ~ >}. */
    final byte type;
    /** The line of a simple type, or the payload of a string ({@code $ = !}); {@code null} for a RESP2 null. */
    String text;
    /** The elements of an aggregate (a map's keys and values alternate); {@code null} for a RESP2 null array. */
    List<RespValue> items;
    /** A RESP3 attribute preceding the value ({@code |}), kept as it came, or {@code null}. */
    RespValue attribute;

    RespValue(byte type, String text, List<RespValue> items) {
        this.type = type;
        this.text = text;
        this.items = items;
    }

    static RespValue bulk(String s) {
        return new RespValue((byte) '$', s, null);
    }

    static RespValue integer(long n) {
        return new RespValue((byte) ':', Long.toString(n), null);
    }

    static RespValue error(String lineWithoutDash) {
        return new RespValue((byte) '-', lineWithoutDash, null);
    }

    boolean isAggregate() {
        return type == '*' || type == '%' || type == '~' || type == '>';
    }

    /** An aggregate that is not a RESP2 null array. */
    boolean isList() {
        return isAggregate() && items != null;
    }

    /** A string-ish value with text: simple, bulk, verbatim (with its prefix) or an integer's digits. */
    boolean hasText() {
        return text != null && type != '-' && type != '!';
    }

    boolean isNull() {
        return type == '_' || (text == null && items == null);
    }

    /** Text of a string, without a verbatim string's {@code txt:} prefix. */
    String string() {
        if (type == '=' && text != null && text.length() >= 4 && text.charAt(3) == ':') {
            return text.substring(4);
        }
        return text;
    }

    /** Replaces a string's text, keeping a verbatim string's prefix. */
    void string(String s) {
        if (type == '=' && text != null && text.length() >= 4 && text.charAt(3) == ':') {
            text = text.substring(0, 4) + s;
        } else {
            text = s;
        }
    }

    long integer() {
        return Long.parseLong(string().trim());
    }

    // ------------------------------------------------------------------ decoding

    /** Decodes the complete reply in {@code buf} from its reader index to its writer index. */
    static RespValue parse(ByteBuf buf) {
        int[] pos = {buf.readerIndex()};
        RespValue v = parse(buf, pos, 0);
        if (pos[0] != buf.writerIndex()) {
            throw new IllegalArgumentException("trailing bytes after a reply");
        }
        return v;
    }

    private static RespValue parse(ByteBuf buf, int[] pos, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("reply nested too deeply");
        }
        byte type = buf.getByte(pos[0]++);
        String line = line(buf, pos);
        switch (type) {
            case '+', '-', ':', ',', '#', '(' -> {
                return new RespValue(type, line, null);
            }
            case '_' -> {
                return new RespValue(type, null, null);
            }
            case '$', '=', '!' -> {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return new RespValue(type, null, null);
                }
                String s = buf.toString(pos[0], n, StandardCharsets.ISO_8859_1);
                pos[0] += n + 2;
                return new RespValue(type, s, null);
            }
            case '*', '%', '~', '>' -> {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return new RespValue(type, null, null);
                }
                int count = type == '%' ? 2 * n : n;
                List<RespValue> items = new ArrayList<>(Math.min(count, 1024));
                for (int i = 0; i < count; i++) {
                    items.add(parse(buf, pos, depth + 1));
                }
                return new RespValue(type, null, items);
            }
            case '|' -> {
                int n = Integer.parseInt(line);
                List<RespValue> items = new ArrayList<>(2 * n);
                for (int i = 0; i < 2 * n; i++) {
                    items.add(parse(buf, pos, depth + 1));
                }
                RespValue attr = new RespValue(type, null, items);
                RespValue v = parse(buf, pos, depth + 1);
                v.attribute = attr;
                return v;
            }
            default -> throw new IllegalArgumentException("unexpected RESP type byte " + type);
        }
    }

    private static String line(ByteBuf buf, int[] pos) {
        int start = pos[0];
        int cr = buf.indexOf(start, buf.writerIndex(), (byte) '\r');
        if (cr < 0 || cr + 1 >= buf.writerIndex() || buf.getByte(cr + 1) != '\n') {
            throw new IllegalArgumentException("incomplete reply line");
        }
        pos[0] = cr + 2;
        return buf.toString(start, cr - start, StandardCharsets.ISO_8859_1);
    }

    // ------------------------------------------------------------------ encoding

    ByteBuf encode() {
        StringBuilder b = new StringBuilder(256);
        encode(b);
        return Unpooled.wrappedBuffer(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    void encode(StringBuilder b) {
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

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        encode(b);
        return b.toString();
    }
}
