package io.github.redisentra.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.gateway.resp.Command;
import io.github.redisentra.gateway.resp.RequestFramer;
import io.github.redisentra.gateway.resp.RequestLimits;
import io.github.redisentra.gateway.session.ReplyLedger.Owed;
import io.github.redisentra.gateway.session.ReplyLedger.PubSub;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The reply ledger alone, without sockets: what each reply belongs to, in command order. */
class ReplyLedgerTest {

    /** The entry a forwarded command owes, for {@code args} sent as one RESP array. */
    static Owed forwarded(String... args) throws Exception {
        StringBuilder b = new StringBuilder("*" + args.length + "\r\n");
        for (String a : args) {
            b.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        }
        ByteBuf in = Unpooled.copiedBuffer(b.toString(), StandardCharsets.ISO_8859_1);
        try {
            Command c = new RequestFramer().next(in, RequestLimits.AUTHENTICATED_DEFAULT);
            try {
                return ReplyLedger.forwarded(c);
            } finally {
                c.release();
            }
        } finally {
            in.release();
        }
    }

    @Test
    void aLocalAnswerWaitsForTheUpstreamReplyOwedBeforeIt() {
        // pipelined GET a / AUTH t / GET b: only the GETs go upstream
        ReplyLedger ledger = new ReplyLedger();
        ledger.add(ReplyLedger.FORWARD);
        ledger.add(new ReplyLedger.Local("+OK", false));
        ledger.add(ReplyLedger.FORWARD);

        assertThat(ledger.nextLocal()).as("the first GET's reply is owed first").isNull();
        assertThat(ledger.headIsForward()).isTrue();
        assertThat(ledger.next()).isInstanceOf(ReplyLedger.Forward.class);
        assertThat(ledger.nextLocal()).isEqualTo(new ReplyLedger.Local("+OK", false));
        assertThat(ledger.nextLocal())
                .as("the second GET's reply comes from upstream")
                .isNull();
        assertThat(ledger.headIsForward()).isTrue();
        assertThat(ledger.next()).isInstanceOf(ReplyLedger.Forward.class);
        assertThat(ledger.isEmpty()).isTrue();
        assertThat(ledger.next()).as("a reply nobody waits for finds no entry").isNull();
    }

    @Test
    void anAuditedCommandsReplyIsForwardedButNeverPassedThroughUnread() {
        ReplyLedger ledger = new ReplyLedger();
        ledger.add(new ReplyLedger.Audited(null, -1, 0));
        ledger.add(ReplyLedger.NAMED);
        ledger.add(ReplyLedger.FORWARD);

        assertThat(ledger.headIsForward()).as("its reply goes to the client").isTrue();
        assertThat(ledger.headIsPlainForward())
                .as("but is read first, for the audit")
                .isFalse();
        assertThat(ledger.next()).isInstanceOf(ReplyLedger.Audited.class);
        assertThat(ledger.headIsForward())
                .as("the gateway's CLIENT SETNAME: swallowed")
                .isFalse();
        assertThat(ledger.next()).isEqualTo(ReplyLedger.NAMED);
        assertThat(ledger.headIsPlainForward()).isTrue();
    }

    @Test
    void swallowedAndInterpretedRepliesAreNotPlainForwards() {
        ReplyLedger ledger = new ReplyLedger();
        ledger.add(new ReplyLedger.Injected(null));
        ledger.add(new ReplyLedger.Replaced("-ERR in multi"));
        ledger.add(new ReplyLedger.Hello(3));
        ledger.add(ReplyLedger.RESET);
        ledger.add(ReplyLedger.HANDOVER_PING);

        for (int i = 0; i < 5; i++) {
            assertThat(ledger.headIsForward()).isFalse();
            assertThat(ledger.nextLocal()).isNull();
            ledger.next();
        }
        assertThat(ledger.isEmpty()).isTrue();
    }

    @Test
    void aRewrittenTopologyReplyIsNeitherStreamedNorPassedThroughUnread() {
        ReplyLedger ledger = new ReplyLedger();
        ledger.add(new ReplyLedger.Rewritten(
                io.github.redisentra.gateway.cluster.ClusterReplies.Kind.SLOTS, null, ReplyLedger.FORWARD));
        ledger.add(ReplyLedger.FORWARD);

        assertThat(ledger.headIsForward())
                .as("read whole, never streamed in parts")
                .isFalse();
        assertThat(ledger.headIsPlainForward()).isFalse();
        assertThat(ledger.nextLocal()).isNull();
        assertThat(ledger.next()).isInstanceOf(ReplyLedger.Rewritten.class);
        assertThat(ledger.headIsPlainForward()).isTrue();
    }

    @Test
    void subscribeOwesOneConfirmationPerChannel() throws Exception {
        Owed e = forwarded("SUBSCRIBE", "a", "b");
        assertThat(e).isInstanceOf(PubSub.class);
        PubSub ps = (PubSub) e;
        assertThat(ps.family).isZero();
        assertThat(ps.confirmed(0)).isFalse();
        assertThat(ps.confirmed(1)).isTrue();
    }

    @Test
    void unsubscribeFromAllOwesOneConfirmationPerSubscriptionAndAtLeastOne() throws Exception {
        PubSub three = (PubSub) forwarded("PUNSUBSCRIBE");
        assertThat(three.family).isEqualTo(1);
        assertThat(three.remaining()).isEqualTo(ReplyLedger.UNKNOWN);
        assertThat(three.confirmed(3)).isFalse();
        assertThat(three.confirmed(2)).isFalse();
        assertThat(three.confirmed(1)).isTrue();

        PubSub none = (PubSub) forwarded("SUNSUBSCRIBE");
        assertThat(none.family).isEqualTo(2);
        assertThat(none.confirmed(0))
                .as("Redis answers one confirmation with a null channel")
                .isTrue();
    }

    @Test
    void commandsWithOneReplyOweAPlainForward() throws Exception {
        assertThat(forwarded("GET", "k")).isSameAs(ReplyLedger.FORWARD);
        assertThat(forwarded("SUBSCRIBE")).as("arity error: one reply").isSameAs(ReplyLedger.FORWARD);
        assertThat(forwarded("PUBLISH", "a", "m")).isSameAs(ReplyLedger.FORWARD);
        assertThat(((PubSub) forwarded("SSUBSCRIBE", "s")).family).isEqualTo(2);
    }

    @Test
    void aSubscriptionInFlightIsSeenBehindOtherEntries() throws Exception {
        ReplyLedger ledger = new ReplyLedger();
        ledger.add(ReplyLedger.FORWARD);
        assertThat(ledger.owesPubSub()).isFalse();
        ledger.add(forwarded("SUBSCRIBE", "a"));
        assertThat(ledger.owesPubSub()).isTrue();
        ledger.next();
        assertThat(ledger.headIsForward()).isFalse();
        ledger.next();
        assertThat(ledger.owesPubSub()).isFalse();

        ledger.add(forwarded("SUBSCRIBE", "a"));
        ledger.clear();
        assertThat(ledger.isEmpty()).isTrue();
        assertThat(ledger.owesPubSub()).isFalse();
    }
}
