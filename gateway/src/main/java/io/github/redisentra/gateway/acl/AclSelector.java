package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.acl.CommandTable.Spec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One set of Redis ACL rules compiled against a {@link CommandTable}: the permissions of one role, with the meaning
 * Redis 7.0 gives them (a Redis user's root selector). Supported rules: {@code +@cat -@cat +cmd -cmd +cmd|sub
 * -cmd|sub allcommands nocommands ~pattern %R~pattern %W~pattern %RW~pattern allkeys resetkeys &pattern allchannels
 * resetchannels}. A role starts with no command, no key and no channel (like {@code ACL SETUSER} with {@code
 * acl-pubsub-default resetchannels}).
 *
 * <p>Besides Redis's bits, the selector remembers which commands were granted <em>by name</em> ({@code +config},
 * {@code +config|get}) rather than through a category: commands that act on the gateway's shared upstream identity
 * (see {@link Permissions#SHARED_IDENTITY}) need such an explicit grant.
 */
public final class AclSelector {
    static final int READ = 1, WRITE = 2;

    record KeyPattern(byte[] pattern, int perms) {}

    private final CommandTable table;
    private final BitSet allowed = new BitSet();
    private final BitSet explicit = new BitSet();
    private final Map<Integer, Set<String>> firstArgs = new HashMap<>();
    private boolean allCommands;
    private final List<KeyPattern> keys = new ArrayList<>();
    private boolean allKeys;
    private final List<byte[]> channels = new ArrayList<>();
    private boolean allChannels;

    private AclSelector(CommandTable table) {
        this.table = table;
    }

    /**
     * Compiles space-separated rules.
     *
     * @throws IllegalArgumentException naming the offending rule, with Redis's reason where it has one
     */
    public static AclSelector compile(CommandTable table, String rules) {
        AclSelector s = new AclSelector(table);
        for (String rule : rules.trim().split("\\s+")) {
            if (!rule.isEmpty()) {
                s.apply(rule);
            }
        }
        return s;
    }

    private void apply(String op) {
        String lower = op.toLowerCase(Locale.ROOT);
        if (lower.equals("allcommands") || lower.equals("+@all")) {
            allowed.set(0, table.size());
            allCommands = true;
            firstArgs.clear();
        } else if (lower.equals("nocommands") || lower.equals("-@all")) {
            allowed.clear();
            explicit.clear();
            allCommands = false;
            firstArgs.clear();
        } else if (lower.equals("allkeys") || lower.equals("~*")) {
            allKeys = true;
            keys.clear();
        } else if (lower.equals("resetkeys")) {
            allKeys = false;
            keys.clear();
        } else if (lower.equals("allchannels") || lower.equals("&*")) {
            allChannels = true;
            channels.clear();
        } else if (lower.equals("resetchannels")) {
            allChannels = false;
            channels.clear();
        } else if (op.startsWith("~") || op.startsWith("%")) {
            addKeyPattern(op);
        } else if (op.startsWith("&")) {
            if (allChannels) {
                throw error(
                        op,
                        "adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not"
                                + " have any effect; use 'resetchannels' first");
            }
            channels.add(op.substring(1).getBytes(StandardCharsets.UTF_8));
        } else if ((op.startsWith("+@") || op.startsWith("-@")) && op.length() > 2) {
            long bit = table.categoryBit(op.substring(2));
            if (bit == 0) {
                throw error(
                        op, "unknown command category '" + op.substring(2) + "' (known: " + table.categories() + ")");
            }
            boolean allow = op.charAt(0) == '+';
            for (Spec c : table.topLevel()) {
                setForCategory(c, bit, allow);
            }
        } else if (op.startsWith("+") && op.length() > 1) {
            allowCommand(op, lower.substring(1));
        } else if (op.startsWith("-") && op.length() > 1) {
            Spec c = table.lookup(lower.substring(1));
            if (c == null) {
                throw error(op, "unknown command '" + op.substring(1) + "'");
            }
            changePerm(c, false, true);
        } else {
            throw error(
                    op,
                    "not a supported ACL rule (use +@category, -@category, +command, -command, +command|sub, ~pattern,"
                            + " %R~pattern, %W~pattern, allkeys, resetkeys, &pattern, allchannels, resetchannels,"
                            + " allcommands, nocommands)");
        }
    }

    private void addKeyPattern(String op) {
        int perms;
        String pattern;
        if (op.startsWith("%")) {
            int tilde = op.indexOf('~');
            if (tilde < 0) {
                throw error(op, "a %<flags>~<pattern> rule needs the ~");
            }
            perms = 0;
            for (char c : op.substring(1, tilde).toCharArray()) {
                if (c == 'R' || c == 'r') {
                    perms |= READ;
                } else if (c == 'W' || c == 'w') {
                    perms |= WRITE;
                } else {
                    throw error(op, "key permission flags are R and W");
                }
            }
            if (perms == 0) {
                throw error(op, "key permission flags are R and W");
            }
            pattern = op.substring(tilde + 1);
        } else {
            perms = READ | WRITE;
            pattern = op.substring(1);
        }
        if (pattern.equals("*") && perms == (READ | WRITE)) {
            allKeys = true;
            keys.clear();
            return;
        }
        if (allKeys) {
            throw error(
                    op,
                    "adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any"
                            + " effect; use 'resetkeys' first");
        }
        byte[] p = pattern.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < keys.size(); i++) {
            if (Arrays.equals(keys.get(i).pattern(), p)) {
                keys.set(i, new KeyPattern(p, keys.get(i).perms() | perms));
                return;
            }
        }
        keys.add(new KeyPattern(p, perms));
    }

    private void allowCommand(String op, String name) {
        int bar = name.lastIndexOf('|');
        if (bar < 0) {
            Spec c = table.lookup(name);
            if (c == null) {
                throw error(op, "unknown command '" + op.substring(1) + "'");
            }
            changePerm(c, true, true);
            return;
        }
        Spec c = table.lookup(name.substring(0, bar));
        if (c == null) {
            throw error(op, "unknown command '" + name.substring(0, bar) + "'");
        }
        if (c.parent != null) {
            throw error(op, "allowing a first argument of a subcommand is not supported");
        }
        String sub = name.substring(bar + 1);
        if (sub.isEmpty()) {
            throw error(op, "the subcommand after | is empty");
        }
        if (c.subcommands != null) {
            Spec s = table.lookup(name);
            if (s == null) {
                throw error(op, "unknown subcommand '" + sub + "' of '" + c.fullName + "'");
            }
            changePerm(s, true, true);
        } else {
            // Redis's deprecated first-argument grant (+select|0).
            firstArgs.computeIfAbsent(c.id, k -> new HashSet<>()).add(sub);
        }
    }

    /** Redis's {@code ACLChangeSelectorPerm}: the command and all its subcommands. */
    private void changePerm(Spec c, boolean allow, boolean byName) {
        setBit(c.id, allow, byName);
        firstArgs.remove(c.id);
        if (c.subcommands != null) {
            for (Spec sub : c.subcommands.values()) {
                setBit(sub.id, allow, byName);
            }
        }
    }

    private void setBit(int id, boolean allow, boolean byName) {
        if (allow) {
            allowed.set(id);
            if (byName) {
                explicit.set(id);
            }
        } else {
            allowed.clear(id);
            explicit.clear(id);
            allCommands = false;
        }
    }

    /** Redis's {@code ACLSetSelectorCommandBitsForCategory}. */
    private void setForCategory(Spec c, long bit, boolean allow) {
        if ((c.categories & bit) != 0) {
            changePerm(c, allow, false);
        }
        if (c.subcommands != null) {
            for (Spec sub : c.subcommands.values()) {
                setForCategory(sub, bit, allow);
            }
        }
    }

    private static IllegalArgumentException error(String op, String why) {
        return new IllegalArgumentException("ACL rule '" + op + "': " + why);
    }

    // ---------------------------------------------------------------- checks

    /** Redis's {@code ACL_OK}, {@code ACL_DENIED_CMD}, {@code ACL_DENIED_KEY}, {@code ACL_DENIED_CHANNEL}. */
    static final int OK = 0, DENIED_CMD = 1, DENIED_KEY = 2, DENIED_CHANNEL = 4;

    boolean allCommands() {
        return allCommands;
    }

    boolean allKeys() {
        return allKeys;
    }

    boolean allChannels() {
        return allChannels;
    }

    /** Redis's {@code ACLSelectorHasUnrestrictedKeyAccess} for read access. */
    boolean unrestrictedRead() {
        if (allKeys) {
            return true;
        }
        for (KeyPattern p : keys) {
            if ((p.perms() & READ) != 0 && p.pattern().length == 1 && p.pattern()[0] == '*') {
                return true;
            }
        }
        return false;
    }

    boolean explicitlyAllowed(Spec c) {
        return explicit.get(c.id);
    }

    /**
     * Redis's {@code ACLSelectorCheckCmd}: the command bit (or first argument), then keys, then channels. Returns
     * the result code in the low 32 bits and, for a refused key or channel, its argument position in the high 32
     * ({@link #code}, {@link #position}).
     */
    long check(Spec cmd, Args a, Keys.Refs keyRefs) {
        if (!commandAllowed(cmd, a)) {
            return DENIED_CMD;
        }
        if (!allKeys) {
            for (int k = 0; k < keyRefs.size(); k++) {
                int pos = keyRefs.pos(k);
                if (!keyAllowed(a.peek(pos), a.length(pos), keyRefs.flags(k))) {
                    return ((long) pos << 32) | DENIED_KEY;
                }
            }
        }
        if (!allChannels && Keys.hasChannels(cmd)) {
            Keys.Refs channels = Keys.channels(cmd, a, Keys.scratchChannels(a));
            for (int k = 0; k < channels.size(); k++) {
                int pos = channels.pos(k);
                if (!channelAllowed(a.peek(pos), a.length(pos), (channels.flags(k) & Keys.CHANNEL_PATTERN) != 0)) {
                    return ((long) pos << 32) | DENIED_CHANNEL;
                }
            }
        }
        return OK;
    }

    /** The result code of a {@link #check} result. */
    static int code(long checkResult) {
        return (int) checkResult;
    }

    /** The argument position of a {@link #check} result (0 when none). */
    static int position(long checkResult) {
        return (int) (checkResult >>> 32);
    }

    /** The command part of {@link #check}: its bit, or a granted first argument. */
    boolean commandAllowed(Spec cmd, Args a) {
        if (allCommands || cmd.flags.contains("no_auth") || allowed.get(cmd.id)) {
            return true;
        }
        Set<String> first = firstArgs.get(cmd.id);
        int idx = cmd.parent != null ? 2 : 1;
        return first != null && a.count() > idx && first.contains(a.lower(idx));
    }

    /** Redis's {@code ACLSelectorCheckKey}, for the first {@code len} bytes of {@code key}. */
    boolean keyAllowed(byte[] key, int len, int specFlags) {
        if (allKeys) {
            return true;
        }
        int need = 0;
        if ((specFlags & CommandTable.ACCESS) != 0) {
            need |= READ;
        }
        if ((specFlags & (CommandTable.INSERT | CommandTable.DELETE | CommandTable.UPDATE)) != 0) {
            need |= WRITE;
        }
        for (int k = 0; k < keys.size(); k++) { // indexed: no iterator per key check (issue #19)
            KeyPattern p = keys.get(k);
            if ((p.perms() & need) != need) {
                continue;
            }
            byte[] pattern = p.pattern();
            if (Glob.match(pattern, 0, pattern.length, key, 0, len)) {
                return true;
            }
        }
        return false;
    }

    /** Redis's {@code ACLCheckChannelAgainstList}: patterns are compared literally, channels by glob. */
    boolean channelAllowed(byte[] channel, int len, boolean isPattern) {
        if (allChannels) {
            return true;
        }
        for (int k = 0; k < channels.size(); k++) {
            byte[] p = channels.get(k);
            if (isPattern
                    ? Arrays.equals(p, 0, p.length, channel, 0, len)
                    : Glob.match(p, 0, p.length, channel, 0, len)) {
                return true;
            }
        }
        return false;
    }
}
