package dev.converge.train;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Walk-forward temporal splits: train on periods 1..k, test on period k+1, for the last {@code folds} values of k.
 * Every split, however it was built, is checked against the invariant max(train time) &lt; min(test time) on its
 * actual rows; a violation aborts the run.
 */
public final class WalkForward {
    /** Row indexes of one fold, with the times that bound them. */
    public record Fold(int number, int[] train, int[] test, Instant maxTrainTime, Instant minTestTime) {}

    /** Thrown when a split lets the future into training. */
    public static final class LeakageDetected extends IllegalStateException {
        public LeakageDetected(String message) {
            super(message);
        }
    }

    private WalkForward() {}

    /** The length of a walk-forward period. */
    public enum Period {
        DAY, WEEK, MONTH;

        /** The start (UTC) of the period holding {@code t}; weeks start on Monday. */
        java.time.LocalDate start(Instant t) {
            java.time.LocalDate d = t.atZone(ZoneOffset.UTC).toLocalDate();
            return switch (this) {
                case DAY -> d;
                case WEEK -> d.with(java.time.temporal.TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY));
                case MONTH -> d.withDayOfMonth(1);
            };
        }

        public static Period of(String name) {
            return switch (name) {
                case "day" -> DAY;
                case "week" -> WEEK;
                case "month" -> MONTH;
                default -> throw new IllegalArgumentException("period must be day, week or month, was '" + name + "'");
            };
        }
    }

    /**
     * Folds over periods of the rows' times: the last {@code folds} windows of {@code testPeriods} periods each (one
     * after the other, not overlapping) are tested, each on a model trained on every period that ends at least
     * {@code gapPeriods} periods before its window (a gap keeps what is known only later out of training).
     */
    public static List<Fold> periodic(Instant[] times, Period period, int testPeriods, int gapPeriods, int folds) {
        if (testPeriods < 1 || gapPeriods < 0 || folds < 1) {
            throw new IllegalArgumentException("test periods must be >= 1, gap >= 0 and folds >= 1; were "
                    + testPeriods + ", " + gapPeriods + ", " + folds);
        }
        java.util.TreeSet<java.time.LocalDate> starts = new java.util.TreeSet<>();
        for (Instant t : times) {
            starts.add(period.start(t));
        }
        List<java.time.LocalDate> ordered = new ArrayList<>(starts);
        int needed = 1 + gapPeriods + testPeriods;
        if (ordered.size() < needed) {
            throw new IllegalArgumentException("walk-forward by " + period.name().toLowerCase(java.util.Locale.ROOT)
                    + " with " + testPeriods + " test and " + gapPeriods + " gap period(s) needs rows in at least "
                    + needed + " periods, found " + ordered.size());
        }
        List<Fold> out = new ArrayList<>();
        int firstTest = Math.max(1 + gapPeriods, ordered.size() - folds * testPeriods);
        for (int k = firstTest; k + testPeriods <= ordered.size(); k += testPeriods) {
            java.time.LocalDate testFrom = ordered.get(k);
            java.time.LocalDate testTo = ordered.get(k + testPeriods - 1);
            java.time.LocalDate trainBefore = ordered.get(k - gapPeriods);
            List<Integer> train = new ArrayList<>();
            List<Integer> test = new ArrayList<>();
            for (int i = 0; i < times.length; i++) {
                java.time.LocalDate p = period.start(times[i]);
                if (p.isBefore(trainBefore)) {
                    train.add(i);
                } else if (!p.isBefore(testFrom) && !p.isAfter(testTo)) {
                    test.add(i);
                }
            }
            out.add(check(out.size() + 1, toArray(train), toArray(test), times));
        }
        return out;
    }

    /** Monthly folds over the rows' times: each fold tests one month and trains on every earlier month. */
    public static List<Fold> monthly(Instant[] times, int folds) {
        TreeSet<YearMonth> months = new TreeSet<>();
        for (Instant t : times) {
            months.add(YearMonth.from(t.atZone(ZoneOffset.UTC)));
        }
        List<YearMonth> ordered = new ArrayList<>(months);
        if (ordered.size() < 2) {
            throw new IllegalArgumentException("walk-forward needs rows in at least 2 months, found " + ordered.size());
        }
        int first = Math.max(1, ordered.size() - folds);
        List<Fold> out = new ArrayList<>();
        for (int k = first; k < ordered.size(); k++) {
            YearMonth testMonth = ordered.get(k);
            List<Integer> train = new ArrayList<>();
            List<Integer> test = new ArrayList<>();
            for (int i = 0; i < times.length; i++) {
                YearMonth m = YearMonth.from(times[i].atZone(ZoneOffset.UTC));
                if (m.isBefore(testMonth)) {
                    train.add(i);
                } else if (m.equals(testMonth)) {
                    test.add(i);
                }
            }
            out.add(check(out.size() + 1, toArray(train), toArray(test), times));
        }
        return out;
    }

    /** Builds a fold from given indexes and checks the invariant; throws {@link LeakageDetected} on a leak. */
    public static Fold check(int number, int[] train, int[] test, Instant[] times) {
        if (train.length == 0 || test.length == 0) {
            throw new IllegalArgumentException("fold " + number + " has " + train.length + " training and "
                    + test.length + " test rows; both must be non-empty");
        }
        int maxTrain = train[0];
        for (int i : train) {
            if (times[i].isAfter(times[maxTrain])) {
                maxTrain = i;
            }
        }
        int minTest = test[0];
        for (int i : test) {
            if (times[i].isBefore(times[minTest])) {
                minTest = i;
            }
        }
        if (!times[maxTrain].isBefore(times[minTest])) {
            throw new LeakageDetected("fold " + number + " leaks the future into training: max(train time) "
                    + times[maxTrain] + " (row " + maxTrain + ") is not before min(test time) " + times[minTest]
                    + " (row " + minTest + "); the run is aborted");
        }
        return new Fold(number, train, test, times[maxTrain], times[minTest]);
    }

    private static int[] toArray(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }
}
