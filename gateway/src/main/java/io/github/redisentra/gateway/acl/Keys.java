package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.acl.CommandTable.KeySpec;
import io.github.redisentra.gateway.acl.CommandTable.Spec;
import java.nio.charset.StandardCharsets;

/**
 * Finds the keys and channels of a command the way Redis 7.0's ACL check does ({@code getKeysFromCommandWithSpecs}
 * with its {@code getkeys_proc} fallbacks, {@code getChannelsFromCommand}).
 */
final class Keys {
    /**
     * The keys or channels found for one command: argument positions and flags (key spec flags, or channel flags).
     * Reused from command to command by one session's {@link CommandArgs} (issue #19: no allocation per check).
     */
    static final class Refs {
        private int[] pos = new int[8];
        private int[] flags = new int[8];
        private int n;

        int size() {
            return n;
        }

        int pos(int k) {
            return pos[k];
        }

        int flags(int k) {
            return flags[k];
        }

        Refs clear() {
            n = 0;
            return this;
        }

        void add(int p, int f) {
            if (n == pos.length) {
                pos = java.util.Arrays.copyOf(pos, n * 2);
                flags = java.util.Arrays.copyOf(flags, n * 2);
            }
            pos[n] = p;
            flags[n] = f;
            n++;
        }
    }

    static final int CHANNEL_PATTERN = 1, CHANNEL_PUBLISH = 1 << 1, CHANNEL_SUBSCRIBE = 1 << 2;

    private Keys() {}

    /** A list for a command's keys: the reused one of a session's {@link CommandArgs}, else a new one. */
    static Refs scratchKeys(Args a) {
        return a instanceof CommandArgs c ? c.keys() : new Refs();
    }

    /** A list for a command's channels: the reused one of a session's {@link CommandArgs}, else a new one. */
    static Refs scratchChannels(Args a) {
        return a instanceof CommandArgs c ? c.channels() : new Refs();
    }

    /** The keys the ACL checks, with their flags, into {@code out} (cleared first); returns {@code out}. */
    static Refs keys(Spec cmd, Args a, Refs out) {
        boolean hasVarFlags = false;
        for (int i = 0; i < cmd.keySpecs.size(); i++) { // indexed loops: no iterator per command (issue #19)
            KeySpec k = cmd.keySpecs.get(i);
            hasVarFlags |= (k.flags() & CommandTable.VARIABLE_FLAGS) != 0;
        }
        if (cmd.hasKeys() && !hasVarFlags) {
            if (bySpecs(cmd, a, out.clear())) {
                return out;
            }
        }
        byProc(cmd, a, out.clear());
        return out;
    }

    /** Redis's {@code getKeysUsingKeySpecs} into {@code out}; {@code false} when a spec is invalid or incomplete. */
    static boolean bySpecs(Spec cmd, Args a, Refs out) {
        int argc = a.count();
        for (int s = 0; s < cmd.keySpecs.size(); s++) {
            KeySpec spec = cmd.keySpecs.get(s);
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
                return false;
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
                    return false;
                }
                long numKeys = parseLong(a.bytes(first + spec.keyNumIdx()));
                if (numKeys == Long.MIN_VALUE || numKeys < 0 || numKeys > Integer.MAX_VALUE) {
                    return false;
                }
                first += spec.firstKey();
                last = first + (int) numKeys - 1;
            } else {
                return false;
            }
            if (last >= argc || last < first || first >= argc) {
                return false;
            }
            if (step <= 0) {
                return false;
            }
            for (int i = first; i <= last; i += step) {
                out.add(i, spec.flags());
            }
            if ((spec.flags() & CommandTable.INCOMPLETE) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The {@code getkeys_proc} of the built-in commands whose specs are incomplete or have variable flags. */
    private static void byProc(Spec cmd, Args a, Refs out) {
        int argc = a.count();
        switch (cmd.fullName) {
            case "set" -> {
                for (int i = 3; i < argc; i++) {
                    if (a.is(i, "GET")) {
                        out.add(1, CommandTable.RW | CommandTable.ACCESS | CommandTable.UPDATE);
                        return;
                    }
                }
                out.add(1, CommandTable.OW | CommandTable.UPDATE);
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
                out.add(
                        1,
                        readonly
                                ? CommandTable.RO | CommandTable.ACCESS
                                : CommandTable.RW | CommandTable.ACCESS | CommandTable.UPDATE);
            }
            case "sort", "sort_ro" -> {
                if (argc < 2) {
                    return;
                }
                out.add(1, CommandTable.RO | CommandTable.ACCESS);
                if (cmd.fullName.equals("sort_ro")) {
                    return;
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
                if (store >= 0) {
                    out.add(store, CommandTable.OW | CommandTable.UPDATE);
                }
            }
            case "migrate" -> {
                int first = 3;
                int num = 1;
                if (argc > 6) {
                    for (int i = 6; i < argc; i++) {
                        if (a.is(i, "KEYS")) {
                            if (a.length(3) > 0) {
                                return;
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
                    return;
                }
                for (int i = 0; i < num; i++) {
                    out.add(first + i, CommandTable.RW | CommandTable.ACCESS | CommandTable.DELETE);
                }
            }
            default -> {
                // Other commands: a spec that cannot parse the arguments means a syntax error upstream (Redis's
                // own getkeys procedures return no keys in that case too).
            }
        }
    }

    /** Redis's {@code getChannelsFromCommand} for the commands whose channels the ACL checks. */
    static Refs channels(Spec cmd, Args a, Refs out) {
        out.clear();
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
                return out;
            }
        }
        if (to < from) {
            return out;
        }
        for (int i = from; i <= to; i++) {
            out.add(i, flags);
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
