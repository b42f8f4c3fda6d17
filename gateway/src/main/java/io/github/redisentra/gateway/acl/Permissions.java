package io.github.redisentra.gateway.acl;

import io.github.redisentra.gateway.acl.CommandTable.Spec;
import java.util.List;
import java.util.Set;

/**
 * What one client may do: the union of its roles' {@link AclSelector}s, checked as Redis 7 checks a user with
 * several selectors ({@code ACLCheckAllUserCommandPerm}): a command passes when any selector allows the command,
 * its keys and its channels. Immutable and shared by all sessions with the same roles.
 *
 * <p>Two gateway rules come on top of Redis's, because every client acts upstream through the gateway's shared
 * identity: commands in {@link #SHARED_IDENTITY} (and {@code CLIENT TRACKING … BCAST|REDIRECT}) pass only when the
 * allowing role names them explicitly ({@code +flushall}, {@code +config|get}, {@code +client|tracking}; a category
 * such as {@code +@all} or {@code +@connection} is not enough), and commands the table does not
 * know pass only for a role with {@code allcommands allkeys allchannels} (their keys cannot be found).
 */
public final class Permissions {
    /**
     * Commands that reach beyond the client's own data or connection through the shared upstream identity, or run
     * code whose keys are not all declared (scripts and functions).
     */
    public static final Set<String> SHARED_IDENTITY = Set.of(
            "acl",
            "bgrewriteaof",
            "bgsave",
            "client|kill",
            "client|list",
            "client|no-evict",
            "client|pause",
            "client|unblock",
            "client|unpause",
            "cluster",
            "config",
            "debug",
            "eval",
            "eval_ro",
            "evalsha",
            "evalsha_ro",
            "failover",
            "fcall",
            "fcall_ro",
            "flushall",
            "flushdb",
            "function",
            "latency",
            "migrate",
            "module",
            "monitor",
            "psync",
            "replconf",
            "replicaof",
            "save",
            "script",
            "shutdown",
            "slaveof",
            "slowlog",
            "swapdb",
            "sync");

    /** The outcome of one check. */
    public record Verdict(int code, String fullName, int position) {
        public boolean allowed() {
            return code == AclSelector.OK;
        }

        /** Whether the verdict depends on arguments not read yet (see {@link Permissions#check}). */
        public boolean undecided() {
            return code == UNDECIDED;
        }

        /** A stable reason for audit and metrics: {@code command}, {@code key}, {@code channel}, {@code sort}. */
        public String reason() {
            return switch (code) {
                case AclSelector.OK -> "allowed";
                case AclSelector.DENIED_CMD -> "command";
                case AclSelector.DENIED_KEY -> "key";
                case AclSelector.DENIED_CHANNEL -> "channel";
                case UNDECIDED -> "undecided";
                default -> "sort";
            };
        }
    }

    static final int DENIED_SORT_BY = 8, DENIED_SORT_GET = 9, UNDECIDED = 16;
    private static final Verdict OK = new Verdict(AclSelector.OK, null, 0);
    /** No keys (never added to: shared). */
    private static final Keys.Refs NO_KEYS = new Keys.Refs();

    private final CommandTable table;
    private final AclSelector[] selectors; // an array: no iterator per check (issue #19)
    private final boolean sharedIdentityRule;

    public Permissions(CommandTable table, List<AclSelector> selectors) {
        this(table, selectors, true);
    }

    /** @param sharedIdentityRule whether {@link #SHARED_IDENTITY} needs explicit grants (off: Redis's rules only) */
    Permissions(CommandTable table, List<AclSelector> selectors, boolean sharedIdentityRule) {
        this.table = table;
        this.selectors = List.copyOf(selectors).toArray(new AclSelector[0]);
        this.sharedIdentityRule = sharedIdentityRule;
    }

    public CommandTable table() {
        return table;
    }

