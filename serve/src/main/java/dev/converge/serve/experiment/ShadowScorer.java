package dev.converge.serve.experiment;

import dev.converge.contracts.ValidationResult;
import dev.converge.model.Prediction;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.monitor.PredictionLog;
import dev.converge.serve.predict.ModelRef;
import dev.converge.serve.scoring.FeatureAssembly;
import dev.converge.serve.scoring.ScoringFaults;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shadow scoring, off the answer's path: a request mirrored to a shadow variant (one whose answer the prediction log
 * took: a shadow's output is only of use there, so it costs at most {@code serve.prediction_log.max_rows_per_s}
 * scorings a second) is queued here after its answer's features were assembled, and one thread of the lowest CPU priority (nice 19, so the kernel runs it only on time the
 * event loops and scoring workers leave) validates it against the shadow's own contract, scores it and writes the
 * output to the prediction log under the champion's prediction id, so feedback for that prediction labels both. The
 * queue is bounded: when it is full the mirror is dropped and counted, and the answer never waits for it.
 */
public final class ShadowScorer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShadowScorer.class);

    public record Job(Variants.Arm arm, Map<String, Object> stored, Map<String, Object> features, Instant eventTime,
               String entityId, String predictionId) {}

    private final ArrayBlockingQueue<Job> queue;
    private final PredictionLog log;
    private final ScoringFaults faults;
    private final LongAdder dropped = new LongAdder();
    private final LongAdder scored = new LongAdder();
    private final LongAdder invalid = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final Thread thread;
    private volatile boolean closed;

    public ShadowScorer(String model, int capacity, PredictionLog log, ScoringFaults faults, MeterRegistry metrics) {
        this.queue = new ArrayBlockingQueue<>(Math.max(1, capacity));
        this.log = log;
        this.faults = faults;
        for (var e : Map.of("scored", scored, "dropped", dropped, "invalid", invalid, "failed", failed).entrySet()) {
            FunctionCounter.builder("converge.shadow.requests", e.getValue(), LongAdder::sum).tag("model", model)
                    .tag("result", e.getKey()).description("requests mirrored to shadow variants, by what became of them").register(metrics);
        }
        metrics.gauge("converge.shadow.queue", io.micrometer.core.instrument.Tags.of("model", model), queue,
                ArrayBlockingQueue::size);
        this.thread = new Thread(this::run, "converge-shadow");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
    }

    /** Queues a mirror; never blocks. Returns false (counted) when the queue is full. */
    public boolean offer(Job job) {
        if (queue.offer(job)) {
            return true;
        }
        dropped.increment();
        return false;
    }

    long dropped() {
        return dropped.sum();
    }

    long scored() {
        return scored.sum();
    }

    private void run() {
        lowerPriority();
        while (!closed) {
            Job job;
            try {
                job = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (job != null) {
                score(job);
            }
        }
    }

    private void score(Job job) {
        ModelHandle m = job.arm().model();
        long t0 = System.nanoTime();
        try {
            ValidationResult v = m.validator().validate(FeatureAssembly.merge(m.schema(), job.stored(),
                    job.features()));
            if (!v.valid()) {
                invalid.increment(); // the shadow's contract differs from the champion's: nothing to compare
                return;
            }
            Map<String, Object> values = m.withDerived(v.values(), job.eventTime());
            faults.beforeScoring(m.name(), m.version());
            Prediction p = m.score(m.encode(values));
            long took = System.nanoTime() - t0;
            job.arm().stats().answered(took);
            scored.increment();
            log.offerPaired(job.predictionId(), m, ModelRef.SHADOW, job.entityId(), values, p, took / 1e6);
        } catch (RuntimeException e) {
            job.arm().stats().error();
            failed.increment();
        }
    }

    /**
     * nice 19 for this thread (Linux schedules threads, and a thread may lower its own priority without privilege):
     * Java's thread priorities are ignored on Linux by default. Where renice is missing the thread keeps the
     * default priority, and the log says so.
     */
    private static void lowerPriority() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            String tid = stat.substring(0, stat.indexOf(' '));
            Process p = new ProcessBuilder("renice", "-n", "19", "-p", tid).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                LOG.warn("shadow scoring runs at normal priority: renice exited {}", p.exitValue());
            }
        } catch (Exception e) {
            LOG.warn("shadow scoring runs at normal priority: {}", e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
