package io.github.redisentra.gateway.resp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one RESP2 reply from a blocking stream into plain values: simple and bulk strings as {@link String},
 * integers as {@link Long}, arrays as {@link List}, nil as {@code null}, errors as {@link Error}. The decoder of
 * {@link RespConnection}, for the gateway's few blocking questions to the upstream ({@code AUTH}, {@code PING},
 * {@code COMMAND}, {@code INFO}), never on an event loop; the event loops only frame replies ({@link ReplyFramer}).
 */
final class RespReader {
    /** An error reply. */
    record Error(String message) {}

    private static final int MAX_DEPTH = 16;
    private static final int MAX_BULK = 64 * 1024 * 1024;

    private RespReader() {}

    static Object read(InputStream in) throws IOException {
        return read(in, 0);
    }

    private static Object read(InputStream in, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException("reply nested too deeply");
        }
        int type = in.read();
        if (type < 0) {
            throw new IOException("connection closed by the server");
        }
        String line = line(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                return new Error(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                if (n > MAX_BULK) {
                    throw new IOException("bulk reply of " + n + " bytes");
                }
                byte[] b = in.readNBytes(n);
                if (b.length != n || in.read() != '\r' || in.read() != '\n') {
                    throw new IOException("truncated bulk reply");
                }
                return new String(b, StandardCharsets.UTF_8);
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                List<Object> out = new ArrayList<>(Math.min(n, 4096));
                for (int i = 0; i < n; i++) {
                    out.add(read(in, depth + 1));
                }
                return out;
            }
            default:
                throw new IOException("unexpected RESP type byte " + type);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("CR without LF in a reply");
                }
                return b.toString(StandardCharsets.UTF_8);
            }
            if (b.size() > 64 * 1024) {
                throw new IOException("reply line too long");
            }
            b.write(c);
        }
        throw new IOException("connection closed by the server");
    }
}
