package io.github.redisentra.gateway.acl;

/**
 * Redis's glob matching ({@code stringmatchlen} in {@code util.c}), byte for byte: {@code *}, {@code ?},
 * {@code [abc]}, {@code [^abc]}, {@code [a-z]}, {@code \} escapes, case-sensitive. Bytes are compared as C's signed
 * {@code char}, like Redis on x86/arm64 Linux, and reads past the end of the pattern see a NUL as in Redis's
 * NUL-terminated strings, so odd patterns ({@code "[abc"}, {@code "a\"}) behave as in the server.
 */
public final class Glob {
    private static final int MAX_NESTING = 1000;

    private Glob() {}

    public static boolean match(byte[] pattern, byte[] string) {
        return match(pattern, 0, pattern.length, string, 0, string.length);
    }

    public static boolean match(byte[] pattern, int pOff, int pLen, byte[] string, int sOff, int sLen) {
        return match(pattern, pOff, pLen, string, sOff, sLen, 0) == MATCH;
    }

    /**
     * Results of the recursive match. Redis's {@code skipLongerMatches} flag is set only right before a '*' gives up
     * and then makes every caller give up at once, so it travels up as a result of its own (no shared flag object:
     * no allocation per match, issue #19).
     */
    private static final int NO_MATCH = 0, MATCH = 1, SKIP_LONGER = -1;

    private static int at(byte[] a, int i, int end) {
        return i < end ? a[i] : 0; // Redis strings are NUL-terminated
    }

    private static int match(byte[] pat, int p, int pLen, byte[] str, int s, int sLen, int nesting) {
        if (nesting > MAX_NESTING) {
            return NO_MATCH;
        }
        final int pEnd = p + pLen;
        while (pLen > 0 && sLen > 0) {
            switch (pat[p]) {
                case '*' -> {
                    while (pLen > 0 && at(pat, p + 1, pEnd) == '*') {
                        p++;
                        pLen--;
                    }
                    if (pLen == 1) {
                        return MATCH;
                    }
                    while (sLen > 0) {
                        int r = match(pat, p + 1, pLen - 1, str, s, sLen, nesting + 1);
                        if (r != NO_MATCH) {
                            return r; // a match, or a '*' further on that gave up: give up too
                        }
                        s++;
                        sLen--;
                    }
                    return SKIP_LONGER;
                }
                case '?' -> {
                    s++;
                    sLen--;
                }
                case '[' -> {
                    p++;
                    pLen--;
                    boolean not = at(pat, p, pEnd) == '^';
                    if (not) {
                        p++;
                        pLen--;
                    }
                    boolean matched = false;
                    while (true) {
                        int c0 = at(pat, p, pEnd);
                        if (c0 == '\\' && pLen >= 2) {
                            p++;
                            pLen--;
                            if (at(pat, p, pEnd) == str[s]) {
                                matched = true;
                            }
                        } else if (c0 == ']') {
                            break;
                        } else if (pLen == 0) {
                            p--;
                            pLen++;
                            break;
                        } else if (pLen >= 3 && at(pat, p + 1, pEnd) == '-') {
                            int start = c0;
                            int end = at(pat, p + 2, pEnd);
                            int c = str[s];
                            if (start > end) {
                                int t = start;
                                start = end;
                                end = t;
                            }
                            p += 2;
                            pLen -= 2;
                            if (c >= start && c <= end) {
                                matched = true;
                            }
                        } else if (c0 == str[s]) {
                            matched = true;
                        }
                        p++;
                        pLen--;
                    }
                    if (not) {
                        matched = !matched;
                    }
                    if (!matched) {
                        return NO_MATCH;
                    }
                    s++;
                    sLen--;
                }
                default -> {
                    if (pat[p] == '\\' && pLen >= 2) {
                        p++;
                        pLen--;
                    }
                    if (at(pat, p, pEnd) != str[s]) {
                        return NO_MATCH;
                    }
                    s++;
                    sLen--;
                }
            }
            p++;
            pLen--;
            if (sLen == 0) {
                while (at(pat, p, pEnd) == '*') {
                    p++;
                    pLen--;
                }
                break;
            }
        }
        return pLen == 0 && sLen == 0 ? MATCH : NO_MATCH;
    }
}
