package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.acl.CommandTable.KeySpec;
import io.github.redisentra.gateway.acl.CommandTable.Spec;
import java.nio.charset.StandardCharsets;

/**
 * Finds the keys and channels of a command the way Redis 7.0's ACL check does ({@code getKeysFromCommandWithSpecs}
 * with its {@code getkeys_proc} fallbacks, {@code getChannelsFromCommand}).
 */
final class Keys {
    /** A key or channel: argument position and flags (key spec flags, or channel flags). */
    record Ref(int pos, int flags) {}

    static final int CHANNEL_PATTERN = 1, CHANNEL_PUBLISH = 1 << 1, CHANNEL_SUBSCRIBE = 1 << 2;

    static final Ref[] NONE = new Ref[0];

    private Keys() {}

    /** The keys the ACL checks, with their flags. */
    static Ref[] keys(Spec cmd, Args a) {
        boolean hasVarFlags = false;
        for (KeySpec k : cmd.keySpecs) {
            hasVarFlags |= (k.flags() & CommandTable.VARIABLE_FLAGS) != 0;
        }
        if (cmd.hasKeys() && !hasVarFlags) {
            Ref[] r = bySpecs(cmd, a);
            if (r != null) {
                return r;
            }
        }
        return byProc(cmd, a);
    }

