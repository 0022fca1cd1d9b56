package dev.converge.serve.cache;

import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.resilience.Breaker;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;

/**
 * The look-aside prediction cache on Redis. Keys are {@code {model}:v{version}:{artifact sha256, 12 hex}:pred:{sha256}}
 * of the canonical
 * feature vector (schema fingerprint, keys sorted, numbers in one normal form), so identical inputs always share a
 * key, different inputs never do, and a new model version is a new namespace (the artifact digest keeps two
 * registries that share a Redis from colliding on a name and version): old keys age out by TTL, nothing is
 * ever flushed. Each entry stores its compute time and expiry for probabilistic early expiration (XFetch, Vattani
 * et al., VLDB 2015): a hit is refreshed early with a probability that rises as the expiry nears.
 */
public final class PredictionCache {
    /** A cached prediction, with what XFetch needs. */
    public record Entry(JsonObject prediction, double computeMillis, long expiresAtMillis) {}

    private final Redis redis;
    private final Breaker breaker;
    private final long ttlMillis;
    private final double beta;
    private final DoubleSupplier random;

    private final io.micrometer.core.instrument.Timer latency;

    public PredictionCache(Redis redis, Breaker breaker, long ttlMillis, double beta, DoubleSupplier random,
                           io.micrometer.core.instrument.MeterRegistry metrics) {
        this.latency = io.micrometer.core.instrument.Timer.builder("converge.redis").publishPercentileHistogram()
                .register(metrics);
        this.redis = redis;
        this.breaker = breaker;
        this.ttlMillis = ttlMillis;
        this.beta = beta;
        this.random = random;
    }

    public static String key(ModelHandle model, Map<String, Object> validated) {
        StringBuilder canonical = new StringBuilder("fp=").append(model.schema().fingerprint());
        for (Map.Entry<String, Object> e : new TreeMap<>(validated).entrySet()) {
            canonical.append(';').append(e.getKey().length()).append(':').append(e.getKey()).append('=')
                    .append(normal(e.getValue()));
        }
        return model.name() + ":v" + model.version() + ":" + model.artifactSha256().substring(0, 12) + ":pred:"
                + sha256(canonical.toString());
    }

    /** One text per value: integral doubles without a fraction, others in Java's shortest round-trip form. */
    static String normal(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double d) {
            if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9.007199254740992E15) {
                return "n" + (long) (double) d;
            }
            return "n" + d;
        }
        if (v instanceof Boolean b) {
            return "b" + b;
        }
        if (v instanceof Instant i) {
            return "t" + i;
        }
        String s = v.toString();
        return "s" + s.length() + ":" + s;
    }

    public Future<Entry> get(String key) {
        long t0 = System.nanoTime();
        return breaker.call(() -> redis.send(Request.cmd(Command.GET).arg(key))).andThen(ar -> latency.record(
                System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS)).map(r -> {
            if (r == null) {
                return null;
            }
            JsonObject o = new JsonObject(r.toString());
            return new Entry(o.getJsonObject("p"), o.getDouble("d"), o.getLong("e"));
        });
    }

    public Future<Void> put(String key, JsonObject prediction, double computeMillis) {
        long now = System.currentTimeMillis();
        String value = new JsonObject().put("p", prediction).put("d", computeMillis).put("e", now + ttlMillis)
                .encode();
        return breaker.<Response>call(() -> redis.send(Request.cmd(Command.SET).arg(key).arg(value).arg("PX")
                .arg(Long.toString(ttlMillis)))).mapEmpty();
    }

    /** XFetch: refresh early when now - delta * beta * ln(rand) >= expiry. */
    public boolean refreshEarly(Entry e, long nowMillis) {
        double u = Math.max(Double.MIN_VALUE, random.getAsDouble());
        return nowMillis - e.computeMillis() * beta * Math.log(u) >= e.expiresAtMillis();
    }

    public long ttlMillis() {
        return ttlMillis;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
