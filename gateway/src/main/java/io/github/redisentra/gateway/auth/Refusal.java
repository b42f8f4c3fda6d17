package io.github.redisentra.gateway.auth;

/** A refusal of a client token with its reason code; the message is the audit detail (never the token). */
final class Refusal extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String reason;

    Refusal(String reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    /** Renders an untrusted value for the audit log: bounded length, printable ASCII only. */
    static String printable(Object v) {
        String s = String.valueOf(v);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 80; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 80 ? sb + "…" : sb.toString();
    }
}
