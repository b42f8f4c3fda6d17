package io.github.redisentra.gateway.session;

import java.nio.charset.StandardCharsets;

/** A reply line the gateway answers itself ({@code -NOAUTH …}, {@code +OK}, a refusal), as bytes to write. */
final class ReplyLine {
    private ReplyLine() {}

    /**
     * {@code line} followed by CRLF. Like Redis's addReplyErrorFormat, CR and LF inside the line (e.g. a client's
     * argument quoted in an error) become spaces, so a client cannot forge reply frames (found by
     * {@code PreAuthSessionFuzzTest}).
     */
    static byte[] bytes(String line) {
        String one = line.indexOf('\r') < 0 && line.indexOf('\n') < 0
                ? line
                : line.replace('\r', ' ').replace('\n', ' ');
        return (one + "\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
