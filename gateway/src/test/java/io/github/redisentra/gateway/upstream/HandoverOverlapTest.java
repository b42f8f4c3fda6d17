package io.github.redisentra.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The duplicate suppression of a RESP2 subscriber handover (messages stand for frame hashes). */
class HandoverOverlapTest {

    @Test
    void theMessagesBothConnectionsDeliveredAreDropped() {
        // old delivered 1..6; the new connection's subscriptions were active from 5 on and it received 5..9
        assertThat(Handover.overlap(new long[] {1, 2, 3, 4, 5, 6}, new long[] {5, 6, 7, 8, 9}))
                .isEqualTo(2);
        // the old connection delivered everything the new one did
        assertThat(Handover.overlap(new long[] {1, 2, 3}, new long[] {2, 3})).isEqualTo(2);
    }

    @Test
    void noOverlapWhenNothingWasPublishedDuringTheSwitch() {
        assertThat(Handover.overlap(new long[] {1, 2, 3}, new long[] {4, 5})).isZero();
        assertThat(Handover.overlap(new long[] {}, new long[] {4, 5})).isZero();
        assertThat(Handover.overlap(new long[] {1, 2}, new long[] {})).isZero();
    }

    @Test
    void theNewConnectionMayLackMessagesItsLaterSubscriptionsMissed() {
        // channel messages a*, pattern messages b*, shard messages c*; the new connection's SUBSCRIBE ran before
        // a2 was published, its PSUBSCRIBE and SSUBSCRIBE only after b2 and c2
        long a1 = 11, b1 = 21, c1 = 31, a2 = 12, b2 = 22, c2 = 32, a3 = 13, b3 = 23, a4 = 14;
        assertThat(Handover.overlap(new long[] {a1, b1, c1, a2, b2, c2, a3, b3}, new long[] {a2, a3, b3, a4}))
                .isEqualTo(3);
    }

    @Test
    void aMessageTheOldConnectionNeverDeliveredEndsTheDuplicates() {
        assertThat(Handover.overlap(new long[] {1, 3, 4}, new long[] {3, 5, 4})).isEqualTo(1);
        assertThat(Handover.overlap(new long[] {2, 4}, new long[] {4, 9})).isEqualTo(1);
    }

    @Test
    void repeatedIdenticalMessagesAreCollapsedToTheLongestRun() {
        // the documented limit: identical messages in the switch window cannot be told apart
        assertThat(Handover.overlap(new long[] {7, 7, 7}, new long[] {7, 7})).isEqualTo(2);
    }
}