    /**
     * Checks a command (argument 0 is its name). With a view that has not read every argument yet (see {@link
     * Args}), the verdict is exact when it could be decided from the arguments read, and {@linkplain
     * Verdict#undecided() undecided} when it depends on one not read yet: keys and channels are found from the
     * command table's key specs, so a large value that is not a key does not keep a command undecided.
     */
    public Verdict check(Args a) {
        Spec cmd;
        try {
            // by the name's bytes: no String per command (issue #19); Strings only for a refusal's text
            cmd = table.command(a, 0);
            if (cmd != null && cmd.subcommands != null && a.count() >= 2) {
                Spec sub = cmd.subcommand(a, 1);
                if (sub == null) {
                    return unknown(a.lower(0) + "|" + a.lower(1));
                }
                cmd = sub;
            }
            if (cmd == null) {
                return unknown(a.lower(0));
            }
        } catch (Args.NotYetRead e) {
            return new Verdict(UNDECIDED, a.lower(0), 0);
        }
        boolean shared = sharedIdentityRule && sharedIdentity(cmd, a);
        Keys.Refs keys = null;
        int relevant = AclSelector.DENIED_CMD;
        int lastPos = 0;
        boolean undecided = false;
        for (AclSelector s : selectors) {
            int r;
            int pos = 0;
            try {
                if (!s.commandAllowed(cmd, a)) {
                    r = AclSelector.DENIED_CMD; // as Redis: the command first, keys only for an allowed command
                } else {
                    if (keys == null && !s.allKeys() && cmd.hasKeys()) {
                        keys = Keys.keys(cmd, a, Keys.scratchKeys(a));
                    }
                    long result = s.check(cmd, a, keys == null ? NO_KEYS : keys);
                    r = AclSelector.code(result);
                    pos = AclSelector.position(result);
                    if (r == AclSelector.OK && shared && !explicit(s, cmd)) {
                        r = AclSelector.DENIED_CMD;
                    }
                }
                if (r == AclSelector.OK) {
                    int sort = sortPatterns(cmd, a);
                    if (sort != AclSelector.OK && !anyUnrestrictedRead(cmd, a)) {
                        return new Verdict(sort, cmd.fullName, 0);
                    }
                    return OK;
                }
            } catch (Args.NotYetRead e) {
                undecided = true; // another selector may still allow it from what was read
                continue;
            }
            if (r > relevant || (r == relevant && pos > lastPos)) {
                relevant = r;
                lastPos = pos;
            }
        }
        return new Verdict(undecided ? UNDECIDED : relevant, cmd.fullName, lastPos);
    }

    /**
     * The refusal for a command whose verdict depends on an argument the gateway will not read (larger than it
     * buffers): such an argument matches no key or channel pattern and names no subcommand, so the command is
     * refused as Redis refuses a key (or channel, or command) outside the user's permissions.
     */
    public Verdict unreadable(Verdict undecided) {
        Spec cmd = table.lookup(undecided.fullName());
        int code = cmd != null && cmd.hasKeys()
                ? AclSelector.DENIED_KEY
                : cmd != null && Keys.hasChannels(cmd) ? AclSelector.DENIED_CHANNEL : AclSelector.DENIED_CMD;
        return new Verdict(code, undecided.fullName(), 0);
    }

    /**
     * Whether the command reaches beyond the client's own connection and data through the shared identity: the
     * {@link #SHARED_IDENTITY} commands, and {@code CLIENT TRACKING} with {@code BCAST} (invalidations for every
     * key written by anyone, so key names outside the role's patterns) or {@code REDIRECT} (invalidations sent to
     * another connection, possibly another user's).
     */
    static boolean sharedIdentity(Spec cmd, Args a) {
        if (SHARED_IDENTITY.contains(cmd.fullName)
                || (cmd.parent != null && SHARED_IDENTITY.contains(cmd.parent.fullName))) {
            return true;
        }
        if (cmd.fullName.equals("client|tracking")) {
            // CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
            for (int j = 3; j < a.count(); j++) {
                if (a.is(j, "BCAST") || a.is(j, "REDIRECT")) {
                    return true;
                }
                if (a.is(j, "PREFIX")) {
                    j++; // a prefix may itself be spelled BCAST
                }
            }
        }
        return false;
    }

