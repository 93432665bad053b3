package io.robit.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * How long a renewal the quorum answered is trusted (reliability.md, "the guarantee assumed a
 * follower reports every renewal"): the leader may count the session from activity up to a third of
 * a session plus half a tick older than the renewal, so a hold is never trusted for the whole session.
 */
class ZooKeeperGuaranteeTest {
    @Test
    void twoThirdsOfTheSessionLessOneTick() {
        assertThat(SessionGuard.guarantee(Duration.ofSeconds(30), Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(17));
        assertThat(SessionGuard.guarantee(Duration.ofSeconds(15), Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(8));
    }

    @Test
    void alwaysShortOfWhatALeaderThatMissedTheLastRenewalKeeps() {
        for (int ticks = 2; ticks <= 20; ticks++) {
            for (long tickMs : new long[] {500, 1_000, 2_000, 3_000}) {
                Duration tick = Duration.ofMillis(tickMs);
                Duration session = tick.multipliedBy(ticks);
                // The leader last heard of the client at most a third of a session plus half a tick before our renewal.
                Duration leaderKeepsPastRenewal = session.minus(session.dividedBy(3)).minus(tick.dividedBy(2));
                Duration guarantee = SessionGuard.guarantee(session, tick);
                assertThat(guarantee).as("session %s, tick %s", session, tick).isPositive().isLessThan(leaderKeepsPastRenewal);
            }
        }
    }

    @Test
    void aTickLongerThanHalfTheSessionCountsAsHalf() {
        assertThat(SessionGuard.guarantee(Duration.ofSeconds(4), Duration.ofSeconds(3))).isEqualTo(Duration.ofMillis(4_000 * 2 / 3 - 2_000));
    }
}