    /** Redis's {@code getKeysUsingKeySpecs}; {@code null} when a spec is invalid or incomplete. */
    static Ref[] bySpecs(Spec cmd, Args a) {
        int argc = a.count();
        Ref[] out = NONE;
        int n = 0;
        for (KeySpec spec : cmd.keySpecs) {
            if ((spec.flags() & CommandTable.NOT_KEY) != 0) {
                continue;
            }
            int first = 0;
            if (spec.beginType().equals("index")) {
                first = spec.index();
            } else if (spec.beginType().equals("keyword")) {
                int startFrom = spec.startFrom();
                int startIndex = startFrom > 0 ? startFrom : argc + startFrom;
                int endIndex = startFrom > 0 ? argc - 1 : 0;
                for (int i = startIndex; i != endIndex; i = startIndex <= endIndex ? i + 1 : i - 1) {
                    if (i >= argc || i < 1) {
                        break;
                    }
                    if (a.is(i, spec.keyword().toUpperCase(java.util.Locale.ROOT))) {
                        first = i + 1;
                        break;
                    }
                }
                if (first == 0) {
                    continue;
                }
            } else {
                return null;
            }
            int last;
            int step;
            if (spec.findType().equals("range")) {
                step = spec.keyStep();
                if (spec.lastKey() >= 0) {
                    last = first + spec.lastKey();
                } else if (spec.limit() == 0) {
                    last = argc + spec.lastKey();
                } else {
                    last = first + ((argc - first) / spec.limit() + spec.lastKey());
                }
            } else if (spec.findType().equals("keynum")) {
                step = spec.keyStep();
                if (first + spec.keyNumIdx() >= argc) {
                    return null;
                }
                long numKeys = parseLong(a.bytes(first + spec.keyNumIdx()));
                if (numKeys == Long.MIN_VALUE || numKeys < 0 || numKeys > Integer.MAX_VALUE) {
                    return null;
                }
                first += spec.firstKey();
                last = first + (int) numKeys - 1;
            } else {
                return null;
            }
            if (last >= argc || last < first || first >= argc) {
                return null;
            }
            if (step <= 0) {
                return null;
            }
            for (int i = first; i <= last; i += step) {
                if (n == out.length) {
                    out = java.util.Arrays.copyOf(out, Math.max(4, n * 2));
                }
                out[n++] = new Ref(i, spec.flags());
            }
            if ((spec.flags() & CommandTable.INCOMPLETE) != 0) {
                return null;
            }
        }
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    /** The {@code getkeys_proc} of the built-in commands whose specs are incomplete or have variable flags. */
    private static Ref[] byProc(Spec cmd, Args a) {
        int argc = a.count();
        switch (cmd.fullName) {
            case "set" -> {
                for (int i = 3; i < argc; i++) {
                    if (a.is(i, "GET")) {
                        return new Ref[] {new Ref(1, CommandTable.RW | CommandTable.ACCESS | CommandTable.UPDATE)};
                    }
                }
                return new Ref[] {new Ref(1, CommandTable.OW | CommandTable.UPDATE)};
            }
            case "bitfield" -> {
                boolean readonly = true;
                for (int i = 2; i < argc; i++) {
                    int rem = argc - i - 1;
                    if (a.is(i, "GET") && rem >= 2) {
                        i += 2;
                    } else if ((a.is(i, "SET") || a.is(i, "INCRBY")) && rem >= 3) {
                        readonly = false;
                        break;
                    } else if (a.is(i, "OVERFLOW") && rem >= 1) {
                        i += 1;
                    } else {
                        readonly = false;
                        break;
                    }
                }
                return new Ref[] {
                    new Ref(
                            1,
                            readonly
                                    ? CommandTable.RO | CommandTable.ACCESS
                                    : CommandTable.RW | CommandTable.ACCESS | CommandTable.UPDATE)
                };
            }
            case "sort", "sort_ro" -> {
                if (argc < 2) {
                    return NONE;
                }
                Ref sortKey = new Ref(1, CommandTable.RO | CommandTable.ACCESS);
                if (cmd.fullName.equals("sort_ro")) {
                    return new Ref[] {sortKey};
                }
                int store = -1;
                for (int i = 2; i < argc; i++) {
                    if (a.is(i, "LIMIT")) {
                        i += 2;
                    } else if (a.is(i, "GET") || a.is(i, "BY")) {
                        i += 1;
                    } else if (a.is(i, "STORE") && i + 1 < argc) {
                        store = i + 1;
                    }
                }
                return store < 0
                        ? new Ref[] {sortKey}
                        : new Ref[] {sortKey, new Ref(store, CommandTable.OW | CommandTable.UPDATE)};
            }
            case "migrate" -> {
                int first = 3;
                int num = 1;
                if (argc > 6) {
                    for (int i = 6; i < argc; i++) {
                        if (a.is(i, "KEYS")) {
                            if (a.bytes(3).length > 0) {
                                return NONE;
                            }
                            first = i + 1;
                            num = argc - first;
                            break;
                        } else if (a.is(i, "AUTH")) {
                            i += 1;
                        } else if (a.is(i, "AUTH2")) {
                            i += 2;
                        }
                    }
                }
                if (first + num > argc) {
                    return NONE;
                }
                Ref[] out = new Ref[num];
                for (int i = 0; i < num; i++) {
                    out[i] = new Ref(first + i, CommandTable.RW | CommandTable.ACCESS | CommandTable.DELETE);
                }
                return out;
            }
            default -> {
                // Other commands: a spec that cannot parse the arguments means a syntax error upstream (Redis's
                // own getkeys procedures return no keys in that case too).
                return NONE;
            }
        }
    }

    /** Redis's {@code getChannelsFromCommand} for the commands whose channels the ACL checks. */
    static Ref[] channels(Spec cmd, Args a) {
        int argc = a.count();
        int flags;
        int from;
        int to;
        switch (cmd.fullName) {
            case "publish", "spublish" -> {
                flags = CHANNEL_PUBLISH;
                from = 1;
                to = Math.min(1, argc - 1);
            }
            case "subscribe", "ssubscribe" -> {
                flags = CHANNEL_SUBSCRIBE;
                from = 1;
                to = argc - 1;
            }
            case "psubscribe" -> {
                flags = CHANNEL_SUBSCRIBE | CHANNEL_PATTERN;
                from = 1;
                to = argc - 1;
            }
            default -> {
                return NONE;
            }
        }
        if (to < from) {
            return NONE;
        }
        Ref[] out = new Ref[to - from + 1];
        for (int i = from; i <= to; i++) {
            out[i - from] = new Ref(i, flags);
        }
        return out;
    }

    static boolean hasChannels(Spec cmd) {
        return switch (cmd.fullName) {
            case "publish", "spublish", "subscribe", "ssubscribe", "psubscribe" -> true;
            default -> false;
        };
    }

    /** Redis's {@code string2ll}: strict decimal; {@link Long#MIN_VALUE} when invalid. */
    static long parseLong(byte[] b) {
        String s = new String(b, StandardCharsets.ISO_8859_1);
        if (s.isEmpty() || s.length() > 20 || s.startsWith("+") || (s.length() > 1 && s.startsWith("0"))) {
            return Long.MIN_VALUE;
        }
        if (s.startsWith("-0")) {
            return Long.MIN_VALUE;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }
}
