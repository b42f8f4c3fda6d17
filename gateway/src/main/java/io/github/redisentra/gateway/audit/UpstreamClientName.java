package io.github.redisentra.gateway.audit;

import io.github.redisentra.gateway.auth.Principal;
import io.github.redisentra.gateway.config.UpstreamClientNameSource;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The name the gateway gives each upstream connection ({@code CLIENT SETNAME}, {@code UPSTREAM_CLIENT_NAME}), so
 * that {@code CLIENT LIST} on the cache, which only ever sees the gateway's identity, shows the user behind each
 * connection: {@code entra:<oid>} for an Entra principal, {@code ldap:<user name>} for a directory user, with the
 * client's own name (its {@code CLIENT SETNAME} or {@code HELLO … SETNAME}) after a {@code /}:
 * {@code entra:4f6c…/billing-worker}.
 *
 * <p>Redis accepts only the bytes {@code !} to {@code ~} in a name (no spaces, newlines or other characters). The
 * user part is percent-encoded to that set (every other UTF-8 byte, and {@code %} and {@code /} themselves, as
 * {@code %XX}), so {@code alice smith@contoso.com} becomes {@code alice%20smith@contoso.com} and the first
 * {@code /} always separates the client's part. The user part is cut at {@value #MAX_USER_CHARS} characters, the
 * client's part at {@value #MAX_CLIENT_CHARS} (never inside a {@code %XX}). Pure functions, no state.
 */
public final class UpstreamClientName {
    /** Longest user part, after encoding. */
    public static final int MAX_USER_CHARS = 96;
    /** Longest part kept of the client's own name. */
    public static final int MAX_CLIENT_CHARS = 64;
    /** Redis's answer to a name with a byte outside {@code !}…{@code ~} ({@code clientSetName} in networking.c). */
    public static final String INVALID_NAME =
            "-ERR Client names cannot contain spaces, newlines or special characters.";

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    private static final Logger log = LoggerFactory.getLogger(UpstreamClientName.class);
    private static final AtomicBoolean warned = new AtomicBoolean();

    private UpstreamClientName() {}

    /**
     * The upstream connection's name for {@code principal}, with the client's own name (or {@code null}) after a
     * {@code /}; {@code null} when {@code source} is {@link UpstreamClientNameSource#OFF} or there is no principal.
     *
     * @param clientName the client's name as it set it, already checked with {@link #valid(byte[])}
     */
    public static String of(UpstreamClientNameSource source, Principal principal, byte[] clientName) {
        if (source == UpstreamClientNameSource.OFF || principal == null) {
            return null;
        }
        String user = principal.objectId();
        if (source == UpstreamClientNameSource.NAME
                && principal.displayName() != null
                && !principal.displayName().isEmpty()) {
            user = principal.displayName();
        }
        StringBuilder sb = new StringBuilder(16 + MAX_USER_CHARS + MAX_CLIENT_CHARS);
        sb.append(principal.tenantId() != null ? "entra:" : "ldap:");
        int start = sb.length();
        for (byte b : (user == null ? "" : user).getBytes(StandardCharsets.UTF_8)) {
            boolean plain = b >= '!' && b <= '~' && b != '%' && b != '/';
            if (sb.length() - start + (plain ? 1 : 3) > MAX_USER_CHARS) {
                break;
            }
            if (plain) {
                sb.append((char) b);
            } else {
                sb.append('%').append(HEX[(b >> 4) & 15]).append(HEX[b & 15]);
            }
        }
        if (clientName != null && clientName.length > 0) {
            sb.append('/');
            for (int i = 0; i < Math.min(clientName.length, MAX_CLIENT_CHARS); i++) {
                byte b = clientName[i];
                sb.append(b >= '!' && b <= '~' ? (char) b : '_'); // valid names have none of the latter
            }
        }
        return sb.toString();
    }

    /** Whether Redis accepts {@code name} as a client name: every byte in {@code !}…{@code ~} (or empty: no name). */
    public static boolean valid(byte[] name) {
        for (byte b : name) {
            if (b < '!' || b > '~') {
                return false;
            }
        }
        return true;
    }

    /**
     * Looks at the cache's reply to the gateway's own {@code CLIENT SETNAME} (which the session swallows): {@code
     * true} for {@code +OK}; an error (e.g. {@code -NOPERM} when the cache's ACL denies the command to the gateway's
     * identity) is logged once per process at WARN and the connection simply stays unnamed. Does not release.
     */
    public static boolean acknowledged(ByteBuf reply) {
        int i = reply.readerIndex();
        if (reply.readableBytes() > 0 && reply.getByte(i) != '-' && reply.getByte(i) != '!') {
            return true;
        }
        if (warned.compareAndSet(false, true)) {
            int len = Math.min(reply.readableBytes(), 200);
            String text = reply.toString(i, len, StandardCharsets.US_ASCII)
                    .replaceAll("[\\r\\n]+", " ")
                    .trim();
            log.warn(
                    "the cache refused CLIENT SETNAME on an upstream connection ({}): connections stay unnamed; grant"
                            + " the gateway's identity +client|setname or set UPSTREAM_CLIENT_NAME=off",
                    text);
        }
        return false;
    }

    /** The RESP frame {@code CLIENT SETNAME <name>} to write upstream (its reply, {@code +OK}, is the gateway's). */
    public static byte[] setNameFrame(String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII); // of() produces ASCII only
        byte[] head =
                ("*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$" + n.length + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] frame = new byte[head.length + n.length + 2];
        System.arraycopy(head, 0, frame, 0, head.length);
        System.arraycopy(n, 0, frame, head.length, n.length);
        frame[frame.length - 2] = '\r';
        frame[frame.length - 1] = '\n';
        return frame;
    }
}
