package io.github.redisentra.gateway.cluster;

import io.github.redisentra.gateway.resp.Command;
import java.util.Locale;
import java.util.Set;

/**
 * Which commands of a cluster-transparent gateway's clients need more than a byte-for-byte pass-through: those whose
 * reply names upstream addresses ({@link #replyKind}), and the {@code CLUSTER} subcommands that change the cluster
 * and are refused ({@link #refusal}). Everything else passes through untouched.
 */
public final class ClusterCommands {

    /**
     * {@code CLUSTER} subcommands that administer the cluster (join, forget, move slots, fail over, reset, persist):
     * a client of the gateway must never reshape the cache. {@code CLUSTER LINKS} (node ids, no addresses),
     * {@code COUNT-FAILURE-REPORTS}, {@code KEYSLOT}, {@code MYID} and the other read-only ones pass.
     */
    static final Set<String> REFUSED = Set.of(
            "MEET",
            "FORGET",
            "SETSLOT",
            "FAILOVER",
            "RESET",
            "ADDSLOTS",
            "ADDSLOTSRANGE",
            "DELSLOTS",
            "DELSLOTSRANGE",
            "FLUSHSLOTS",
            "REPLICATE",
            "SAVECONFIG",
            "BUMPEPOCH",
            "SET-CONFIG-EPOCH");

    private ClusterCommands() {}

    /** The rewriting the reply of {@code cmd} needs ({@link ClusterReplies.Kind#NONE}: none beyond redirects). */
    public static ClusterReplies.Kind replyKind(Command cmd) {
        if (cmd.is("CLUSTER")) {
            if (cmd.argIs(1, "SLOTS")) {
                return ClusterReplies.Kind.SLOTS;
            }
            if (cmd.argIs(1, "SHARDS")) {
                return ClusterReplies.Kind.SHARDS;
            }
            if (cmd.argIs(1, "NODES")) {
                return ClusterReplies.Kind.NODES;
            }
            if (cmd.argIs(1, "REPLICAS") || cmd.argIs(1, "SLAVES")) {
                return ClusterReplies.Kind.REPLICAS;
            }
            return ClusterReplies.Kind.NONE;
        }
        if (cmd.is("ROLE")) {
            return ClusterReplies.Kind.ROLE;
        }
        if (cmd.is("INFO")) {
            return ClusterReplies.Kind.INFO;
        }
        if (cmd.is("CLIENT") && (cmd.argIs(1, "LIST") || cmd.argIs(1, "INFO"))) {
            return ClusterReplies.Kind.CLIENT;
        }
        if (cmd.is("EXEC")) {
            return ClusterReplies.Kind.EXEC;
        }
        return ClusterReplies.Kind.NONE;
    }

    /** As {@link #replyKind(Command)}, for a command name and its first argument (or {@code null}). */
    public static ClusterReplies.Kind replyKind(String name, String sub) {
        String n = name.toUpperCase(Locale.ROOT);
        String s = sub == null ? "" : sub.toUpperCase(Locale.ROOT);
        return switch (n) {
            case "CLUSTER" ->
                switch (s) {
                    case "SLOTS" -> ClusterReplies.Kind.SLOTS;
                    case "SHARDS" -> ClusterReplies.Kind.SHARDS;
                    case "NODES" -> ClusterReplies.Kind.NODES;
                    case "REPLICAS", "SLAVES" -> ClusterReplies.Kind.REPLICAS;
                    default -> ClusterReplies.Kind.NONE;
                };
            case "ROLE" -> ClusterReplies.Kind.ROLE;
            case "INFO" -> ClusterReplies.Kind.INFO;
            case "CLIENT" ->
                s.equals("LIST") || s.equals("INFO") ? ClusterReplies.Kind.CLIENT : ClusterReplies.Kind.NONE;
            case "EXEC" -> ClusterReplies.Kind.EXEC;
            default -> ClusterReplies.Kind.NONE;
        };
    }

    /**
     * The error line (without CRLF) refusing {@code cmd} in cluster mode, or {@code null} when it may be forwarded.
     */
    public static String refusal(Command cmd) {
        if (!cmd.is("CLUSTER") || cmd.argc() < 2 || cmd.argLength(1) > 32) {
            return null;
        }
        return refusal("CLUSTER", cmd.argString(1));
    }

    /** As {@link #refusal(Command)}, for a command name and its first argument (or {@code null}). */
    public static String refusal(String name, String sub) {
        if (!"CLUSTER".equalsIgnoreCase(name) || sub == null) {
            return null;
        }
        String s = sub.toUpperCase(Locale.ROOT);
        if (!REFUSED.contains(s)) {
            return null;
        }
        return "-ERR gateway: CLUSTER " + s + " is not allowed through the gateway";
    }
}
