package io.github.redisentra.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.redisentra.core.AccessToken;
import io.github.redisentra.gateway.upstream.UpstreamAuth.Moment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The upstream authentication alone, without sockets: what it writes, when, and when it fails the session. */
class UpstreamAuthTest {
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    static final Duration MARGIN = Duration.ofMinutes(1);

    final EmbeddedChannel loop = new EmbeddedChannel();
    final FakeHost host = new FakeHost();

    @AfterEach
    void close() {
        loop.finishAndReleaseAll();
    }

    static AccessToken token(String secret, Duration ttl) {
        return AccessToken.opaque(secret, NOW, NOW.plus(ttl));
    }

    static UpstreamCredentials identity(String user, AccessToken current) {
        return UpstreamCredentials.tokens(user, () -> Optional.ofNullable(current), l -> () -> {});
    }

    UpstreamAuth auth(UpstreamCredentials identity) {
        return new UpstreamAuth(host, identity, Clock.fixed(NOW, ZoneOffset.UTC), MARGIN);
    }

    static ByteBuf line(String s) {
        return Unpooled.copiedBuffer(s + "\r\n", StandardCharsets.US_ASCII);
    }

    @Test
    void aRenewalIsSentAtOnceWhenTheConnectionCanTakeIt() {
        UpstreamCredentials gw = identity("gw", token("t1", Duration.ofHours(1)));
        UpstreamAuth auth = auth(gw);
        AccessToken t2 = token("t2", Duration.ofHours(2));

        auth.renewed(gw, t2);

        assertThat(host.written).containsExactly("*3\r\n$4\r\nAUTH\r\n$2\r\ngw\r\n$2\r\nt2\r\n");
        assertThat(host.owed).containsExactly(t2);
    }

    @Test
    void aRenewalOfAnotherIdentityIsIgnored() {
        UpstreamAuth auth = auth(identity("gw", token("t1", Duration.ofHours(1))));

        auth.renewed(identity("other", null), token("t2", Duration.ofHours(2)));

        assertThat(host.written).isEmpty();
    }

    @Test
    void aRenewalInsideMultiWaitsUntilTheSessionSaysItMayGo() {
        UpstreamCredentials gw = identity("gw", token("t1", Duration.ofHours(1)));
        UpstreamAuth auth = auth(gw);
        host.moment = Moment.LATER;
        AccessToken t2 = token("t2", Duration.ofHours(2));

        auth.renewed(gw, t2);
        assertThat(host.written).isEmpty();

        auth.sendDeferred();
        assertThat(host.owed).containsExactly(t2);
        auth.sendDeferred();
        assertThat(host.owed).as("sent once").hasSize(1);
    }

    @Test
    void aDeferredRenewalBehindAResp2SubscribeInFlightGoesToAHandoverNotAnAuth() {
        // a renewal deferred by a streamed command, then a RESP2 SUBSCRIBE forwarded: its confirmation is owed, so
        // an AUTH written now would run in subscribed context and be refused by Redis
        UpstreamCredentials gw = identity("gw", token("t1", Duration.ofHours(1)));
        UpstreamAuth auth = auth(gw);
        host.moment = Moment.LATER;
        AccessToken t2 = token("t2", Duration.ofHours(2));
        auth.renewed(gw, t2);

        host.moment = Moment.HANDOVER;
        auth.sendDeferred();

        assertThat(host.written).isEmpty();
        assertThat(host.handovers).containsExactly(t2);
        auth.sendDeferred();
        assertThat(host.handovers).as("handed over once").hasSize(1);
    }

    @Test
    void aResetDropsTheDeferredRenewalAndAuthenticatesWithTheCurrentToken() {
        AccessToken t1 = token("t1", Duration.ofHours(1));
        UpstreamCredentials gw = identity("gw", t1);
        UpstreamAuth auth = auth(gw);
        host.moment = Moment.LATER;
        auth.renewed(gw, token("t2", Duration.ofHours(2)));

        auth.afterReset();
        auth.sendDeferred();

        assertThat(host.owed).containsExactly(t1);
    }

