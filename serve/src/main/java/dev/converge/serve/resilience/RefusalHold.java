package dev.converge.serve.resilience;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * Refusals held until their time, one event loop's: released together on a tick of {@link #TICK_MILLIS}, not each by
 * a timer of its own. With a thousand clients retrying at once, a timer per refusal woke the loop a thousand times a
 * second, each wake-up taking the core from a scoring worker; on the tick the loop wakes 40 times a second at most,
 * and the holds keep their spread (random over half a second) to within a tick. Touched on its event loop only.
 */
public final class RefusalHold {
    static final long TICK_MILLIS = 25;
    private static final String KEY = RefusalHold.class.getName();

    private record Held(long dueNanos, long seq, Runnable release) implements Comparable<Held> {
        @Override
        public int compareTo(Held o) {
            int c = Long.compare(dueNanos - o.dueNanos, 0);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final Vertx vertx;
    private final PriorityQueue<Held> held = new PriorityQueue<>();
    private long seq;
    private boolean armed;

    private RefusalHold(Vertx vertx) {
        this.vertx = vertx;
    }

    /** The calling event loop's holds. */
    public static RefusalHold of(Context context) {
        RefusalHold h = context.get(KEY);
        if (h == null) {
            h = new RefusalHold(context.owner());
            context.put(KEY, h);
        }
        return h;
    }

    /** Runs {@code release} on this loop once {@code millis} have passed, give or take half a tick. */
    public void hold(long millis, Runnable release) {
        held.add(new Held(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis), seq++, release));
        if (!armed) {
            armed = true;
            vertx.setTimer(TICK_MILLIS, id -> tick());
        }
    }

    int size() {
        return held.size();
    }

    private void tick() {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS) / 2;
        while (!held.isEmpty() && held.peek().dueNanos() - until <= 0) {
            Runnable r = held.poll().release();
            try {
                r.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(RefusalHold.class).warn("a held refusal failed to answer", e);
            }
        }
        armed = !held.isEmpty();
        if (armed) {
            vertx.setTimer(TICK_MILLIS, id -> tick());
        }
    }
}
