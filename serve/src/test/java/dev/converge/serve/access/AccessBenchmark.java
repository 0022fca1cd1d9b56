package dev.converge.serve.access;

import dev.converge.registry.ApiKeys;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the access check adds to a request (issue 30), without the HTTP around it: finding the route's scope, and
 * checking a key (its form, the ring's lookup, one SHA-256). Run as PathBenchmark is (docs/perf.md, "The cost of
 * access control"):
 * <pre>
 * java -cp serve/target/test-classes:serve/target/classes:$(cat serve/target/cp.txt) org.openjdk.jmh.Main AccessBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AccessBenchmark {
    private KeyRing ring;
    private String key;

    @Setup
    public void setup() {
        byte[] salt = new byte[16];
        String secret = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234";
        ring = new KeyRing();
        ring.reload(List.of(new ApiKeys.Key("abc123def456", "bench", List.of("predict"), null, salt,
                sha256(salt, secret), Instant.now(), "bench", null, null, null)));
        key = "cvk_abc123def456_" + secret;
    }

    private static byte[] sha256(byte[] salt, String secret) {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            d.update(salt);
            return d.digest(secret.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Benchmark
    public Object routeScope() {
        return RouteScopes.of("POST", "/v1/predict");
    }

    @Benchmark
    public Object routeScopeByPattern() {
        return RouteScopes.of("POST", "/v2/models/credit_risk/infer");
    }

    @Benchmark
    public Object checkKey() {
        return ring.check(key);
    }
}