    @Test
    void aRenewalForAResp2SubscriberGoesToAHandover() {
        UpstreamCredentials gw = identity("gw", token("t1", Duration.ofHours(1)));
        UpstreamAuth auth = auth(gw);
        host.moment = Moment.HANDOVER;
        AccessToken t2 = token("t2", Duration.ofHours(2));

        auth.renewed(gw, t2);

        assertThat(host.written).isEmpty();
        assertThat(host.handovers).containsExactly(t2);
    }

    @Test
    void aSwitchIsRefusedUnlessAnAuthCanGoNowAndChangesNothingThen() {
        UpstreamCredentials gw = identity("gw", token("t1", Duration.ofHours(1)));
        UpstreamCredentials role = identity("role", token("r1", Duration.ofHours(1)));
        UpstreamAuth auth = auth(gw);
        host.moment = Moment.HANDOVER;

        assertThat(auth.switchTo(role)).startsWith("-ERR gateway: cannot change the upstream identity");
        assertThat(auth.identity()).isSameAs(gw);
        assertThat(auth.switching()).isFalse();
        assertThat(host.written).isEmpty();

        UpstreamCredentials none = identity("none", null);
        host.moment = Moment.NOW;
        assertThat(auth.switchTo(none)).startsWith("-ERR upstream unavailable: no valid upstream credential");
        assertThat(auth.identity()).isSameAs(gw);
    }

    @Test
    void aSwitchHoldsTheSessionUntilTheCacheAcceptsTheNewIdentity() {
        UpstreamCredentials gw = identity("gw", token("t1", Duration.ofHours(1)));
        AccessToken r1 = token("r1", Duration.ofHours(1));
        UpstreamCredentials role = identity("role", r1);
        UpstreamAuth auth = auth(gw);

        assertThat(auth.switchTo(role)).isNull();
        assertThat(auth.identity()).isSameAs(role);
        assertThat(auth.switching()).isTrue();
        assertThat(host.written).containsExactly("*3\r\n$4\r\nAUTH\r\n$4\r\nrole\r\n$2\r\nr1\r\n");
        assertThat(host.switchAcks).isZero();

        assertThat(auth.acknowledged(r1, line("+OK"))).isTrue();
        assertThat(auth.switching()).isFalse();
        assertThat(host.switchAcks).isEqualTo(1);
        assertThat(host.failure).isNull();
    }

    @Test
    void anythingButOkFailsTheSessionAlsoQueued() {
        AccessToken t1 = token("t1", Duration.ofHours(1));
        UpstreamAuth auth = auth(identity("gw", t1));

        assertThat(auth.acknowledged(t1, line("+QUEUED"))).isFalse();
        assertThat(host.failure)
                .isEqualTo(
                        "-ERR upstream unavailable: the cache refused the gateway's credential;" + " reconnect later");
        assertThat(host.reauthenticated).containsExactly(false);
        assertThat(host.reauthFailures).containsExactly("refused");
    }

    @Test
    void theSessionFailsWhenNoAuthWasAcknowledgedBeforeTheMarginBeforeExpiry() {
        AccessToken soon = token("t1", MARGIN.minusSeconds(1));
        UpstreamAuth auth = auth(identity("gw", soon));

        auth.acknowledged(soon, line("+OK"));
        loop.runScheduledPendingTasks();

        assertThat(host.failure).startsWith("-ERR gateway: the upstream connection could not be re-authenticated");
        assertThat(host.reauthFailures).containsExactly("expired");
        assertThat(host.reauthenticated).containsExactly(false);
    }

    @Test
    void aNewerAcknowledgedAuthMovesTheGuard() {
        AccessToken soon = token("t1", MARGIN.minusSeconds(1));
        AccessToken later = token("t2", Duration.ofHours(1));
        UpstreamAuth auth = auth(identity("gw", soon));

        auth.acknowledged(soon, line("+OK"));
        auth.acknowledged(later, line("+OK"));
        loop.runScheduledPendingTasks();

        assertThat(host.failure).isNull();
        assertThat(host.reauthenticated)
                .as("the second AUTH was a re-authentication")
                .containsExactly(true);
    }

