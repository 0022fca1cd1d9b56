package dev.converge.serve.path;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A batch's rows are run a slice at a time, and the event loop runs other work between slices. */
class SlicedTest {
    @Test
    void otherWorkOnTheLoopRunsBetweenSlices() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            List<String> order = new ArrayList<>();
            CompletableFuture<Void> finished = new CompletableFuture<>();
            Context ctx = vertx.getOrCreateContext();
            ctx.runOnContext(v -> {
                Promise<Void> done = Promise.promise();
                done.future().onComplete(ar -> finished.complete(null));
                DefaultPredictionService.sliced(IntStream.range(0, 10).boxed().toList(), 0, 4,
                        i -> order.add("row" + i), done);
                ctx.runOnContext(x -> order.add("other request")); // queued while the batch is under way
            });
            finished.get(5, TimeUnit.SECONDS);
            assertThat(order).hasSize(11);
            assertThat(order.indexOf("other request")).as("ran between slices, before the batch's last row: %s", order)
                    .isIn(4, 8);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void offTheLoopEveryRowRunsAtOnceAndAFailureFailsTheWhole() {
        List<Integer> seen = new ArrayList<>();
        Promise<Void> done = Promise.promise();
        DefaultPredictionService.sliced(List.of(1, 2, 3, 4, 5), 0, 2, seen::add, done);
        assertThat(seen).containsExactly(1, 2, 3, 4, 5);
        assertThat(done.future().succeeded()).isTrue();

        Promise<Void> failed = Promise.promise();
        DefaultPredictionService.sliced(List.of(1, 2, 3), 0, 1, i -> {
            if (i == 2) {
                throw new IllegalStateException("row 2");
            }
        }, failed);
        assertThat(failed.future().failed()).isTrue();
    }
}
