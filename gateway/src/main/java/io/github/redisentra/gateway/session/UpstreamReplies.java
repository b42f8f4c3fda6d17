package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.audit.UpstreamClientName;
import io.github.redisentra.gateway.cluster.ClusterReplies;
import io.github.redisentra.gateway.upstream.ReplySink;
import io.github.redisentra.gateway.upstream.UpstreamLink;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a session's upstream replies go (the {@link ReplySink} its {@link UpstreamLink} routes to): the head entry of
 * the {@link ReplyLedger} decides, one reply at a time in command order. A plain forwarded reply is claimed for the
 * pass-through run (with an audited one answered without an error) and leaves with its neighbours in one write; a large
 * one is passed on in parts; pub/sub traffic goes to {@link PubSubState}; the replies of the gateway's own commands are
 * checked and swallowed or replaced; in cluster mode replies naming upstream addresses go to {@link ClusterHold}, which
 * may hold everything behind them. Event-loop confined.
 */
final class UpstreamReplies implements ReplySink {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    private final ClientSession s;
    /** Cluster mode: error replies are read (a {@code -MOVED} is rewritten), never claimed for the pass-through. */
    private final boolean cluster;
    /** Between the first part of a large reply and its end. */
    private boolean midReply;

    UpstreamReplies(ClientSession session, boolean cluster) {
        this.s = session;
        this.cluster = cluster;
    }

    @Override
    public boolean onReplyPart(ByteBuf part) {
        if (s.failed || s.clusterHold.holding() || !s.ledger.headIsForward() || s.resp2Subscribed()) {
            return false;
        }
        if (!midReply) {
            s.audit.replied(s.ledger.head(), part);
        }
        midReply = true;
        s.toClient(part);
        return true;
    }

    /**
     * A plain forwarded reply with nothing to inspect: account for it now, take its bytes in {@link #onPassThrough}
     * together with the following ones (a pipeline's replies leave in one write).
     */
    @Override
    public boolean claimPassThrough() {
        if (s.failed || midReply || !s.ledger.headIsPlainForward() || s.resp2Subscribed()) {
            return false;
        }
        s.ledger.next();
        return true;
    }

    /** In cluster mode errors are never claimed (a {@code -MOVED} is rewritten), nor anything while replies are held. */
    @Override
    public boolean claimPassThrough(byte firstByte) {
        if (cluster && (firstByte == '-' || s.clusterHold.holding())) {
            return false;
        }
        if (claimPassThrough()) {
            return true;
        }
        // an audited command answered without an error (its result class known from the first byte, as
        // Result.ofReply would read it): recorded now, its reply stays in the run instead of splitting it
        if (firstByte != '-'
                && firstByte != '!'
                && !s.failed
                && !midReply
                && s.ledger.head() instanceof ReplyLedger.Audited a
                && !s.resp2Subscribed()) {
            s.ledger.next();
            s.audit.repliedWithoutError(a);
            return true;
        }
        return false;
    }

    @Override
    public void onPassThrough(ByteBuf replies) {
        if (s.failed) {
            replies.release();
            return;
        }
        if (s.clusterHold.keep(replies, false, true)) { // claimed before the hold began, delivered after it
            return;
        }
        s.toClient(replies);
        s.flushLocals();
    }

    @Override
    public void onReply(ByteBuf frame, boolean push) {
        if (s.failed) {
            frame.release();
            return;
        }
        if (s.clusterHold.keep(frame, push, false)) { // behind a redirect waiting for the topology, in order
            return;
        }
        if (midReply) {
            midReply = false;
            s.ledger.next();
            s.toClient(frame);
            s.flushLocals();
            return;
        }
        if (s.pubSub.offer(frame, push, s.ledger.head(), s.protocol.version == 2)) {
            return;
        }
        ReplyLedger.Owed entry = s.ledger.next();
        if (entry == null || entry instanceof ReplyLedger.Local) {
            frame.release();
            log.warn("client {}: upstream sent a reply no command is waiting for", s.client.remoteAddress());
            s.fail("-ERR gateway: upstream reply stream out of sync; reconnect");
            return;
        }
        if (entry instanceof ReplyLedger.Injected injected) {
            if (!s.upstreamAuth.acknowledged(injected.token(), frame)) {
                return;
            }
        } else if (entry instanceof ReplyLedger.Replaced replaced) {
            frame.release();
            s.writeLine(replaced.line());
        } else if (entry instanceof ReplyLedger.Hello hello) {
            s.protocol.helloAnswered(frame, hello.protocol());
            s.toClient(frame);
        } else if (entry instanceof ReplyLedger.Named) {
            UpstreamClientName.acknowledged(frame); // a refusal leaves the connection unnamed (logged once)
            frame.release();
        } else if (entry instanceof ReplyLedger.HandoverPing) {
            frame.release();
            s.link.oldPingAnswered();
        } else if (entry instanceof ReplyLedger.Reset) {
            s.protocol.resetAnswered();
            s.toClient(frame);
        } else if (entry instanceof ReplyLedger.Rewritten rewritten) {
            s.audit.replied(rewritten.forward(), frame);
            s.clusterHold.reply(rewritten.kind(), rewritten.execKinds(), frame);
        } else {
            s.audit.replied(entry, frame);
            if (cluster && ClusterReplies.mayBeRedirect(frame)) {
                s.clusterHold.reply(ClusterReplies.Kind.NONE, null, frame);
            } else {
                s.toClient(frame); // Forward, or a pub/sub command answered by an error
            }
        }
        s.flushLocals();
    }

    @Override
    public void onReadBatchComplete() {
        s.flush();
    }

    @Override
    public void onUpstreamLost(String reason, Throwable cause) {
        if (s.failed || s.clientGone || (s.closing && s.ledger.isEmpty())) {
            return;
        }
        s.events.upstreamFailed("lost");
        log.warn("upstream lost for client {}: {}", s.client == null ? "?" : s.client.remoteAddress(), reason);
        s.executeOnLoop(() -> s.fail("-ERR upstream unavailable: " + reason + "; reconnect"));
    }

    @Override
    public void onUpstreamWritabilityChanged(boolean writable) {
        s.updateAutoRead();
        if (writable) {
            s.input.process();
        }
    }
}
