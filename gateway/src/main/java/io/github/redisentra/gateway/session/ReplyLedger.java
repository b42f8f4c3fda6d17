package io.github.redisentra.gateway.session;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.acl.CommandTable;
import io.github.redisentra.gateway.cluster.ClusterReplies;
import io.github.redisentra.gateway.resp.Command;
import java.util.ArrayDeque;

/**
 * What a client is owed, in the order its commands arrived: one {@link Owed} entry per command the client sent, plus
 * one per command the gateway wrote upstream itself. The head entry says what the next upstream reply belongs to
 * (passed through, swallowed, replaced by other bytes, read for state) or, for a {@link Local} entry, that the
 * gateway answers next without waiting for upstream. Reply order holds because replies are written only for the
 * head entry; the session never writes a reply any other way (except when it fails the connection).
 *
 * <p>Event-loop confined, like the session that owns it; entries hold no buffers.
 */
final class ReplyLedger {

    /** Marks a pub/sub command whose confirmation count is not known before the first confirmation arrives. */
    static final int UNKNOWN = -1;

    /** One entry: what one upstream reply (or one local answer) belongs to. */
    sealed interface Owed
            permits Forward, Local, Replaced, Injected, Hello, Reset, HandoverPing, PubSub, Named, Rewritten {}

    /** A forwarded command: owed the next upstream reply, passed through untouched. */
    static sealed class Forward implements Owed permits Audited {}

    /**
     * A forwarded command the command audit records ({@code AUDIT_COMMANDS}): its reply is passed through as a
     * {@link Forward}'s, once read for its result class; only allocated for audited commands.
     */
    static final class Audited extends Forward {
        final CommandTable.Spec spec;
        final int keys;
        final long startNanos;

        Audited(CommandTable.Spec spec, int keys, long startNanos) {
            this.spec = spec;
            this.keys = keys;
            this.startNanos = startNanos;
        }
    }

    /**
     * Cluster mode only (issue #18): a forwarded command whose reply names upstream addresses ({@code CLUSTER SLOTS},
     * {@code SHARDS}, {@code NODES}, {@code REPLICAS}, {@code ROLE}, {@code INFO}, {@code CLIENT LIST/INFO}, and
     * {@code EXEC}, whose result may hold redirects and queued topology commands' results). Its reply is read whole
     * (never streamed, never passed through unread) and rewritten to gateway endpoints before it goes to the client.
     *
     * @param forward the entry the command owed otherwise ({@link #FORWARD} or its {@link Audited} kind)
     * @param execKinds for {@code EXEC}: the kind of each queued command, in order; else {@code null}
     */
    record Rewritten(ClusterReplies.Kind kind, ClusterReplies.Kind[] execKinds, Forward forward) implements Owed {}

    /** The gateway's {@code CLIENT SETNAME} naming the upstream connection: its reply is checked, never shown. */
    record Named() implements Owed {}

    /** Answered by the gateway ({@code +OK} to AUTH, {@code -NOAUTH}, a refusal): {@code line} without CRLF. */
    record Local(String line, boolean closeAfter) implements Owed {}

    /**
     * An upstream reply swallowed and answered with {@code line} instead (inside MULTI: the bare AUTH or DISCARD that
     * makes upstream abort the transaction, so the client's EXEC fails as in Redis).
     */
    record Replaced(String line) implements Owed {}

    /** An {@code AUTH} the gateway wrote upstream with {@code token}; its reply is checked ({@code +OK}), never shown. */
    record Injected(AccessToken token) implements Owed {}

    /** A {@code HELLO} forwarded without its AUTH; a successful reply switches the session to {@code protocol}. */
    record Hello(int protocol) implements Owed {}

    /** A forwarded {@code RESET}: its reply returns the session to RESP2 with no subscriptions. */
    record Reset() implements Owed {}

