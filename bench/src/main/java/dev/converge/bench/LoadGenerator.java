package dev.converge.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * A constant-rate (open-model) load generator on the Vert.x HTTP client. Request i is due at start + i/rate and is
 * sent then, whether or not earlier requests have answered; its latency is measured from when it was due, not
 * from when it was sent, so a stall is charged to every request it delays (the coordinated-omission correction
 * wrk2 makes). Bounded in requests and in time, and it refuses any target but loopback.
 */
public final class LoadGenerator implements AutoCloseable {
    /**
     * What a run measured. Latencies in microseconds, corrected for coordinated omission: {@code latency} of all
     * requests and {@code ok} of those answered 200, from when each was due; {@code okFromSend} of those answered
     * 200, from when a connection was free and the request was written - the part a server and the kernel account
     * for, without the time a request waited in this generator for a free connection.
     */
    public record Result(String name, double targetRate, long sent, long completed, Map<Integer, Long> statuses,
                         long errors, double seconds, Histogram latency, Histogram ok, Histogram okFromSend) {
        public double achievedRate() {
            return completed / seconds;
        }

        public long non200() {
            return statuses.entrySet().stream().filter(e -> e.getKey() != 200).mapToLong(Map.Entry::getValue).sum()
                    + errors;
        }

        public String row() {
            return String.format("| %s | %.0f | %.0f | %d | %d | %.2f | %.2f | %.2f | %.2f |", name, targetRate,
                    achievedRate(), completed, non200(), latency.getValueAtPercentile(50) / 1000.0,
                    latency.getValueAtPercentile(99) / 1000.0, latency.getValueAtPercentile(99.9) / 1000.0,
                    latency.getMaxValue() / 1000.0);
        }

        public static String header() {
            return "| scenario | target req/s | achieved req/s | completed | non-200 | p50 ms | p99 ms | p99.9 ms | max ms |\n"
                    + "|---|---:|---:|---:|---:|---:|---:|---:|---:|";
        }
    }

    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "::1", "[::1]");
    private final Vertx vertx;
    private final HttpClient client;

    public LoadGenerator(int connections) {
        this.vertx = Vertx.vertx();
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setConnectTimeout(2000).setIdleTimeout(30), new PoolOptions().setHttp1MaxSize(connections));
    }

    /**
     * Sends {@code rate} requests per second for {@code seconds} (at most {@code maxRequests}), POSTing the body
     * {@code body.apply(i)} to {@code url}, and waits up to 10 s for stragglers.
     */
    public Result run(String name, String url, double rate, double seconds, long maxRequests,
                      IntFunction<String> body) throws Exception {
        URI uri = URI.create(url);
        if (!LOOPBACK.contains(uri.getHost())) {
            throw new IllegalArgumentException("the load generator targets loopback only, not " + uri.getHost());
        }
        long total = Math.min(maxRequests, (long) (rate * seconds));
        Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        Histogram ok = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        Histogram okFromSend = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        Map<Integer, Long> statuses = new ConcurrentHashMap<>();
        AtomicLong completed = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong sent = new AtomicLong();
        CompletableFuture<Void> allSent = new CompletableFuture<>();
        CompletableFuture<Void> allDone = new CompletableFuture<>();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        double intervalNanos = 1e9 / rate;
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(uri.getHost())
                .setPort(uri.getPort()).setURI(uri.getRawPath()).putHeader("content-type", "application/json");
        vertx.runOnContext(v -> vertx.setPeriodic(1, id -> {
            long now = System.nanoTime();
            while (sent.get() < total) {
                long i = sent.get();
                long due = start + (long) (i * intervalNanos);
                if (due > now) {
                    break;
                }
                sent.incrementAndGet();
                Buffer payload = Buffer.buffer(body.apply((int) i));
                long[] written = {0};
                client.request(options).compose(req -> {
                    written[0] = System.nanoTime();
                    return req.send(payload);
                }).compose(resp -> resp.body().map(b -> resp.statusCode())).onComplete(ar -> {
                            long end = System.nanoTime();
                            long micros = Math.max(1, (end - due) / 1000);
                            synchronized (latency) {
                                latency.recordValue(Math.min(micros, latency.getHighestTrackableValue()));
                                if (ar.succeeded() && ar.result() == 200) {
                                    ok.recordValue(Math.min(micros, ok.getHighestTrackableValue()));
                                    okFromSend.recordValue(Math.min(Math.max(1, (end - written[0]) / 1000),
                                            okFromSend.getHighestTrackableValue()));
                                }
                            }
                            if (ar.succeeded()) {
                                statuses.merge(ar.result(), 1L, Long::sum);
                            } else {
                                errors.incrementAndGet();
                            }
                            if (completed.incrementAndGet() == total) {
                                allDone.complete(null);
                            }
                        });
            }
            if (sent.get() >= total) {
                vertx.cancelTimer(id);
                allSent.complete(null);
            }
        }));
        allSent.get((long) (seconds * 2 + 30), TimeUnit.SECONDS);
        try {
            allDone.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // stragglers are reported as not completed
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        return new Result(name, rate, sent.get(), completed.get(), Map.copyOf(statuses), errors.get(), elapsed,
                latency, ok, okFromSend);
    }

    /** POSTs once and returns the status and body (for admin calls between runs). */
    public String post(String url, String token) throws Exception {
        URI uri = URI.create(url);
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost(uri.getHost()).setPort(uri.getPort())
                .setURI(uri.getRawPath());
        if (token != null) {
            o.putHeader("Authorization", "Bearer " + token);
        }
        return client.request(o).compose(req -> req.send()).compose(resp -> resp.body()
                .map(b -> resp.statusCode() + " " + b)).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
