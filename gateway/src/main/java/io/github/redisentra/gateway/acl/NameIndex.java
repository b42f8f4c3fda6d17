package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.acl.CommandTable.Spec;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Commands (or one command's subcommands) by name, looked up from an argument's bytes without making a
 * {@code String} (issue #19). Matches exactly as {@code map.get(new String(bytes, ISO_8859_1).toLowerCase(ROOT))}
 * did: names are compared after lower-casing each byte as {@link Character#toLowerCase(int)} lower-cases the
 * Latin-1 code point (A–Z and À–Þ but ×), which never leaves Latin-1. Immutable.
 */
final class NameIndex {
    private final byte[][] names;
    private final Spec[] specs;
    private final int mask;

    NameIndex(Map<String, Spec> byLowerName) {
        int size = Integer.highestOneBit(Math.max(4, byLowerName.size() * 3)) * 2;
        names = new byte[size][];
        specs = new Spec[size];
        mask = size - 1;
        for (Map.Entry<String, Spec> e : byLowerName.entrySet()) {
            String name = e.getKey();
            if (!isLatin1Lower(name)) {
                continue; // no argument (read as Latin-1, lower-cased) can equal this name
            }
            byte[] b = name.getBytes(StandardCharsets.ISO_8859_1);
            int h = 0;
            for (byte x : b) {
                h = 31 * h + (x & 0xff);
            }
            int k = mix(h) & mask;
            while (names[k] != null) {
                k = (k + 1) & mask;
            }
            names[k] = b;
            specs[k] = e.getValue();
        }
    }

    /** The entry named by argument {@code i} of {@code a} in any case, or {@code null}. */
    Spec get(Args a, int i) {
        int len = a.length(i);
        int h = 0;
        for (int k = 0; k < len; k++) {
            h = 31 * h + lower(a.byteAt(i, k));
        }
        for (int k = mix(h) & mask; ; k = (k + 1) & mask) {
            byte[] n = names[k];
            if (n == null) {
                return null;
            }
            if (n.length == len && equal(n, a, i)) {
                return specs[k];
            }
        }
    }

    private static boolean equal(byte[] lowerName, Args a, int i) {
        for (int k = 0; k < lowerName.length; k++) {
            if ((lowerName[k] & 0xff) != lower(a.byteAt(i, k))) {
                return false;
            }
        }
        return true;
    }

    /** {@link Character#toLowerCase(int)} of a Latin-1 code point. */
    static int lower(byte b) {
        int c = b & 0xff;
        return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 32 : c;
    }

    private static boolean isLatin1Lower(String name) {
        for (int k = 0; k < name.length(); k++) {
            char c = name.charAt(k);
            if (c > 0xff || lower((byte) c) != c) {
                return false;
            }
        }
        return true;
    }

    private static int mix(int h) {
        return h ^ (h >>> 16);
    }
}
