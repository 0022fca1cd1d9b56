package dev.converge.serve.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class QueueDelayTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void theExpectedWaitIsQueuedTimesServiceTimeOverWorkers() {
        QueueDelay q = new QueueDelay(2, 5, 25);
        assertThat(q.expectedWaitNanos()).as("nothing measured, nothing queued").isZero();
        q.served(MS); // 1 ms per scoring
        for (int i = 0; i < 10; i++) {
            q.enqueued();
        }
        assertThat(q.expectedWaitNanos()).isEqualTo(5 * MS); // 10 queued x 1 ms / 2 workers
        assertThat(q.admits()).as("at the target").isTrue();
        q.enqueued();
        assertThat(q.expectedWaitNanos()).isEqualTo(5 * MS + MS / 2);
        assertThat(q.admits()).as("past the target").isFalse();
    }

    @Test
    void theServiceTimeFollowsAHeavierModelWithinAFewDozenScorings() {
        QueueDelay q = new QueueDelay(1, 5, 25);
        q.served(MS);
        for (int i = 0; i < 60; i++) {
            q.served(10 * MS);
        }
        q.enqueued();
        assertThat(q.expectedWaitNanos()).isBetween(9 * MS, 10 * MS);
    }

    @Test
    void aNewModelStartsFromItsMeasuredScoringTimeNotTheOldModels() {
        QueueDelay q = new QueueDelay(1, 5, 25);
        q.served(MS); // the old model: 1 ms
        q.modelChanged(10 * MS); // the new one measured 10 ms at load
        q.enqueued();
        assertThat(q.expectedWaitNanos()).isEqualTo(10 * MS);
        assertThat(q.admits()).isFalse();
    }

    @Test
    void aScoringThatWaitedPastTheDeadlineIsNotRunAndIsCounted() {
        QueueDelay q = new QueueDelay(1, 5, 25);
        long at = q.enqueued();
        long early = q.enqueued();
        assertThat(q.queued()).isEqualTo(2);
        long batchRow = q.enqueued();
        assertThat(q.started(at, at + 25 * MS, true)).as("at the deadline").isTrue();
        assertThat(q.started(early, early + 26 * MS, true)).as("past it").isFalse();
        assertThat(q.started(batchRow, batchRow + 100 * MS, false)).as("a batch row is never dropped").isTrue();
        assertThat(q.queued()).isZero();
        assertThat(q.expired()).isEqualTo(1);
    }

    @Test
    void refusesABadConfiguration() {
        assertThatThrownBy(() -> new QueueDelay(0, 5, 25)).hasMessageContaining("workers >= 1");
        assertThatThrownBy(() -> new QueueDelay(1, 30, 25)).hasMessageContaining("target <= deadline");
    }

    @Test
    void aBurstIsQueuedAndOnlyAStandingQueueIsRefused() {
        QueueDelay q = new QueueDelay(1, 5, 25);
        q.served(MS);
        long[] at = new long[20];
        for (int i = 0; i < at.length; i++) {
            at[i] = q.enqueued(); // a burst: 20 ms of work, four times the target
        }
        long now = at[19];

        assertThat(q.admits()).as("over the target").isFalse();
        assertThat(q.refuses(now)).as("a burst the worker absorbs within the interval").isFalse();
        assertThat(q.refuses(now + QueueDelay.INTERVAL_NANOS + MS)).as("still not empty an interval later").isTrue();
        for (long t : at) {
            q.started(t, now + 20 * MS, false);
        }
        long next = q.enqueued();
        assertThat(q.refuses(next + QueueDelay.INTERVAL_NANOS / 2)).as("it emptied: a new interval").isFalse();
    }
}
