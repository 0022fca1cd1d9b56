package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WalkForwardTest {
    private static Instant[] days(String... iso) {
        return Arrays.stream(iso).map(d -> Instant.parse(d + "T00:00:00Z")).toArray(Instant[]::new);
    }

    @Test
    void eachFoldTrainsOnEarlierMonthsAndTestsTheNext() {
        Instant[] t = days("2001-01-05", "2001-01-20", "2001-02-03", "2001-02-27", "2001-03-01", "2001-03-30",
                "2001-04-02");

        List<WalkForward.Fold> folds = WalkForward.monthly(t, 2);

        assertThat(folds).hasSize(2);
        assertThat(folds.get(0).train()).containsExactly(0, 1, 2, 3);
        assertThat(folds.get(0).test()).containsExactly(4, 5);
        assertThat(folds.get(1).train()).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(folds.get(1).test()).containsExactly(6);
        for (WalkForward.Fold f : folds) {
            assertThat(f.maxTrainTime()).isBefore(f.minTestTime());
        }
    }

    @Test
    void aPlantedLeakIsCaughtAndNamed() {
        Instant[] t = days("2001-01-05", "2001-01-20", "2001-02-03", "2001-02-27");
        int[] train = {0, 1, 3}; // row 3 (Feb 27) planted in training
        int[] test = {2};        // test starts Feb 3

        assertThatThrownBy(() -> WalkForward.check(1, train, test, t))
                .isInstanceOf(WalkForward.LeakageDetected.class)
                .hasMessageContaining("fold 1 leaks the future")
                .hasMessageContaining("2001-02-27T00:00:00Z (row 3)")
                .hasMessageContaining("2001-02-03T00:00:00Z (row 2)");
    }

    @Test
    void equalTimesAcrossTheBoundaryAreALeakToo() {
        Instant[] t = days("2001-01-05", "2001-02-03", "2001-02-03");

        assertThatThrownBy(() -> WalkForward.check(1, new int[] {0, 1}, new int[] {2}, t))
                .isInstanceOf(WalkForward.LeakageDetected.class);
    }

    @Test
    void oneMonthCannotBeWalkedForward() {
        assertThatThrownBy(() -> WalkForward.monthly(days("2001-01-05", "2001-01-06"), 2))
                .hasMessageContaining("at least 2 months");
    }

    @Test
    void dailyFoldsWithAGapAndAWeekOfTestEach() {
        java.time.Instant start = java.time.Instant.parse("2024-03-01T12:00:00Z");
        java.time.Instant[] times = new java.time.Instant[60]; // one row a day for 60 days
        for (int i = 0; i < times.length; i++) {
            times[i] = start.plus(java.time.Duration.ofDays(i));
        }

        java.util.List<WalkForward.Fold> folds = WalkForward.periodic(times, WalkForward.Period.DAY, 7, 2, 3);

        assertThat(folds).hasSize(3);
        WalkForward.Fold last = folds.get(2);
        assertThat(last.test()).hasSize(7).containsExactly(53, 54, 55, 56, 57, 58, 59);
        assertThat(last.train()).hasSize(51); // days 0..50: days 51 and 52 are the gap
        assertThat(folds.get(1).test()).containsExactly(46, 47, 48, 49, 50, 51, 52);
        assertThat(java.time.Duration.between(last.maxTrainTime(), last.minTestTime()).toDays()).isEqualTo(3);
    }

    @Test
    void weeklyPeriodsStartOnMonday() {
        java.time.Instant[] times = {java.time.Instant.parse("2024-03-03T10:00:00Z"), // a Sunday
                java.time.Instant.parse("2024-03-04T10:00:00Z"), java.time.Instant.parse("2024-03-10T10:00:00Z"),
                java.time.Instant.parse("2024-03-11T10:00:00Z")};

        java.util.List<WalkForward.Fold> folds = WalkForward.periodic(times, WalkForward.Period.WEEK, 1, 0, 2);

        assertThat(folds).hasSize(2);
        assertThat(folds.get(0).train()).containsExactly(0);
        assertThat(folds.get(0).test()).containsExactly(1, 2);
        assertThat(folds.get(1).test()).containsExactly(3);
    }
}
