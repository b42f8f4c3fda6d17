package io.github.redisentra.gateway.upstream;

import io.github.redisentra.core.AccessToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-authenticates a RESP2 subscriber, which cannot send AUTH on its subscribed connection, by replacing the
 * connection (make before break):
 *
 * <ol>
 *   <li>client input is paused and owed replies are awaited, so the subscription set is stable;
 *   <li>a new upstream connection is opened, and {@code AUTH} with the renewed token plus the session's
 *       {@code SUBSCRIBE}/{@code PSUBSCRIBE}/{@code SSUBSCRIBE} set are written in one write; their replies are
 *       consumed here (the client never sees the duplicate confirmations);
 *   <li>once every confirmation arrived, a {@code PING} is written on the old connection: every message the old
 *       connection delivers before its reply was published before that PING ran, so none published before the new
 *       subscriptions were active is lost; messages the new connection received meanwhile are held;
 *   <li>at that PING's reply nothing more from the old connection reaches the client, and a {@code PING} is written
 *       on the new one: at its reply the new connection has delivered every message published before the old PING
 *       ran, so every message the old connection delivered after the new subscriptions were active is among the
 *       held ones;
 *   <li>the held messages are delivered minus the ones the old connection already delivered (see {@link #overlap}),
 *       the new connection becomes the session's and the old one is closed.
 * </ol>
 *
 * No message is lost or repeated, provided no byte-identical messages (same channel, same payload) are published
 * within the switch window (one or two round trips): those cannot be told apart, and one may be taken for a copy of
 * another and dropped. The connection's client name, id and tracking state are not carried over. Any failure closes
 * the session with an {@code -ERR}: the old connection's token expires soon. Started and routed by
 * {@link UpstreamLink}; its AUTH frame is {@link UpstreamAuth}'s.
 */
final class Handover {
    private static final Logger log = LoggerFactory.getLogger(Handover.class);

    private static final int MAX_OLD_HASHES = 65_536;
    private static final long MAX_HELD_BYTES = 8L * 1024 * 1024;
    private static final byte[] PING_CMD = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);

    private final UpstreamLink link;
    private final UpstreamLink.Host host;
    private final UpstreamAuth auth;
    private final UpstreamDialer dialer;
    final ReplySink route;
    private final AccessToken token;
    private final PubSubReply pubSub = new PubSubReply();

    private Channel channel;
    private boolean begun;
    private boolean authenticated;
    /** The new connection's CLIENT SETNAME reply is owed (swallowed: a refusal only leaves it unnamed). */
    private boolean nameOwed;

    private int confirmationsOwed;
    private boolean oldEnded;
    private final ArrayDeque<Long> oldHashes = new ArrayDeque<>();
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    private final ArrayDeque<Long> heldHashes = new ArrayDeque<>();
    private long heldBytes;
    private boolean recording;

    Handover(UpstreamLink link, UpstreamLink.Host host, UpstreamAuth auth, UpstreamDialer dialer, AccessToken token) {
        this.link = link;
        this.host = host;
        this.auth = auth;
        this.dialer = dialer;
        this.route = link.newRoute();
        this.token = token;
    }

    void begin() {
        if (begun) {
            return;
        }
        begun = true;
        if (!host.resp2Subscribed()) { // the subscription ended while replies were awaited
            link.ended();
            auth.send(token);
            host.proceed();
            return;
        }
        dialer.connect(host.eventLoop(), route).addListener(f -> {
            if (!link.current(this)) {
                if (f.isSuccess()) {
                    ((Channel) f.getNow()).close();
                }
                return;
            }
            if (!f.isSuccess()) {
                abort("cannot connect to the cache (" + UpstreamLink.reason(f.cause()) + ")");
                return;
            }
            channel = (Channel) f.getNow();
            host.upstreamConnected();
            log.debug(
                    "client {}: moving RESP2 subscriptions to a new upstream connection for {}",
                    host.clientAddress(),
                    token);
            channel.writeAndFlush(resubscription(), channel.voidPromise());
            recording = true;
        });
    }

    private ByteBuf resubscription() {
        ByteBuf b = host.alloc().buffer(256 + token.secret().length());
        auth.writeAuthFrame(b, token);
        byte[] name = host.nameFrame();
        if (name != null) {
            b.writeBytes(name);
            nameOwed = true;
        }
        confirmationsOwed = 0;
        String[] names = {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"};
        for (int family = 0; family < 2; family++) {
            Set<String> set = host.subscriptions(family);
            if (!set.isEmpty()) {
                header(b, 1 + set.size());
                bulk(b, names[family].getBytes(StandardCharsets.US_ASCII));
                for (String ch : set) {
                    bulk(b, ch.getBytes(StandardCharsets.ISO_8859_1));
                }
                confirmationsOwed += set.size();
            }
        }
        for (String ch : host.subscriptions(2)) { // one per shard channel: a cluster refuses cross-slot SSUBSCRIBE
            header(b, 2);
            bulk(b, names[2].getBytes(StandardCharsets.US_ASCII));
            bulk(b, ch.getBytes(StandardCharsets.ISO_8859_1));
            confirmationsOwed++;
        }
        return b;
    }

    /** A reply on the new connection. */
    void onReply(ByteBuf frame) {
        if (!authenticated) {
            boolean ok = UpstreamAuth.isOk(frame);
            frame.release();
            if (!ok) {
                log.warn("upstream refused the gateway's credential {} for client {}", token, host.clientAddress());
                abort("refused", "the cache refused the gateway's renewed credential");
                return;
            }
            authenticated = true;
            return;
        }
        if (nameOwed) {
            nameOwed = false;
            if (frame.getByte(frame.readerIndex()) == '-') {
                log.debug("client {}: the new upstream connection stays unnamed", host.clientAddress());
            }
            frame.release();
            return;
        }
        int kind = pubSub.classify(frame);
        if (kind == PubSubReply.NONE && oldEnded && frame.getByte(frame.readerIndex()) == '*') {
            frame.release(); // the reply to the new connection's PING: it has delivered all the overlap
            complete();
            return;
        }
        if (kind == PubSubReply.MESSAGE) {
            heldHashes.add(hash(frame));
            heldBytes += frame.readableBytes();
            held.add(frame);
            if (heldBytes > MAX_HELD_BYTES) {
                abort("more than " + MAX_HELD_BYTES + " bytes of messages arrived during the switch");
            }
            return;
        }
        if (kind == PubSubReply.SUBSCRIBED && confirmationsOwed > 0) {
            frame.release();
            if (--confirmationsOwed == 0) {
                host.owePing(); // on the old connection, see the class comment
            }
            return;
        }
        String first =
                frame.toString(frame.readerIndex(), Math.min(frame.readableBytes(), 200), StandardCharsets.UTF_8);
        frame.release();
        abort("unexpected reply while resubscribing: "
                + first.lines().findFirst().orElse("").replaceAll("[^ -~]", "?"));
    }

    /** A message the old connection delivered to the client while the new one was being prepared. */
    void deliveredByOld(ByteBuf frame) {
        if (recording) {
            if (oldHashes.size() == MAX_OLD_HASHES) {
                oldHashes.pollFirst();
            }
            oldHashes.add(hash(frame));
        }
    }

    /**
     * The reply to the old connection's PING: it has delivered every message published before that PING ran; nothing
     * more of it reaches the client. A PING on the new connection now marks the point by which the new one has
     * delivered all of those the old one may have delivered too.
     */
    void oldStreamEnded() {
        link.retireCurrent();
        oldEnded = true;
        channel.writeAndFlush(Unpooled.wrappedBuffer(PING_CMD), channel.voidPromise());
    }

    /** The reply to the new connection's PING: drop the duplicates, deliver the rest, switch. */
    private void complete() {
        long[] old = oldHashes.stream().mapToLong(Long::longValue).toArray();
        long[] fresh = heldHashes.stream().mapToLong(Long::longValue).toArray();
        int overlap = overlap(old, fresh);
        for (int i = 0; i < overlap; i++) {
            held.pollFirst().release();
        }
        ByteBuf m;
        while ((m = held.pollFirst()) != null) {
            if (!host.deliver(m)) {
                return; // the session failed; the handover was released with it
            }
        }
        link.completed(route, channel);
        host.reauthenticated(true);
        log.debug(
                "client {}: RESP2 subscriber moved to a connection authenticated with {} ({} messages delivered"
                        + " by the old connection meanwhile, {} held from the new one, {} duplicates suppressed)",
                host.clientAddress(),
                token,
                old.length,
                fresh.length,
                overlap);
        auth.handedOver(token);
        if (!link.handingOver()) {
            host.proceed();
        }
        host.flush();
    }

    void abort(String why) {
        abort("handover", why);
    }

    private void abort(String reason, String why) {
        host.reauthFailed(reason);
        host.fail("-ERR gateway: the upstream connection could not be re-authenticated for this RESP2 subscriber ("
                + why + "); reconnect");
    }

    void release() {
        ByteBuf m;
        while ((m = held.pollFirst()) != null) {
            m.release();
        }
        if (channel != null) {
            channel.close();
        }
    }

    /**
     * How many messages at the start of {@code fresh} the old connection already delivered: the longest prefix of
     * {@code fresh} found in {@code old} in the same order. Both connections see one publish order; every message the
     * new connection received that was published before the old connection's last PING ran is in {@code old} (it was
     * subscribed to all of them), and none published after that is. The new connection may lack some messages the old
     * one has (its subscriptions can become active one command after another), hence a subsequence, not a run.
     * Byte-identical messages cannot be told apart: one of them may be taken for another.
     */
    static int overlap(long[] old, long[] fresh) {
        if (fresh.length == 0) {
            return 0;
        }
        int j = 0;
        while (j < old.length && old[j] != fresh[0]) {
            j++;
        }
        int k = 0;
        for (; j < old.length && k < fresh.length; j++) {
            if (old[j] == fresh[k]) {
                k++;
            }
        }
        return k;
    }

    /** FNV-1a (64 bit) of a frame's bytes: tells messages apart for the duplicate suppression. */
    private static long hash(ByteBuf b) {
        long h = 0xcbf29ce484222325L;
        for (int i = b.readerIndex(), end = b.writerIndex(); i < end; i++) {
            h ^= b.getByte(i) & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static void header(ByteBuf b, int n) {
        b.writeByte('*').writeCharSequence(Integer.toString(n), StandardCharsets.US_ASCII);
        b.writeShort(0x0d0a);
    }

    private static void bulk(ByteBuf b, byte[] value) {
        b.writeByte('$').writeCharSequence(Integer.toString(value.length), StandardCharsets.US_ASCII);
        b.writeShort(0x0d0a);
        b.writeBytes(value).writeShort(0x0d0a);
    }
}
