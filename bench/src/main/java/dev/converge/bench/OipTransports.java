package dev.converge.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The same rows scored through each of converge's batch transports, closed loop: {@code v1} ({@code POST
 * /v1/predict/batch}, JSON rows), {@code v2} (the Open Inference Protocol's REST infer, JSON tensors) and {@code grpc}
 * (its gRPC ModelInfer over HTTP/2, protobuf tensors). Each mode keeps {@code concurrency} requests of
 * {@code rows} rows in flight for {@code seconds} and reports rows a second and the request latency.
 *
 * <p>Usage: {@code OipTransports PORT MODEL ROWS_FILE ROWS CONCURRENCY SECONDS MODE...}; ROWS_FILE holds one JSON
 * object of features per line (for example {@code psql -At -c "SELECT hot FROM feature_online LIMIT 500"}); rows
 * missing any of the model's inputs are left out. Loopback only; the gRPC request is encoded here by hand (field
 * numbers of the protocol's ModelInferRequest), so this module needs no generated classes.
 */
public final class OipTransports {
    private OipTransports() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String model = args[1];
        List<JsonObject> all = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[2]))) {
            if (!line.isBlank()) {
                all.add(new JsonObject(line));
            }
        }
        int rows = Integer.parseInt(args[3]);
        int concurrency = Integer.parseInt(args[4]);
        int seconds = Integer.parseInt(args[5]);
        Vertx vertx = Vertx.vertx();
        HttpClient h1 = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(port), new PoolOptions().setHttp1MaxSize(concurrency));
        HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                .setHttp2MultiplexingLimit(concurrency), new PoolOptions().setHttp2MaxSize(1));
        try {
            JsonObject meta = h1.request(HttpMethod.GET, "/v2/models/" + model).compose(r -> r.send()
                    .compose(x -> x.body())).map(Buffer::toJsonObject).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            List<String[]> inputs = new ArrayList<>(); // name, datatype
            for (Object o : meta.getJsonArray("inputs")) {
                JsonObject t = (JsonObject) o;
                if (!t.getString("name").equals("entity_id")) {
                    inputs.add(new String[] {t.getString("name"), t.getString("datatype")});
                }
            }
            List<JsonObject> usable = all.stream().filter(r -> inputs.stream().allMatch(i -> r.getValue(i[0]) != null))
                    .limit(rows).toList();
            if (usable.size() < rows) {
                throw new IllegalArgumentException("only " + usable.size() + " rows have every input of " + model);
            }
            Buffer v1 = v1Body(usable, inputs);
            Buffer v2 = v2Body(usable, inputs);
            Buffer grpc = grpcBody(model, usable, inputs);
            System.out.printf("%d rows a request: v1 %,d bytes, v2 %,d bytes, grpc %,d bytes%n", rows, v1.length(),
                    v2.length(), grpc.length());
            for (int m = 6; m < args.length; m++) {
                String mode = args[m];
                Run run = switch (mode) {
                    case "v1" -> new Run(() -> post(h1, "/v1/predict/batch", "application/json", v1));
                    case "v2" -> new Run(() -> post(h1, "/v2/models/" + model + "/infer", "application/json", v2));
                    case "grpc" -> new Run(() -> post(h2, "/inference.GRPCInferenceService/ModelInfer",
                            "application/grpc", grpc));
                    default -> throw new IllegalArgumentException("mode is v1, v2 or grpc, was " + mode);
                };
                run.go(concurrency, 5); // warm-up, not reported
                Run measured = new Run(run.call);
                measured.go(concurrency, seconds);
                System.out.printf("%s: %,.0f rows/s (%,.0f requests/s), p50 %.2f ms, p99 %.2f ms, failed %d%n", mode,
                        measured.done.get() * rows / (double) seconds, measured.done.get() / (double) seconds,
                        measured.latency.getValueAtPercentile(50) / 1000.0,
                        measured.latency.getValueAtPercentile(99) / 1000.0, measured.failed.get());
            }
        } finally {
            vertx.close();
        }
    }

    /** A closed loop: each answer sends the next request, until the time is up. */
    private static final class Run {
        final java.util.function.Supplier<Future<Integer>> call;
        final AtomicLong done = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final Histogram latency = new Histogram(60_000_000L, 3);
        long deadline;

        Run(java.util.function.Supplier<Future<Integer>> call) {
            this.call = call;
        }

        void go(int concurrency, int seconds) throws Exception {
            deadline = System.nanoTime() + seconds * 1_000_000_000L;
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                CompletableFuture<Void> f = new CompletableFuture<>();
                loops.add(f);
                next(f);
            }
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(seconds + 30L, TimeUnit.SECONDS);
        }

        private void next(CompletableFuture<Void> loop) {
            if (System.nanoTime() >= deadline) {
                loop.complete(null);
                return;
            }
            long t0 = System.nanoTime();
            call.get().onComplete(ar -> {
                if (ar.succeeded() && ar.result() == 200) {
                    done.incrementAndGet();
                    latency.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                } else {
                    failed.incrementAndGet();
                }
                next(loop);
            });
        }
    }

    /** The status of an answer: the HTTP status, or for gRPC 200 only when grpc-status is 0. */
    private static Future<Integer> post(HttpClient c, String path, String type, Buffer body) {
        return c.request(HttpMethod.POST, path).compose(req -> req.putHeader("content-type", type).send(body)
                .compose(resp -> resp.body().map(b -> {
                    String grpc = resp.getTrailer("grpc-status") != null ? resp.getTrailer("grpc-status")
                            : resp.getHeader("grpc-status");
                    return type.equals("application/grpc") && !"0".equals(grpc) ? 500 : resp.statusCode();
                })));
    }

    private static Buffer v1Body(List<JsonObject> rows, List<String[]> inputs) {
        JsonArray out = new JsonArray();
        for (JsonObject r : rows) {
            JsonObject f = new JsonObject();
            inputs.forEach(i -> f.put(i[0], r.getValue(i[0])));
            out.add(new JsonObject().put("features", f));
        }
        return new JsonObject().put("rows", out).toBuffer();
    }

    private static Buffer v2Body(List<JsonObject> rows, List<String[]> inputs) {
        JsonArray tensors = new JsonArray();
        for (String[] i : inputs) {
            JsonArray data = new JsonArray();
            rows.forEach(r -> data.add(r.getValue(i[0])));
            tensors.add(new JsonObject().put("name", i[0]).put("datatype", i[1])
                    .put("shape", new JsonArray().add(rows.size())).put("data", data));
        }
        return new JsonObject().put("inputs", tensors).toBuffer();
    }

    /** ModelInferRequest{model_name=1, inputs=5{name=1, datatype=2, shape=3, contents=5{fp64=7, bytes=8}}}, framed. */
    static Buffer grpcBody(String model, List<JsonObject> rows, List<String[]> inputs) {
        ByteArrayOutputStream msg = new ByteArrayOutputStream();
        string(msg, 1, model);
        for (String[] i : inputs) {
            ByteArrayOutputStream tensor = new ByteArrayOutputStream();
            string(tensor, 1, i[0]);
            string(tensor, 2, i[1]);
            ByteArrayOutputStream shape = new ByteArrayOutputStream();
            varint(shape, rows.size());
            bytes(tensor, 3, shape.toByteArray());
            ByteArrayOutputStream contents = new ByteArrayOutputStream();
            if (i[1].equals("BYTES")) {
                rows.forEach(r -> string(contents, 8, String.valueOf(r.getValue(i[0]))));
            } else {
                ByteArrayOutputStream packed = new ByteArrayOutputStream();
                for (JsonObject r : rows) {
                    long bits = Double.doubleToLongBits(((Number) r.getValue(i[0])).doubleValue());
                    for (int b = 0; b < 8; b++) {
                        packed.write((int) (bits >>> (8 * b)) & 0xff);
                    }
                }
                bytes(contents, 7, packed.toByteArray());
            }
            bytes(tensor, 5, contents.toByteArray());
            bytes(msg, 5, tensor.toByteArray());
        }
        byte[] m = msg.toByteArray();
        return Buffer.buffer().appendByte((byte) 0).appendUnsignedInt(m.length).appendBytes(m);
    }

    private static void string(ByteArrayOutputStream out, int field, String s) {
        bytes(out, field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void bytes(ByteArrayOutputStream out, int field, byte[] b) {
        varint(out, (long) field << 3 | 2);
        varint(out, b.length);
        out.writeBytes(b);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }
}
