package io.github.redisentra.gateway.audit;

import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.acl.CommandTable.Spec;
import io.github.redisentra.gateway.resp.Command;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;

/**
 * Resolves a command's name (and subcommand) from the client's bytes to its {@link Spec} in the command table,
 * ASCII case-insensitively and without decoding a {@link String}: an open-addressing table over the lower-case
 * names, built once. Names not in the table resolve to {@code null}: the audit then writes {@code "unknown"},
 * never the client's bytes.
 */
public final class CommandNames {
    private final byte[][] names;
    private final Spec[] specs;
    private final CommandNames[] subs;
    private final int mask;

    private CommandNames(Collection<Spec> entries, boolean sub) {
        int cap = Integer.highestOneBit(Math.max(4, entries.size() * 2) - 1) << 1;
        names = new byte[cap][];
        specs = new Spec[cap];
        subs = new CommandNames[cap];
        mask = cap - 1;
        for (Spec s : entries) {
            String n = s.fullName();
            if (sub) {
                n = n.substring(n.indexOf('|') + 1);
            }
            byte[] b = n.getBytes(StandardCharsets.US_ASCII);
            int i = hash(b) & mask;
            while (names[i] != null) {
                i = (i + 1) & mask;
            }
            names[i] = b;
            specs[i] = s;
            Map<String, Spec> children = s.subcommands();
            if (children != null && !children.isEmpty()) {
                subs[i] = new CommandNames(children.values(), true);
            }
        }
    }

    /** The names of {@code table}'s commands and their subcommands. */
    public static CommandNames of(CommandTable table) {
        return new CommandNames(table.topLevel(), false);
    }

    /**
     * The command of a framed client command: its subcommand when the command has subcommands and the second
     * argument names one, otherwise the command itself; {@code null} when the name is not in the table.
     */
    public Spec resolve(Command cmd) {
        if (cmd.argc() < 1) {
            return null;
        }
        int slot = find(cmd.arg(0));
        if (slot < 0) {
            return null;
        }
        CommandNames children = subs[slot];
        if (children != null && cmd.argc() >= 2) {
            int s = children.find(cmd.arg(1));
            if (s >= 0) {
                return children.specs[s];
            }
        }
        return specs[slot];
    }

    /** Like {@link #resolve(Command)} for a name and an optional subcommand ({@code null}). */
    public Spec resolve(ByteBuf name, ByteBuf sub) {
        int slot = find(name);
        if (slot < 0) {
            return null;
        }
        if (sub != null && subs[slot] != null) {
            int s = subs[slot].find(sub);
            if (s >= 0) {
                return subs[slot].specs[s];
            }
        }
        return specs[slot];
    }

    private int find(ByteBuf b) {
        int from = b.readerIndex();
        int len = b.readableBytes();
        if (len == 0 || len > 64) {
            return -1;
        }
        int h = 0;
        for (int k = 0; k < len; k++) {
            h = 31 * h + lower(b.getByte(from + k));
        }
        for (int i = h & mask; names[i] != null; i = (i + 1) & mask) {
            byte[] n = names[i];
            if (n.length == len && equalsLower(n, b, from)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean equalsLower(byte[] n, ByteBuf b, int from) {
        for (int k = 0; k < n.length; k++) {
            if (n[k] != lower(b.getByte(from + k))) {
                return false;
            }
        }
        return true;
    }

    private static int hash(byte[] b) {
        int h = 0;
        for (byte x : b) {
            h = 31 * h + lower(x);
        }
        return h;
    }

    private static byte lower(byte c) {
        return c >= 'A' && c <= 'Z' ? (byte) (c + 32) : c;
    }
}
