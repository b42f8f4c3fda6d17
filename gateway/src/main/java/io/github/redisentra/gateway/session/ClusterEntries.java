package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.cluster.ClusterCommands;
import io.github.redisentra.gateway.cluster.ClusterReplies;
import io.github.redisentra.gateway.resp.Command;
import java.util.ArrayList;
import java.util.List;

/**
 * Cluster mode (issue #18): the ledger entry a forwarded command owes when its reply names upstream addresses (a
 * {@link ReplyLedger.Rewritten} of its reply kind, {@link ClusterCommands#replyKind}), and inside {@code MULTI} the
 * reply kinds of the queued commands, by which {@code EXEC}'s result is rewritten. Only a session bridged to a cluster
 * node has one. Event-loop confined.
 */
final class ClusterEntries {
    /** Inside MULTI: the reply kind of each queued command; {@code null} outside a transaction. */
    private List<ClusterReplies.Kind> queuedKinds;

    /** A {@code MULTI} starts a transaction. */
    void multi() {
        queuedKinds = new ArrayList<>();
    }

    /** A command queued inside MULTI (its result in EXEC's array is rewritten by its kind). */
    void queued(Command cmd) {
        if (queuedKinds != null) {
            queuedKinds.add(ClusterCommands.replyKind(cmd));
        }
    }

    /** The entry of a command forwarded outside MULTI whose reply names upstream addresses, else {@code entry}. */
    ReplyLedger.Owed entry(Command cmd, ReplyLedger.Owed entry) {
        ClusterReplies.Kind[] execKinds = null;
        if (cmd.is("EXEC") || cmd.is("DISCARD")) {
            execKinds = queuedKinds == null ? null : queuedKinds.toArray(new ClusterReplies.Kind[0]);
            queuedKinds = null;
        }
        if (!(entry instanceof ReplyLedger.Forward forward)) {
            return entry; // (un)subscribe: confirmations only
        }
        ClusterReplies.Kind kind = ClusterCommands.replyKind(cmd);
        return kind == ClusterReplies.Kind.NONE ? entry : new ReplyLedger.Rewritten(kind, execKinds, forward);
    }
}
