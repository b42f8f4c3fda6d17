package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.upstream.PubSubReply;
import io.netty.buffer.ByteBuf;
import java.util.HashSet;
import java.util.Set;

/**
 * A session's pub/sub state: its subscription sets (kept from the cache's own confirmations, so they are what the
 * upstream connection is subscribed to), the counting of confirmations that answer one (un)subscribe command
 * (several per command, see {@link ReplyLedger.PubSub}), and out-of-band delivery (messages, RESP3 pushes), which
 * bypasses the ledger and is where the client token's expiry is checked: nothing is delivered past it, whichever way
 * the session came to be subscribed. Event-loop confined.
 */
final class PubSubState {
    private final ClientSession s;
    private final PubSubReply reply = new PubSubReply();

    /**
     * Per family, the subscriptions; {@code null} until the session's first subscription (most sessions never
     * subscribe, and an idle connection should not carry three empty sets).
     */
    private Set<String>[] subscriptions;

    PubSubState(ClientSession session) {
        this.s = session;
    }

    boolean subscribed() {
        Set<String>[] sets = subscriptions;
        return sets != null && (!sets[0].isEmpty() || !sets[1].isEmpty() || !sets[2].isEmpty());
    }

    /** The subscriptions of one family: 0 channels, 1 patterns, 2 shard channels (read-only for callers). */
    Set<String> subscriptions(int family) {
        return subscriptions == null ? Set.of() : subscriptions[family];
    }

    void clear() {
        subscriptions = null;
    }

    @SuppressWarnings("unchecked")
    private Set<String> mutable(int family) {
        if (subscriptions == null) {
            subscriptions = new Set[] {new HashSet<>(), new HashSet<>(), new HashSet<>()};
        }
        return subscriptions[family];
    }

    /**
     * Takes {@code frame} if it is pub/sub traffic: a message or push (out-of-band), or a confirmation answering the
     * head entry. Returns false, not consuming it, for any other reply.
     */
    boolean offer(ByteBuf frame, boolean push, ReplyLedger.Owed head, boolean resp2) {
        boolean inPlay = push || (resp2 && (subscribed() || head instanceof ReplyLedger.PubSub));
        int kind = inPlay ? reply.classify(frame) : PubSubReply.NONE;
        if (kind == PubSubReply.MESSAGE && (push || subscribed())) {
            s.link.deliveredByOld(frame);
            deliver(frame);
            return true;
        }
        if ((kind == PubSubReply.SUBSCRIBED || kind == PubSubReply.UNSUBSCRIBED)
                && head instanceof ReplyLedger.PubSub ps
                && ps.family == reply.family) {
            Set<String> set = mutable(reply.family);
            boolean last = ps.confirmed(set.size());
            if (reply.channel != null) {
                if (kind == PubSubReply.SUBSCRIBED) {
                    set.add(reply.channel);
                } else {
                    set.remove(reply.channel);
                }
            }
            s.toClient(frame);
            if (last) {
                s.ledger.next();
                if (resp2 && !subscribed() && !s.inMulti) {
                    s.upstreamAuth.sendDeferred();
                }
                s.flushLocals();
            }
            return true;
        }
        if (push) {
            deliver(frame); // invalidations and other out-of-band data
            return true;
        }
        return false;
    }

    /**
     * Delivers out-of-band data (pub/sub messages, RESP3 pushes: nothing the client's commands are owed) only while
     * the client's identity is valid; past its expiry the session is closed instead. This holds whichever way the
     * session came to be subscribed (a SUBSCRIBE inside MULTI, one pipelined behind a blocking command, ...): the
     * expiry timer closes known subscribers promptly, this is what makes it true. Returns whether delivered.
     */
    boolean deliver(ByteBuf frame) {
        if (s.gate.expired()) {
            frame.release();
            expiredSubscriber();
            return false;
        }
        s.toClient(frame);
        return true;
    }

    void expiredSubscriber() {
        s.events.commandRefused("expired");
        s.fail("-ERR gateway: the client token expired while subscribed; AUTH with a fresh token before it expires,"
                + " or reconnect");
    }
}
