package dev.converge.serve.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RefusalHoldTest {
    @Test
    void heldRefusalsAreReleasedInDueOrderNeverBeforeHalfATickEarly() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            Context loop = vertx.getOrCreateContext();
            List<String> released = new CopyOnWriteArrayList<>();
            List<Long> early = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> done = new CompletableFuture<>();
            long[] start = new long[1];
            loop.runOnContext(v -> {
                RefusalHold hold = RefusalHold.of(loop);
                assertThat(RefusalHold.of(loop)).as("one per event loop").isSameAs(hold);
                start[0] = System.nanoTime();
                for (long ms : new long[] {120, 40, 80, 40}) {
                    String name = ms + "ms#" + released.size() + hold.size();
                    hold.hold(ms, () -> {
                        released.add(name);
                        long waited = System.nanoTime() - start[0];
                        // > 0: released more than half a tick before its time
                        early.add(TimeUnit.MILLISECONDS.toNanos(ms) - TimeUnit.MILLISECONDS.toNanos(RefusalHold.TICK_MILLIS) / 2
                                - waited);
                        if (released.size() == 4) {
                            done.complete(null);
                        }
                    });
                }
            });

            done.get(5, TimeUnit.SECONDS);

            assertThat(released).containsExactly("40ms#01", "40ms#03", "80ms#02", "120ms#00");
            assertThat(early).allMatch(e -> e <= 0);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
