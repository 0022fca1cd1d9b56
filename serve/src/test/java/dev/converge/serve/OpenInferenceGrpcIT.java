package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.registry.ApiKeys;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.oip.proto.InferTensorContents;
import dev.converge.serve.oip.proto.ModelInferRequest;
import dev.converge.serve.oip.proto.ModelInferResponse;
import dev.converge.serve.oip.proto.ModelMetadataRequest;
import dev.converge.serve.oip.proto.ModelMetadataResponse;
import dev.converge.serve.oip.proto.ServerLiveResponse;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Open Inference Protocol over gRPC against a real server with API keys enforced: the calls a KServe or Triton
 * client makes, on HTTP/2 with prior knowledge, answered with the same numbers as the REST routes for the same rows,
 * refusals as gRPC statuses. Once with a client of Vert.x's HTTP/2 stack and this module's generated messages, once
 * with grpcio (Debian's python3-grpcio and python3-grpc-tools), whose stubs are generated here from the .proto.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenInferenceGrpcIT {
    /** Debian's Python, which has Debian's grpcio (a python3 first on the PATH, such as pyenv's, may not). */
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3"
            : "python3";

    private Path work;
    private ServeFixture fixture;
    private PredictionServer server;
    private Vertx vertx;
    private HttpClient h2;
    private String key;
    private String otherModelKey;
    private List<Map<String, Object>> reference;

    record Answer(int httpStatus, MultiMap headers, MultiMap trailers, byte[] message) {
        String grpcStatus() {
            String s = trailers.get("grpc-status");
            return s != null ? s : headers.get("grpc-status");
        }
    }

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("oip-grpc");
        fixture = new ServeFixture(work);
        ApiKeys keys = new ApiKeys(fixture.db.dataSource());
        key = keys.create("grpc test", List.of("predict", "read"), null, null, "test").key();
        otherModelKey = keys.create("churn only", List.of("predict"), List.of("churn"), null, "test").key();
        server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1).auth("keys")
                .resilience(Resilience.builder().redisUrl("none").build()).build(), fixture.db.endpoint(), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        reference = ServeFixture.awaitModel(server).referenceRows();
        vertx = Vertx.vertx();
        h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false)); // prior knowledge, as gRPC clients connect
    }

    @AfterAll
    void stop() throws Exception {
        h2.close();
        vertx.close();
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        fixture.close();
    }

    private Answer call(String method, byte[] message, String bearer) throws Exception {
        Buffer framed = Buffer.buffer().appendByte((byte) 0).appendUnsignedInt(message.length).appendBytes(message);
        return h2.request(HttpMethod.POST, server.port(), "127.0.0.1", "/inference.GRPCInferenceService/" + method)
                .compose(req -> {
                    req.putHeader("content-type", "application/grpc").putHeader("te", "trailers");
                    if (bearer != null) {
                        req.putHeader("authorization", "Bearer " + bearer);
                    }
                    return req.send(framed).compose(resp -> resp.body().map(body -> new Answer(resp.statusCode(),
                            resp.headers(), resp.trailers(), body.length() >= 5 ? body.getBytes(5, body.length())
                            : new byte[0])));
                }).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private ModelInferRequest request(int n) {
        ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName("credit_risk").setId("j-1");
        for (dev.converge.contracts.FeatureSpec f : server.activeModel().schema().features()) {
            ModelInferRequest.InferInputTensor.Builder t = r.addInputsBuilder().setName(f.name()).addShape(n);
            InferTensorContents.Builder c = InferTensorContents.newBuilder();
            if (f.type() == dev.converge.contracts.FeatureType.NUMERIC) {
                t.setDatatype("FP64");
                reference.subList(0, n).forEach(row -> c.addFp64Contents(((Number) row.get(f.name())).doubleValue()));
            } else {
                t.setDatatype("BYTES");
                reference.subList(0, n).forEach(row -> c.addBytesContents(com.google.protobuf.ByteString
                        .copyFromUtf8(String.valueOf(row.get(f.name())))));
            }
            t.setContents(c);
        }
        return r.build();
    }

    private JsonObject rest(int n) throws Exception {
        JsonArray rows = new JsonArray();
        for (int i = 0; i < n; i++) {
            rows.add(new JsonObject().put("features", new JsonObject(new java.util.LinkedHashMap<>(reference.get(i)))));
        }
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port()
                        + "/v1/predict/batch")).header("content-type", "application/json")
                        .header("authorization", "Bearer " + key)
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(new JsonObject().put("rows", rows)
                                .encode())).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body());
    }

    @Test
    void inferOverHttp2AnswersTheRestRoutesNumbersWithGrpcStatusZero() throws Exception {
        int n = 3;
        Answer a = call("ModelInfer", request(n).toByteArray(), key);

        assertThat(a.httpStatus()).isEqualTo(200);
        assertThat(a.headers().get("content-type")).isEqualTo("application/grpc");
        assertThat(a.grpcStatus()).as("%s", a.headers()).isEqualTo("0");
        ModelInferResponse r = ModelInferResponse.parseFrom(a.message());
        assertThat(r.getModelName()).isEqualTo("credit_risk");
        assertThat(r.getModelVersion()).isEqualTo("1");
        assertThat(r.getId()).isEqualTo("j-1");
        Map<String, ModelInferResponse.InferOutputTensor> out = new java.util.HashMap<>();
        r.getOutputsList().forEach(t -> out.put(t.getName(), t));
        assertThat(out).containsOnlyKeys("predict", "probabilities", "prediction_id", "model_version");
        assertThat(out.get("probabilities").getShapeList()).containsExactly((long) n, 2L);
        List<String> classes = List.of(out.get("probabilities").getParametersMap().get("classes").getStringParam()
                .split(","));
        JsonArray results = rest(n).getJsonArray("results");
        for (int i = 0; i < n; i++) {
            JsonObject row = results.getJsonObject(i);
            assertThat(out.get("predict").getContents().getBytesContents(i).toStringUtf8())
                    .isEqualTo(row.getString("prediction"));
            for (int c = 0; c < classes.size(); c++) {
                assertThat(out.get("probabilities").getContents().getFp64Contents(i * classes.size() + c))
                        .isEqualTo(row.getJsonObject("probabilities").getDouble(classes.get(c)));
            }
        }
    }

    @Test
    void refusalsAreGrpcStatusesNamingTheProblem() throws Exception {
        Answer noKey = call("ModelInfer", request(1).toByteArray(), null);
        assertThat(noKey.httpStatus()).isEqualTo(200);
        assertThat(noKey.grpcStatus()).as("UNAUTHENTICATED").isEqualTo("16");

        Answer otherModel = call("ModelInfer", request(1).toByteArray(), otherModelKey);
        assertThat(otherModel.grpcStatus()).as("PERMISSION_DENIED").isEqualTo("7");
        assertThat(java.net.URLDecoder.decode(otherModel.headers().get("grpc-message"), StandardCharsets.UTF_8))
                .contains("may predict only with [churn]");

        Answer unknown = call("ModelInfer", ModelInferRequest.newBuilder().setModelName("churn").build()
                .toByteArray(), key);
        assertThat(unknown.grpcStatus()).as("NOT_FOUND").isEqualTo("5");

        ModelInferRequest.Builder bad = request(2).toBuilder();
        bad.getInputsBuilder(0).setDatatype("FP64").setContents(InferTensorContents.newBuilder().addFp32Contents(1f)
                .addFp32Contents(2f));
        Answer wrongField = call("ModelInfer", bad.build().toByteArray(), key);
        assertThat(wrongField.grpcStatus()).as("INVALID_ARGUMENT").isEqualTo("3");
        assertThat(java.net.URLDecoder.decode(wrongField.headers().get("grpc-message"), StandardCharsets.UTF_8))
                .contains("is FP64, whose elements go in contents.fp64_contents; it sent 2 in contents.fp32_contents");

        Answer garbage = call("ModelInfer", new byte[] {(byte) 0xff, 0x01, 0x02}, key);
        assertThat(garbage.grpcStatus()).isEqualTo("3");
        Answer nope = call("Explain", new byte[0], key);
        assertThat(nope.grpcStatus()).as("UNIMPLEMENTED").isEqualTo("12");
    }

    @Test
    void livenessAndMetadataAnswer() throws Exception {
        assertThat(ServerLiveResponse.parseFrom(call("ServerLive", new byte[0], null).message()).getLive()).isTrue();
        Answer meta = call("ModelMetadata", ModelMetadataRequest.newBuilder().setName("credit_risk").build()
                .toByteArray(), key);
        ModelMetadataResponse m = ModelMetadataResponse.parseFrom(meta.message());
        assertThat(m.getVersionsList()).containsExactly("1");
        assertThat(m.getInputsList()).extracting(ModelMetadataResponse.TensorMetadata::getName).contains("entity_id");
    }

    /** The client a Python user of KServe or Triton would write, on grpcio's HTTP/2 stack. */
    @Test
    void aGrpcioClientGeneratedFromTheProtoGetsTheSameAnswersTypedAndRaw() throws Exception {
        Assumptions.assumeTrue(python("import grpc, grpc_tools") == 0, "python3-grpcio and python3-grpc-tools"
                + " (Debian) are not installed; .ci/run installs them");
        Path stubs = work.resolve("stubs");
        Files.createDirectories(stubs);
        Path proto = Path.of(System.getProperty("converge.root", "..")).resolve("serve/src/main/protobuf")
                .toAbsolutePath().normalize();
        Process gen = new ProcessBuilder(PYTHON, "-m", "grpc_tools.protoc", "-I" + proto, "--python_out=" + stubs,
                "--grpc_python_out=" + stubs, proto.resolve("open_inference.proto").toString()).redirectErrorStream(true)
                .start();
        String genOut = new String(gen.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gen.waitFor()).as(genOut).isZero();
        Path client = work.resolve("oip_client.py");
        try (var in = getClass().getResourceAsStream("/grpc/oip_client.py")) {
            Files.copy(in, client);
        }
        int n = 3;
        List<Object> rows = new ArrayList<>(reference.subList(0, n));
        Path cases = work.resolve("cases.json");
        Files.writeString(cases, new JsonObject().put("rows", new JsonArray(rows)).put("key", key).encode());
        Process p = new ProcessBuilder(PYTHON, client.toString(), stubs.toString(), "127.0.0.1:" + server.port(),
                cases.toString()).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(stderr).isZero();
        JsonObject out = new JsonObject(stdout);

        assertThat(out.getBoolean("live")).isTrue();
        assertThat(out.getBoolean("ready")).isTrue();
        assertThat(out.getBoolean("model_ready")).isTrue();
        assertThat(out.getJsonObject("server").getString("name")).isEqualTo("converge");
        JsonArray results = rest(n).getJsonArray("results");
        for (String mode : List.of("typed", "raw")) {
            JsonObject outputs = out.getJsonObject(mode).getJsonObject("outputs");
            assertThat(out.getJsonObject(mode).getString("id")).isEqualTo("py-1");
            List<String> classes = List.of(outputs.getJsonObject("probabilities").getString("classes").split(","));
            for (int i = 0; i < n; i++) {
                JsonObject row = results.getJsonObject(i);
                assertThat(outputs.getJsonObject("predict").getJsonArray("data").getString(i)).as(mode)
                        .isEqualTo(row.getString("prediction"));
                for (int c = 0; c < classes.size(); c++) {
                    assertThat(outputs.getJsonObject("probabilities").getJsonArray("data").getDouble(i * 2 + c))
                            .as(mode).isEqualTo(row.getJsonObject("probabilities").getDouble(classes.get(c)));
                }
                assertThat(outputs.getJsonObject("model_version").getJsonArray("data").getInteger(i)).isEqualTo(1);
            }
        }
        assertThat(out.getJsonObject("unknown_model").getString("code")).isEqualTo("NOT_FOUND");
        assertThat(out.getJsonObject("unknown_model").getString("details")).contains("'churn'");
        assertThat(out.getJsonObject("bad_tensor").getString("code")).isEqualTo("INVALID_ARGUMENT");
        assertThat(out.getJsonObject("bad_tensor").getString("details")).contains("is BOOL, whose elements go in");
        assertThat(out.getJsonObject("no_key").getString("code")).isEqualTo("UNAUTHENTICATED");
    }

    /** The same calls from @grpc/grpc-js: a second gRPC implementation, pure JavaScript, loading the .proto itself. */
    @Test
    void aGrpcJsClientLoadingTheProtoGetsTheSameAnswers() throws Exception {
        Assumptions.assumeTrue(DashboardBrowserIT.run(List.of("node", "--version"), Path.of(".")) == 0, "Node.js is"
                + " not installed: the grpc-js client was not tried");
        Path dir = Path.of("src/test/grpc-js");
        if (!Files.isDirectory(dir.resolve("node_modules/@grpc/grpc-js"))) {
            assertThat(DashboardBrowserIT.run(List.of("npm", "ci", "--no-audit", "--no-fund"), dir))
                    .as("npm ci in " + dir).isZero();
        }
        int n = 3;
        Path cases = work.resolve("js-cases.json");
        Files.writeString(cases, new JsonObject().put("rows", new JsonArray(new ArrayList<>(reference.subList(0, n))))
                .put("key", key).encode());
        Path proto = Path.of("src/main/protobuf/open_inference.proto").toAbsolutePath();
        Process p = new ProcessBuilder("node", "oip_client.mjs", proto.toString(), "127.0.0.1:" + server.port(),
                cases.toString()).directory(dir.toFile()).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(stderr).isZero();
        JsonObject out = new JsonObject(stdout);

        assertThat(out.getBoolean("ready")).isTrue();
        JsonObject infer = out.getJsonObject("infer");
        assertThat(infer.getString("id")).isEqualTo("js-1");
        JsonObject outputs = infer.getJsonObject("outputs");
        List<String> classes = List.of(outputs.getJsonObject("probabilities").getString("classes").split(","));
        JsonArray results = rest(n).getJsonArray("results");
        for (int i = 0; i < n; i++) {
            JsonObject row = results.getJsonObject(i);
            assertThat(outputs.getJsonObject("predict").getJsonArray("data").getString(i))
                    .isEqualTo(row.getString("prediction"));
            for (int c = 0; c < classes.size(); c++) {
                assertThat(outputs.getJsonObject("probabilities").getJsonArray("data").getDouble(i * 2 + c))
                        .isEqualTo(row.getJsonObject("probabilities").getDouble(classes.get(c)));
            }
        }
        assertThat(out.getJsonObject("bad_tensor").getString("code")).isEqualTo("INVALID_ARGUMENT");
        assertThat(out.getJsonObject("unknown_model").getString("code")).isEqualTo("NOT_FOUND");
    }

    private static int python(String code) {
        try {
            return new ProcessBuilder(PYTHON, "-c", code).start().waitFor();
        } catch (Exception e) {
            return -1;
        }
    }
}
