package dev.converge.serve.path;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.ValidationResult;
import dev.converge.model.Mojo;
import dev.converge.model.Prediction;
import dev.converge.registry.codec.Json;
import dev.converge.registry.codec.SchemaCodec;
import dev.converge.serve.cache.PredictionCache;
import dev.converge.serve.http.PredictionJson;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.predict.PredictionOutcome;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
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
 * The prediction path's own work around scoring, stage by stage, on the quickstart's GLM and one of its reference
 * rows: the request codec, validation, encoding, the cache key, scoring and the answer's codec. JMH, so that a
 * regression in any stage shows as a number. In serve's test sources, not in bench: the stages are package-private
 * (and bench may not reach into serve.impl). Run (docs/perf.md):
 * <pre>
 * ./mvnw -q -pl serve -am test-compile -DskipTests
 * ./mvnw -q -pl serve dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cp.txt
 * java -cp serve/target/test-classes:serve/target/classes:$(cat serve/target/cp.txt) org.openjdk.jmh.Main PathBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PathBenchmark {
    private ModelHandle model;
    private Buffer body;
    private Map<String, Object> features;
    private Map<String, Object> validated;
    private Map<String, Object> encoded;
    private PredictionOutcome.Scored outcome;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() throws Exception {
        byte[] mojo;
        Map<String, Object> meta;
        try (InputStream in = PathBenchmark.class.getResourceAsStream("/models/glm.zip");
             InputStream m = PathBenchmark.class.getResourceAsStream("/models/glm.json")) {
            mojo = in.readAllBytes();
            meta = Json.readMap(new String(m.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        FeatureSchema schema = SchemaCodec.fromJson(Json.write(meta.get("feature_schema")));
        model = new ModelHandle("credit_risk", 1, "glm", Mojo.fromBytes(mojo, "glm.zip"), schema, 1.0, true,
                "0".repeat(64), List.of());
        features = new java.util.LinkedHashMap<>(((List<Map<String, Object>>) meta.get("reference_rows")).get(0));
        body = Buffer.buffer(new JsonObject().put("features", new JsonObject(features)).encode());
        validated = model.validator().validate(features).values();
        encoded = model.encode(validated);
        outcome = new PredictionOutcome.Scored(model.ref(), model.score(encoded), false, List.of(),
                dev.converge.serve.predict.PredictionIds.next());
    }

    @Benchmark
    public RequestDecoder.Decoded decodeRequest() {
        return RequestDecoder.decode(io.vertx.core.json.Json.decodeValue(body), "");
    }

    @Benchmark
    public ValidationResult validate() {
        return model.validator().validate(features);
    }

    @Benchmark
    public Map<String, Object> encode() {
        return model.encode(validated);
    }

    @Benchmark
    public String cacheKey() {
        return PredictionCache.key(model, validated);
    }

    @Benchmark
    public Prediction score() {
        return model.score(encoded);
    }

    @Benchmark
    public String answer() {
        return PredictionJson.answer(outcome, 0.123).encode();
    }

    /** The answer as the REST route writes it (straight to text; {@link #answer} is the JsonObject it equals). */
    @Benchmark
    public String answerText() {
        return PredictionJson.answerText(outcome, 0.123);
    }
}