    @Test
    void aWarmConnectionIsGuardedFromItsPoolsAcknowledgementAndItsNextAuthIsARenewal() {
        // a cache that keeps a connection 30 s after each AUTH, less than the margin: the guard counts from the
        // pool's acknowledgement, not from the take
        AccessToken t1 = token("t1", Duration.ofHours(1));
        UpstreamAuth shortLived = auth(identity("gw", t1).withConnectionLimit(Duration.ofSeconds(30)));
        shortLived.adopted(t1, NOW);
        loop.runScheduledPendingTasks();
        assertThat(host.failure).startsWith("-ERR gateway: the upstream connection could not be re-authenticated");
        assertThat(host.written)
                .as("nothing to send: the pool's AUTH was with the current token")
                .isEmpty();
    }

    @Test
    void aWarmConnectionTakenWithTheCurrentTokenSendsNothingAndRenewalsReauthenticateIt() {
        AccessToken t1 = token("t1", Duration.ofHours(1));
        UpstreamCredentials gw = identity("gw", t1);
        UpstreamAuth auth = auth(gw);

        auth.adopted(t1, NOW.minusSeconds(10));
        loop.runScheduledPendingTasks();
        assertThat(host.written).isEmpty();
        assertThat(host.failure).isNull();

        AccessToken t2 = token("t2", Duration.ofHours(2));
        auth.renewed(gw, t2);
        auth.acknowledged(t2, line("+OK"));
        assertThat(host.owed).containsExactly(t2);
        assertThat(host.reauthenticated).containsExactly(true);
    }

    @Test
    void aWarmConnectionTakenWhileARenewalRacedTheTakeIsReauthenticatedAtOnce() {
        AccessToken t1 = token("t1", Duration.ofHours(1));
        AccessToken t2 = token("t2", Duration.ofHours(2));
        UpstreamAuth auth = auth(identity("gw", t2));

        auth.adopted(t1, NOW);

        assertThat(host.owed).containsExactly(t2);
    }

    @Test
    void aPasswordNeverExpiresSoNoGuardIsArmed() {
        UpstreamCredentials pw = UpstreamCredentials.password("app", "secret");
        UpstreamAuth auth = auth(pw);
        AccessToken t = pw.current().orElseThrow();

        auth.acknowledged(t, line("+OK"));
        loop.runScheduledPendingTasks();

        assertThat(host.failure).isNull();
    }

    @Test
    void aHandoverPassesOnANewerRenewalThatArrivedMeanwhile() {
        UpstreamCredentials gw = identity("gw", token("t1", Duration.ofHours(1)));
        UpstreamAuth auth = auth(gw);
        AccessToken t2 = token("t2", Duration.ofHours(2));
        AccessToken t3 = token("t3", Duration.ofHours(3));
        host.moment = Moment.LATER; // a handover is in progress
        auth.renewed(gw, t3);

        host.moment = Moment.NOW;
        auth.handedOver(t2);

        assertThat(host.owed).containsExactly(t3);
    }

    final class FakeHost implements UpstreamAuth.Host {
        Moment moment = Moment.NOW;
        final List<String> written = new ArrayList<>();
        final List<AccessToken> owed = new ArrayList<>();
        final List<AccessToken> handovers = new ArrayList<>();
        final List<Boolean> reauthenticated = new ArrayList<>();
        final List<String> reauthFailures = new ArrayList<>();
        int switchAcks;
        String failure;

        @Override
        public void writeAuth(ByteBuf frame, AccessToken token) {
            written.add(frame.toString(StandardCharsets.UTF_8));
            frame.release();
            owed.add(token);
        }

        @Override
        public Moment moment() {
            return moment;
        }

        @Override
        public void startHandover(AccessToken token) {
            handovers.add(token);
        }

        @Override
        public void switchAcknowledged() {
            switchAcks++;
        }

        @Override
        public void fail(String errorLine) {
            if (failure == null) {
                failure = errorLine;
            }
        }

        @Override
        public boolean failed() {
            return failure != null;
        }

        @Override
        public void reauthenticated(boolean success) {
            reauthenticated.add(success);
        }

        @Override
        public void reauthFailed(String reason) {
            reauthFailures.add(reason);
            reauthenticated(false);
        }

        @Override
        public void upstreamFailed(String reason) {}

        @Override
        public EventLoop eventLoop() {
            return loop.eventLoop();
        }

        @Override
        public ByteBufAllocator alloc() {
            return ByteBufAllocator.DEFAULT;
        }

        @Override
        public SocketAddress clientAddress() {
            return new InetSocketAddress("127.0.0.1", 1);
        }
    }
}