    /** The {@code PING} a handover sends on the old upstream connection; its reply marks the old stream's end. */
    record HandoverPing() implements Owed {}

    /**
     * A (un)subscribe command, answered by one confirmation per channel (or, unsubscribing from all, one per current
     * subscription, at least one): the entry stays at the head until the last one arrived.
     */
    static final class PubSub implements Owed {
        /** 0 = channels, 1 = patterns, 2 = shard channels (as {@link io.github.redisentra.gateway.upstream.PubSubReply#family}). */
        final int family;

        private int remaining;

        PubSub(int family, int remaining) {
            this.family = family;
            this.remaining = remaining;
        }

        /**
         * Counts one confirmation; {@code subscribedNow} is the family's subscription count before this confirmation
         * is applied (what an unsubscribe-from-all is answered for). Returns whether it was the last one owed.
         */
        boolean confirmed(int subscribedNow) {
            if (remaining == UNKNOWN) {
                remaining = Math.max(1, subscribedNow);
            }
            return --remaining == 0;
        }

        int remaining() {
            return remaining;
        }
    }

    static final Forward FORWARD = new Forward();
    static final Named NAMED = new Named();
    static final Reset RESET = new Reset();
    static final HandoverPing HANDOVER_PING = new HandoverPing();

    private final ArrayDeque<Owed> entries = new ArrayDeque<>();

    /**
     * The entry a forwarded command owes: {@link PubSub} for a (un)subscribe outside MULTI (several confirmations),
     * {@link #FORWARD} for anything else (one reply, also a SUBSCRIBE without channels: upstream's arity error).
     */
    static Owed forwarded(Command cmd) {
        int family;
        boolean subscribe;
        if (cmd.is("SUBSCRIBE")) {
            family = 0;
            subscribe = true;
        } else if (cmd.is("PSUBSCRIBE")) {
            family = 1;
            subscribe = true;
        } else if (cmd.is("SSUBSCRIBE")) {
            family = 2;
            subscribe = true;
        } else if (cmd.is("UNSUBSCRIBE")) {
            family = 0;
            subscribe = false;
        } else if (cmd.is("PUNSUBSCRIBE")) {
            family = 1;
            subscribe = false;
        } else if (cmd.is("SUNSUBSCRIBE")) {
            family = 2;
            subscribe = false;
        } else {
            return FORWARD;
        }
        int n = cmd.argc() - 1;
        if (subscribe && n == 0) {
            return FORWARD; // arity error from upstream: one plain reply
        }
        return new PubSub(family, n == 0 ? UNKNOWN : n);
    }

    void add(Owed entry) {
        entries.addLast(entry);
    }

    /** The entry the next reply belongs to, or null when nothing is owed. */
    Owed head() {
        return entries.peekFirst();
    }

    /** Removes and returns the head entry, or null when nothing is owed. */
    Owed next() {
        return entries.pollFirst();
    }

    /** Removes and returns the head entry if the gateway answers it itself, else null (then upstream answers next). */
    Local nextLocal() {
        if (entries.peekFirst() instanceof Local l) {
            entries.pollFirst();
            return l;
        }
        return null;
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    int size() {
        return entries.size();
    }

    /** Whether the next upstream reply is a plain one for a forwarded command (may be passed through unread). */
    boolean headIsForward() {
        return entries.peekFirst() instanceof Forward;
    }

    /** Whether the next upstream reply is a plain, unaudited forwarded one (may be passed through unread). */
    boolean headIsPlainForward() {
        return entries.peekFirst() == FORWARD;
    }

    /** Whether a (un)subscribe is still owed confirmations: in RESP2 the connection may be subscribed once it ends. */
    boolean owesPubSub() {
        for (Owed e : entries) {
            if (e instanceof PubSub) {
                return true;
            }
        }
        return false;
    }

    /** Forgets every entry (the session failed or closed: owed replies will never be written). */
    void clear() {
        entries.clear();
    }
}
