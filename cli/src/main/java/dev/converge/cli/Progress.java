package dev.converge.cli;

import java.io.PrintStream;
import java.util.function.LongConsumer;

/** A progress bar on stderr for files large enough to wait for; silent for small ones. */
final class Progress implements LongConsumer {
    private static final long WORTH_SHOWING = 8L << 20;
    private final PrintStream err;
    private final long total;
    private final long started = System.nanoTime();
    private int lastPercent = -1;

    Progress(PrintStream err, long total) {
        this.err = err;
        this.total = total;
    }

    static LongConsumer forSize(PrintStream err, long total) {
        return total >= WORTH_SHOWING ? new Progress(err, total) : null;
    }

    @Override
    public void accept(long bytes) {
        int percent = (int) Math.min(100, 100 * bytes / Math.max(1, total));
        if (percent == lastPercent) {
            return;
        }
        lastPercent = percent;
        int filled = percent * 30 / 100;
        double secs = (System.nanoTime() - started) / 1e9;
        err.printf("\r[%s%s] %3d%%  %.0f MB  %.0fs", "#".repeat(filled), ".".repeat(30 - filled), percent,
                bytes / 1e6, secs);
        if (percent == 100) {
            err.println();
        }
        err.flush();
    }
}