    private static boolean explicit(AclSelector s, Spec cmd) {
        return s.explicitlyAllowed(cmd);
    }

    private Verdict unknown(String name) {
        String fullName = name.length() > 128 ? name.substring(0, 128) : name; // Redis quotes at most 128 too
        for (AclSelector s : selectors) {
            if (s.allCommands() && s.allKeys() && s.allChannels()) {
                return OK;
            }
        }
        return new Verdict(AclSelector.DENIED_CMD, fullName, 0);
    }

    /** SORT's BY (with a {@code *}) and GET need unrestricted key access, checked by Redis at execution. */
    private static int sortPatterns(Spec cmd, Args a) {
        if (!cmd.fullName.equals("sort") && !cmd.fullName.equals("sort_ro")) {
            return AclSelector.OK;
        }
        int argc = a.count();
        for (int j = 2; j < argc; j++) {
            int left = argc - j - 1;
            if (a.is(j, "ASC") || a.is(j, "DESC") || a.is(j, "ALPHA")) {
                continue;
            } else if (a.is(j, "LIMIT") && left >= 2) {
                j += 2;
            } else if (a.is(j, "STORE") && left >= 1 && cmd.fullName.equals("sort")) {
                j++;
            } else if (a.is(j, "BY") && left >= 1) {
                byte[] p = a.bytes(j + 1);
                for (byte b : p) {
                    if (b == '*') {
                        return DENIED_SORT_BY;
                    }
                }
                j++;
            } else if (a.is(j, "GET") && left >= 1) {
                return DENIED_SORT_GET;
            } else {
                return AclSelector.OK; // syntax error upstream
            }
        }
        return AclSelector.OK;
    }

    /** Redis's {@code ACLUserCheckCmdWithUnrestrictedKeyAccess} for read access. */
    private boolean anyUnrestrictedRead(Spec cmd, Args a) {
        for (AclSelector s : selectors) {
            if (AclSelector.code(s.check(cmd, a, NO_KEYS)) == AclSelector.OK && s.unrestrictedRead()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The error line Redis gives for a denial (without CRLF), in the wording of {@code redisVersion}: 7.0 and 7.1
     * say {@code this user}; 7.2 and later name the user.
     */
    public static String errorLine(Verdict v, String redisVersion, String user) {
        boolean named = isAtLeast(redisVersion, 7, 2);
        return switch (v.code()) {
            case AclSelector.DENIED_CMD ->
                named
                        ? "-NOPERM User " + user + " has no permissions to run the '" + v.fullName() + "' command"
                        : "-NOPERM this user has no permissions to run the '" + v.fullName() + "' command";
            case AclSelector.DENIED_KEY ->
                named
                        ? "-NOPERM No permissions to access a key"
                        : "-NOPERM this user has no permissions to access one of the keys used as arguments";
            case AclSelector.DENIED_CHANNEL ->
                named
                        ? "-NOPERM No permissions to access a channel"
                        : "-NOPERM this user has no permissions to access one of the channels used as arguments";
            case DENIED_SORT_BY -> "-ERR BY option of SORT denied due to insufficient ACL permissions.";
            case DENIED_SORT_GET -> "-ERR GET option of SORT denied due to insufficient ACL permissions.";
            default -> throw new IllegalArgumentException("not a denial: " + v);
        };
    }

    static boolean isAtLeast(String version, int major, int minor) {
        if (version == null) {
            return false;
        }
        String[] p = version.split("\\.");
        try {
            int ma = Integer.parseInt(p[0]);
            int mi = p.length > 1 ? Integer.parseInt(p[1]) : 0;
            return ma > major || (ma == major && mi >= minor);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
