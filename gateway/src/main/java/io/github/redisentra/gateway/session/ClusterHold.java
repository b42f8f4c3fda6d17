package io.github.redisentra.gateway.session;

import io.github.redisentra.gateway.cluster.ClusterReplies;
import io.github.redisentra.gateway.cluster.ClusterView;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode (issue #18): a session's replies that name upstream addresses, rewritten to gateway endpoints
 * ({@link ClusterReplies}), and the hold. A redirect to a node the map does not know is held, with every upstream reply
 * (or claimed run of them) that arrives behind it and, through {@link #holding()}, every local answer, while
 * {@link ClusterView#refresh} runs (the upstream connection is not read meanwhile); then it is rewritten, or answered
 * {@link ClusterReplies#TRYAGAIN} if the node is still unknown or the refresh has not reported back within
 * {@link #REFRESH_WAIT}, and what was held behind it is released in order. Without a cluster nothing is ever held.
 * Event-loop confined.
 */
final class ClusterHold {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    /** How long a reply waits for a topology refresh that never reports back before the session moves on. */
    static final Duration REFRESH_WAIT = Duration.ofSeconds(10);

    /** A reply held while the topology is refreshed: rewritten once the refresh is done. */
    private record HeldRedirect(ClusterReplies.Kind kind, ClusterReplies.Kind[] execKinds, ByteBuf frame) {}

    /** An upstream reply (or a claimed run of them) that arrived while a reply was held. */
    private record Held(ByteBuf bytes, boolean push, boolean passThrough) {}

    private final ClientSession s;
    /** The cache's topology, or {@code null} when the session is not bridged to a cluster node. */
    private final ClusterView cluster;
    /** The reply held while the topology is refreshed, or {@code null}. */
    private HeldRedirect pending;
    /** The upstream replies that arrived behind {@link #pending}, in order; {@code null} unless held. */
    private ArrayDeque<Held> held;
    /** Counts holds, so that a late refresh callback or timeout cannot release a later hold. */
    private int holds;

    ClusterHold(ClientSession session, ClusterView cluster) {
        this.s = session;
        this.cluster = cluster;
    }

    /** Whether replies are held: upstream replies and local answers wait behind the held redirect. */
    boolean holding() {
        return held != null;
    }

    /**
     * Keeps an upstream reply ({@code passThrough}: a claimed run, delivered as is) in its place behind the held
     * redirect; returns {@code false}, not taking it, when nothing is held.
     */
    boolean keep(ByteBuf bytes, boolean push, boolean passThrough) {
        if (held == null) {
            return false;
        }
        held.add(new Held(bytes, push, passThrough));
        return true;
    }

    /** Rewrites a reply naming upstream addresses, or holds it until the topology knows a redirect's target. */
    void reply(ClusterReplies.Kind kind, ClusterReplies.Kind[] execKinds, ByteBuf frame) {
        ClusterReplies rewriter = new ClusterReplies(cluster.endpoints(), cluster.self());
        ByteBuf out;
        try {
            out = rewriter.rewrite(kind, execKinds, frame, false);
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
        if (out == null) {
            hold(kind, execKinds, frame);
            return;
        }
        if (out != frame) {
            frame.release();
        }
        s.toClient(out);
        if (rewriter.unknownSeen()) {
            cluster.refresh(() -> {}); // a node the map lacks was left out: the next topology query finds it
        }
    }

    private void hold(ClusterReplies.Kind kind, ClusterReplies.Kind[] execKinds, ByteBuf frame) {
        pending = new HeldRedirect(kind, execKinds, frame);
        held = new ArrayDeque<>();
        if (s.upstream != null) {
            s.upstream.config().setAutoRead(false);
        }
        log.debug(
                "client {}: redirect to a node without a gateway endpoint, refreshing the topology",
                s.client == null ? "?" : s.client.remoteAddress());
        int hold = ++holds;
        if (s.client != null) { // bounded: a refresh that never reports back must not stall the session
            s.client.eventLoop().schedule(() -> refreshed(hold), REFRESH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        cluster.refresh(() -> s.executeOnLoop(() -> refreshed(hold)));
    }

    /** The topology refresh for hold number {@code hold} is done: deliver the reply and everything behind it. */
    private void refreshed(int hold) {
        HeldRedirect p = pending;
        ArrayDeque<Held> queue = held;
        if (p == null || hold != holds) {
            return; // already delivered (the refresh reported back after the wait, or the other way round)
        }
        pending = null;
        held = null;
        if (s.failed || s.clientGone) {
            p.frame().release();
            releaseAll(queue);
            return;
        }
        ClusterReplies rewriter = new ClusterReplies(cluster.endpoints(), cluster.self());
        ByteBuf out = rewriter.rewrite(p.kind(), p.execKinds(), p.frame(), true);
        if (out != p.frame()) {
            p.frame().release();
        }
        s.toClient(out);
        s.flushLocals();
        while (!queue.isEmpty()) {
            if (held != null) { // a later redirect is held in turn: what is left stays behind it
                held.addAll(queue);
                queue.clear();
                break;
            }
            Held h = queue.poll();
            if (h.passThrough()) {
                s.toClient(h.bytes());
                s.flushLocals();
            } else {
                s.replies.onReply(h.bytes(), h.push());
            }
        }
        if (held == null && s.upstream != null) {
            s.upstream.config().setAutoRead(s.client.isWritable());
        }
        s.flush();
    }

    /** Releases what is held (the session failed or closed). */
    void release() {
        if (pending != null) {
            pending.frame().release();
            pending = null;
        }
        if (held != null) {
            releaseAll(held);
            held = null;
        }
    }

    private static void releaseAll(ArrayDeque<Held> queue) {
        for (Held h; (h = queue.poll()) != null; ) {
            h.bytes().release();
        }
    }
}
