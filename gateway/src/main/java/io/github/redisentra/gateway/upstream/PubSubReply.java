package io.github.redisentra.gateway.upstream;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Reads the head of a pub/sub reply ({@code *3 $9 subscribe $2 ch :1} in RESP2, the same as a {@code >} push in
 * RESP3) so the session can tell messages (out-of-band) from (un)subscribe confirmations (which answer commands,
 * possibly several per command) and track the subscription sets. Only called for small frames when pub/sub is
 * in play. Public for the session; used here by the RESP2 subscriber {@link Handover}.
 */
public final class PubSubReply {
    public static final int NONE = 0;
    public static final int MESSAGE = 1;
    public static final int SUBSCRIBED = 2;
    public static final int UNSUBSCRIBED = 3;

    /** 0 = channels, 1 = patterns, 2 = shard channels. */
    public int family;

    public int type;
    public String channel;

    /** Classifies {@code frame} (not consumed); returns {@link #type}. */
    public int classify(ByteBuf frame) {
        type = NONE;
        channel = null;
        int p = frame.readerIndex();
        int end = frame.writerIndex();
        byte t = frame.getByte(p);
        if (t != '*' && t != '>') {
            return NONE;
        }
        int lf = frame.indexOf(p, end, (byte) '\n');
        if (lf < 0 || lf + 1 >= end || frame.getByte(lf + 1) != '$') {
            return NONE;
        }
        p = lf + 1;
        lf = frame.indexOf(p, end, (byte) '\n');
        int len = parse(frame, p + 1, lf - 1);
        if (len < 7 || len > 12) {
            return NONE;
        }
        String name = frame.toString(lf + 1, len, StandardCharsets.US_ASCII);
        switch (name) {
            case "message", "pmessage", "smessage" -> type = MESSAGE;
            case "subscribe" -> set(SUBSCRIBED, 0);
            case "psubscribe" -> set(SUBSCRIBED, 1);
            case "ssubscribe" -> set(SUBSCRIBED, 2);
            case "unsubscribe" -> set(UNSUBSCRIBED, 0);
            case "punsubscribe" -> set(UNSUBSCRIBED, 1);
            case "sunsubscribe" -> set(UNSUBSCRIBED, 2);
            default -> {
                return NONE;
            }
        }
        if (type != MESSAGE) {
            p = lf + 1 + len + 2;
            if (p < end && frame.getByte(p) == '$') {
                lf = frame.indexOf(p, end, (byte) '\n');
                int clen = parse(frame, p + 1, lf - 1);
                if (clen >= 0) {
                    channel = frame.toString(lf + 1, clen, StandardCharsets.ISO_8859_1);
                }
            }
        }
        return type;
    }

    private void set(int type, int family) {
        this.type = type;
        this.family = family;
    }

    private static int parse(ByteBuf b, int from, int to) {
        if (from >= to) {
            return -1;
        }
        if (b.getByte(from) == '-') {
            return -1;
        }
        int v = 0;
        for (int i = from; i < to; i++) {
            byte c = b.getByte(i);
            if (c < '0' || c > '9' || v > 100_000_000) {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
