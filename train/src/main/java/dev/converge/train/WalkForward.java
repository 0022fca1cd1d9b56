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
