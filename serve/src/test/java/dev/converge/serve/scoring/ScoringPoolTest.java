package dev.converge.serve.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ScoringPoolTest {
    private Vertx vertx;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Submits {@code n} scorings from {@code context}, the first held on {@code gate} so the rest queue behind it. */
    private static List<Future<Integer>> queueBehindAGate(ScoringPool pool, Context context, int n,
                                                          CountDownLatch gate) throws Exception {
        CompletableFuture<List<Future<Integer>>> submitted = new CompletableFuture<>();
        context.runOnContext(v -> {
            List<Future<Integer>> fs = new ArrayList<>();
            fs.add(pool.submit(() -> {
                gate.await();
                return 0;
            }));
            for (int i = 1; i < n; i++) {
                int row = i;
                fs.add(pool.submit(() -> row));
            }
            submitted.complete(fs);
        });
        return submitted.get(5, TimeUnit.SECONDS);
    }

    private static List<Integer> results(List<Future<Integer>> fs) throws Exception {
        List<Integer> out = new ArrayList<>();
        for (Future<Integer> f : fs) {
            out.add(f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS));
        }
        return out;
    }

    @Test
    void whileMoreAreQueuedResultsGoBackTogetherOnTheCallersLoop() throws Exception {
        try (ScoringPool pool = new ScoringPool(vertx, "test-scoring", 1, Long.MAX_VALUE, System::nanoTime)) {
            Context loop = vertx.getOrCreateContext();
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<Integer>> fs = queueBehindAGate(pool, loop, 5, gate);
            List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
            fs.forEach(f -> f.onComplete(ar -> threads.add(Thread.currentThread().getName())));

            gate.countDown();

            assertThat(results(fs)).containsExactly(0, 1, 2, 3, 4);
            assertThat(pool.handBacks()).as("five results, queued together, in one hand-back").isEqualTo(1);
            assertThat(threads).hasSize(5).allMatch(t -> t.startsWith("vert.x-eventloop-thread"));
        }
    }

    @Test
    void withNoTimeToWaitEveryResultGoesBackAtOnce() throws Exception {
        try (ScoringPool pool = new ScoringPool(vertx, "test-scoring", 1, 0, System::nanoTime)) {
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<Integer>> fs = queueBehindAGate(pool, vertx.getOrCreateContext(), 5, gate);

            gate.countDown();

            assertThat(results(fs)).containsExactly(0, 1, 2, 3, 4);
            assertThat(pool.handBacks()).isEqualTo(5);
        }
    }

    @Test
    void aResultWaitsNoLongerThanTheHandBackTimeForTheOnesBehindIt() throws Exception {
        long[] now = {0};
        // Each scoring takes 400 "ns" of the injected clock; results go back once 1,000 have passed since the
        // first of them finished: rows 0-3 (the fourth finishes 1,200 after the first), 4-7, then 8 (queue empty).
        try (ScoringPool pool = new ScoringPool(vertx, "test-scoring", 1, 1_000, () -> now[0])) {
            CountDownLatch gate = new CountDownLatch(1);
            CompletableFuture<List<Future<Integer>>> submitted = new CompletableFuture<>();
            vertx.getOrCreateContext().runOnContext(v -> {
                List<Future<Integer>> fs = new ArrayList<>();
                for (int i = 0; i < 9; i++) {
                    int row = i;
                    fs.add(pool.submit(() -> {
                        if (row == 0) {
                            gate.await();
                        }
                        now[0] += 400;
                        return row;
                    }));
                }
                submitted.complete(fs);
            });
            List<Future<Integer>> fs = submitted.get(5, TimeUnit.SECONDS);

            gate.countDown();

            assertThat(results(fs)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8);
            assertThat(pool.handBacks()).isEqualTo(3);
        }
    }

    @Test
    void eachResultGoesBackToTheLoopThatAskedAndAFailureFailsOnlyItsOwn() throws Exception {
        try (ScoringPool pool = new ScoringPool(vertx, "test-scoring", 1, Long.MAX_VALUE, System::nanoTime)) {
            Context a = vertx.getOrCreateContext();
            Context b = vertx.getOrCreateContext();
            CompletableFuture<Context> onA = new CompletableFuture<>();
            CompletableFuture<Context> onB = new CompletableFuture<>();
            CompletableFuture<Throwable> failed = new CompletableFuture<>();
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<Integer>> fromA = queueBehindAGate(pool, a, 2, gate);
            b.runOnContext(v -> {
                pool.submit(() -> {
                    throw new IllegalStateException("the model failed");
                }).onFailure(failed::complete);
                pool.submit(() -> 7).onSuccess(x -> onB.complete(Vertx.currentContext()));
            });
            fromA.get(1).onSuccess(x -> onA.complete(Vertx.currentContext()));
            Thread.sleep(50); // b's submissions are queued behind a's gated one

            gate.countDown();

            assertThat(results(fromA)).containsExactly(0, 1);
            assertThat(failed.get(5, TimeUnit.SECONDS)).hasMessage("the model failed");
            assertThat(onA.get(5, TimeUnit.SECONDS)).isSameAs(a);
            assertThat(onB.get(5, TimeUnit.SECONDS)).isSameAs(b);
            assertThat(pool.handBacks()).as("one hand-back per loop").isEqualTo(2);
        }
    }

    @Test
    void requestsOnDuplicatesOfOneLoopsContextShareAHandBackAndEachSettlesOnItsOwn() throws Exception {
        try (ScoringPool pool = new ScoringPool(vertx, "test-scoring", 1, Long.MAX_VALUE, System::nanoTime)) {
            io.vertx.core.internal.ContextInternal root = (io.vertx.core.internal.ContextInternal) vertx
                    .getOrCreateContext();
            List<Context> requests = List.of(root.duplicate(), root.duplicate(), root.duplicate());
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<Integer>> fs = new ArrayList<>();
            List<CompletableFuture<Context>> settledOn = new ArrayList<>();
            for (Context request : requests) {
                CompletableFuture<List<Future<Integer>>> one = new CompletableFuture<>();
                CompletableFuture<Context> on = new CompletableFuture<>();
                request.runOnContext(v -> {
                    Future<Integer> f = pool.submit(() -> {
                        gate.await();
                        return 1;
                    });
                    f.onComplete(ar -> on.complete(Vertx.currentContext()));
                    one.complete(List.of(f));
                });
                fs.addAll(one.get(5, TimeUnit.SECONDS));
                settledOn.add(on);
            }

            gate.countDown();

            assertThat(results(fs)).containsExactly(1, 1, 1);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(settledOn.get(i).get(5, TimeUnit.SECONDS)).isSameAs(requests.get(i));
            }
            assertThat(pool.handBacks()).as("three requests of one loop, one hand-back").isEqualTo(1);
        }
    }

    @Test
    void closingFailsWhatIsStillQueued() throws Exception {
        ScoringPool pool = new ScoringPool(vertx, "test-scoring", 1, 0, System::nanoTime);
        CountDownLatch gate = new CountDownLatch(1);
        List<Future<Integer>> fs = queueBehindAGate(pool, vertx.getOrCreateContext(), 3, gate);

        Thread closer = new Thread(pool::close);
        closer.start();
        Thread.sleep(50);
        gate.countDown();
        closer.join(10_000);

        Throwable cause = fs.get(2).toCompletionStage().toCompletableFuture().handle((r, e) -> e).get(5, TimeUnit.SECONDS);
        assertThat(cause).isNotNull();
        assertThat(cause.getMessage()).contains("stopping");
    }
}
