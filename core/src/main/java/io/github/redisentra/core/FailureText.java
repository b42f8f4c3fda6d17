package io.github.redisentra.core;

/** A failed attempt as one line for logs and {@link RefreshStatus}: class, message and causes, never a token. */
final class FailureText {
    private static final int MAX_MESSAGE = 500;

    private FailureText() {}

    /** {@code error} and up to three causes on one line, with {@code held}'s secret (when not null) removed. */
    static String describe(Throwable error, AccessToken held) {
        StringBuilder sb = new StringBuilder();
        Throwable t = error;
        for (int depth = 0; t != null && depth < 4; depth++, t = t.getCause()) {
            if (depth > 0 && t.getMessage() != null && sb.indexOf(t.getMessage()) >= 0) {
                continue; // a wrapper that already quoted its cause
            }
            if (depth > 0) {
                sb.append(" (caused by ");
            }
            sb.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                sb.append(": ").append(t.getMessage());
            }
            if (depth > 0) {
                sb.append(')');
            }
            if (t.getCause() == t) {
                break;
            }
        }
        String s = sb.toString();
        if (held != null) {
            s = s.replace(held.secret(), "[token sha256 " + held.fingerprint() + "]");
        }
        return s.length() > MAX_MESSAGE ? s.substring(0, MAX_MESSAGE) + "…" : s;
    }
}
