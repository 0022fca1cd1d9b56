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
        URI uri = loopback(url);
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

    /**
     * What a closed-loop or burst run measured: answers by status, the 200s per second (goodput), and the latency
     * of the 200s from when each request was sent (closed loop) or due (bursts), in microseconds.
     */
    public record ShapeResult(String name, int concurrency, double seconds, Map<Integer, Long> statuses, long errors,
                              Histogram ok) {
        public long count(int status) {
            return statuses.getOrDefault(status, 0L);
        }

        public double goodput() {
            return count(200) / seconds;
        }

        public double answered() {
            return statuses.values().stream().mapToLong(Long::longValue).sum() / seconds;
        }

        public String row(double sustainable) {
            return String.format("| %s | %d | %.0f | %.0f | %.0f%% | %d | %d | %d | %.2f | %.2f |", name, concurrency,
                    answered(), goodput(), 100 * goodput() / sustainable, count(200), count(503),
                    statuses.entrySet().stream().filter(e -> e.getKey() != 200 && e.getKey() != 503)
                            .mapToLong(Map.Entry::getValue).sum() + errors,
                    ok.getTotalCount() == 0 ? 0 : ok.getValueAtPercentile(50) / 1000.0,
                    ok.getTotalCount() == 0 ? 0 : ok.getValueAtPercentile(99) / 1000.0);
        }

        public static String header() {
            return "| load shape | clients | answers/s | goodput (200/s) | of sustainable | 200 | 503 | other | p50 ms (200) |"
                    + " p99 ms (200) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
        }
    }

    /** What the shaped runs count: answers by status, transport errors, and the latency of the 200s. */
    private static final class Tally {
        final Histogram ok = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        final Map<Integer, Long> statuses = new ConcurrentHashMap<>();
        final AtomicLong errors = new AtomicLong();

        /** One answer (a status) or failure; a 200's latency from {@code since} (nanoTime). */
        void record(io.vertx.core.AsyncResult<Integer> ar, long since) {
            if (ar.failed()) {
                errors.incrementAndGet();
                return;
            }
            statuses.merge(ar.result(), 1L, Long::sum);
            if (ar.result() == 200) {
                synchronized (ok) {
                    ok.recordValue(Math.min(Math.max(1, (System.nanoTime() - since) / 1000), ok.getHighestTrackableValue()));
                }
            }
        }

        ShapeResult result(String name, int concurrency, double seconds) {
            return new ShapeResult(name, concurrency, seconds, Map.copyOf(statuses), errors.get(), ok);
        }
    }

    /**
     * A closed loop, as wrk and most client pools behave: {@code connections} clients each send a request, and the
     * next one the moment an answer (any answer: a 503 is retried at once) arrives, for {@code seconds}.
     */
    public ShapeResult closedLoop(String name, String url, int connections, double seconds, IntFunction<String> body)
            throws Exception {
        URI uri = loopback(url);
        HttpClient pool = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setConnectTimeout(2000).setIdleTimeout(30), new PoolOptions().setHttp1MaxSize(connections));
        Tally tally = new Tally();
        AtomicLong n = new AtomicLong();
        RequestOptions options = post(uri);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicLong running = new AtomicLong(connections);
        long start = System.nanoTime();
        for (int c = 0; c < connections; c++) {
            vertx.runOnContext(v -> loop(pool, options, body, n, end, tally, running, done));
        }
        done.get((long) seconds + 60, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.close();
        return tally.result(name, connections, elapsed);
    }

    private void loop(HttpClient pool, RequestOptions options, IntFunction<String> body, AtomicLong n, long end,
                      Tally tally, AtomicLong running, CompletableFuture<Void> done) {
        if (System.nanoTime() >= end) {
            if (running.decrementAndGet() == 0) {
                done.complete(null);
            }
            return;
        }
        Buffer payload = Buffer.buffer(body.apply((int) n.getAndIncrement()));
        long t0 = System.nanoTime();
        pool.request(options).compose(req -> req.send(payload)).compose(resp -> resp.body().map(b -> resp.statusCode()))
                .onComplete(ar -> {
                    tally.record(ar, t0);
                    loop(pool, options, body, n, end, tally, running, done);
                });
    }

    /**
     * Bursts, as {@code hey -c clients -q rate} sends them: every 1/{@code ratePerClient} s, {@code clients}
     * requests at once, whatever is still unanswered, for {@code seconds}. Latency of the 200s from when each was due.
     */
    public ShapeResult bursts(String name, String url, int clients, double ratePerClient, double seconds,
                              IntFunction<String> body) throws Exception {
        URI uri = loopback(url);
        HttpClient pool = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setConnectTimeout(2000).setIdleTimeout(30), new PoolOptions().setHttp1MaxSize(clients * 4));
        Tally tally = new Tally();
        AtomicLong pending = new AtomicLong();
        RequestOptions options = post(uri);
        long periodNanos = (long) (1e9 / ratePerClient);
        long bursts = (long) (seconds * ratePerClient);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        CompletableFuture<Void> sentAll = new CompletableFuture<>();
        AtomicLong next = new AtomicLong();
        vertx.runOnContext(v -> vertx.setPeriodic(1, id -> {
            long now = System.nanoTime();
            while (next.get() < bursts && start + next.get() * periodNanos <= now) {
                long due = start + next.getAndIncrement() * periodNanos;
                for (int c = 0; c < clients; c++) {
                    pending.incrementAndGet();
                    Buffer payload = Buffer.buffer(body.apply((int) (next.get() * clients + c)));
                    pool.request(options).compose(req -> req.send(payload))
                            .compose(resp -> resp.body().map(b -> resp.statusCode())).onComplete(ar -> {
                                tally.record(ar, due);
                                pending.decrementAndGet();
                            });
                }
            }
            if (next.get() >= bursts) {
                vertx.cancelTimer(id);
                sentAll.complete(null);
            }
        }));
        sentAll.get((long) seconds * 2 + 30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pending.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.close();
        return tally.result(name, clients, elapsed);
    }

    private static URI loopback(String url) {
        URI uri = URI.create(url);
        if (!LOOPBACK.contains(uri.getHost())) {
            throw new IllegalArgumentException("the load generator targets loopback only, not " + uri.getHost());
        }
        return uri;
    }

    private static RequestOptions post(URI uri) {
        return new RequestOptions().setMethod(HttpMethod.POST).setHost(uri.getHost()).setPort(uri.getPort())
                .setURI(uri.getRawPath()).putHeader("content-type", "application/json");
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
