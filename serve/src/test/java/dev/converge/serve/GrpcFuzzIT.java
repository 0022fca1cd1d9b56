package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.serve.oip.proto.InferParameter;
import dev.converge.serve.oip.proto.InferTensorContents;
import dev.converge.serve.oip.proto.ModelInferRequest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile gRPC ModelInfer calls against a live server: tensors with any name, datatype, shape, contents field,
 * raw bytes and parameters, and bytes that are no message at all. Never an INTERNAL or UNKNOWN status (a failure of
 * ours), every refusal with a message, and the server still answering afterwards.
 */
class GrpcFuzzIT {
    static Path work;
    static ServeFixture fixture;
    static PredictionServer server;
    static Vertx vertx;
    static HttpClient h2;

    @BeforeContainer
    static void start() throws Exception {
        work = Files.createTempDirectory("converge-grpc-fuzz");
        fixture = new ServeFixture(work);
        server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1).scoringWorkers(1)
                .inlineScoringMaxMicros(50).batchMaxRows(100).bodyLimitBytes(64 * 1024).pgPoolSize(4)
                .resilience(Resilience.builder().redisUrl("none").breakerOpenSeconds(60).build())
                .build(), fixture.db.endpoint(), null)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        ServeFixture.awaitModel(server);
        vertx = Vertx.vertx();
        h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
    }

    @AfterContainer
    static void stop() throws Exception {
        h2.close();
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close();
        fixture.close();
    }

    static final List<String> NAMES = List.of("funded_amnt", "term", "int_rate", "grade", "annual_inc", "entity_id",
            "purpose", "", "nope", "\u0000");
    static final List<String> TYPES = List.of("FP64", "FP32", "FP16", "BF16", "INT8", "INT32", "INT64", "UINT8",
            "UINT64", "BOOL", "BYTES", "", "COMPLEX", "fp64");

    @Provide
    Arbitrary<byte[]> message() {
        Arbitrary<InferTensorContents> contents = Combinators.combine(
                Arbitraries.doubles().list().ofMaxSize(6), Arbitraries.floats().list().ofMaxSize(3),
                Arbitraries.integers().list().ofMaxSize(3), Arbitraries.longs().list().ofMaxSize(3),
                Arbitraries.strings().ofMaxLength(8).list().ofMaxSize(6), Arbitraries.of(true, false).list()
                        .ofMaxSize(3),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(6).list().ofMaxSize(2))
                .as((d, f, i, l, s, b, raw) -> {
                    InferTensorContents.Builder c = InferTensorContents.newBuilder().addAllFp64Contents(d)
                            .addAllFp32Contents(f).addAllIntContents(i).addAllInt64Contents(l).addAllBoolContents(b);
                    s.forEach(x -> c.addBytesContents(ByteString.copyFromUtf8(x)));
                    raw.forEach(x -> c.addBytesContents(ByteString.copyFrom(x))); // not always UTF-8
                    return c.build();
                });
        Arbitrary<ModelInferRequest.InferInputTensor> tensor = Combinators.combine(Arbitraries.of(NAMES),
                Arbitraries.of(TYPES), Arbitraries.longs().between(-2, 1L << 40).list().ofMaxSize(3), contents, Arbitraries.of(true, false))
                .as((n, t, shape, c, withParam) -> {
                    ModelInferRequest.InferInputTensor.Builder b = ModelInferRequest.InferInputTensor.newBuilder()
                            .setName(n).setDatatype(t).addAllShape(shape).setContents(c);
                    if (withParam) {
                        b.putParameters("content_type", InferParameter.newBuilder().setStringParam("x").build());
                    }
                    return b.build();
                });
        Arbitrary<byte[]> request = Combinators.combine(Arbitraries.of("credit_risk", "", "churn"),
                Arbitraries.of("", "1", "2", "x", "-1", "99999999999"), tensor.list().ofMaxSize(5),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(24).list().ofMaxSize(5),
                Arbitraries.of(InferParameter.newBuilder().setInt64Param(7).build(),
                        InferParameter.newBuilder().setStringParam("2024-06-01T00:00:00Z").build(),
                        InferParameter.newBuilder().setUint64Param(-1L).build()))
                .as((model, version, inputs, raw, p) -> {
                    ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName(model)
                            .setModelVersion(version).addAllInputs(inputs).putParameters("event_time", p);
                    raw.forEach(x -> r.addRawInputContents(ByteString.copyFrom(x)));
                    return r.build().toByteArray();
                });
        return Arbitraries.oneOf(request, Arbitraries.bytes().array(byte[].class).ofMaxSize(64));
    }

    @Property(tries = 300)
    void noCallIsAnInternalFailureAndEveryRefusalSaysWhy(@ForAll("message") byte[] message) throws Exception {
        Buffer framed = Buffer.buffer().appendByte((byte) 0).appendUnsignedInt(message.length).appendBytes(message);
        String[] answer = h2.request(HttpMethod.POST, server.port(), "127.0.0.1",
                        "/inference.GRPCInferenceService/ModelInfer")
                .compose(req -> req.putHeader("content-type", "application/grpc").send(framed)
                        .compose(resp -> resp.body().map(b -> new String[] {Integer.toString(resp.statusCode()),
                                resp.getTrailer("grpc-status") != null ? resp.getTrailer("grpc-status")
                                        : resp.getHeader("grpc-status"), resp.getHeader("grpc-message")})))
                .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);

        assertThat(answer[0]).isEqualTo("200");
        assertThat(answer[1]).as("a gRPC status").isNotNull().isNotIn("13", "2");
        if (!answer[1].equals("0")) {
            assertThat(answer[2]).as("status %s says why", answer[1]).isNotBlank();
        }
    }
}
