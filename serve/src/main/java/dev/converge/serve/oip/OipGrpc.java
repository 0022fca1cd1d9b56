package dev.converge.serve.oip;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.converge.serve.access.AccessControl;
import dev.converge.serve.access.Principal;
import dev.converge.serve.grpc.Grpc;
import dev.converge.serve.http.Responses;
import dev.converge.serve.module.ServeModule;
import dev.converge.serve.oip.proto.ModelInferRequest;
import dev.converge.serve.oip.proto.ModelMetadataRequest;
import dev.converge.serve.oip.proto.ModelReadyRequest;
import dev.converge.serve.oip.proto.ModelReadyResponse;
import dev.converge.serve.oip.proto.ServerLiveResponse;
import dev.converge.serve.oip.proto.ServerMetadataResponse;
import dev.converge.serve.oip.proto.ServerReadyResponse;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The Open Inference Protocol over gRPC ({@code inference.GRPCInferenceService}, src/main/protobuf), served on the
 * HTTP port over HTTP/2 (cleartext with prior knowledge, as gRPC clients connect, or TLS with ALPN): each unary call
 * is a route of the router, so admission, body limits, access control and the request metrics apply as on every
 * other route, and each call runs the same {@link OipService} operation as its REST twin. A call's model is checked
 * against the key's models once the message is read (the route only knows the key may predict).
 */
public final class OipGrpc implements ServeModule {
    /** The service's path prefix: {@code /inference.GRPCInferenceService/<Method>}. */
    public static final String PREFIX = "/inference.GRPCInferenceService/";

    private final OipService oip;

    public OipGrpc(OipRoutes rest) {
        this.oip = rest.service();
    }

    @Override
    public String name() {
        return "open-inference-grpc";
    }

    @Override
    public void mount(Vertx vertx, Router router) {
        router.post(PREFIX + ":method").handler(this::call);
    }

    private void call(RoutingContext ctx) {
        if (!Grpc.is(ctx)) {
            Responses.error(ctx, 415, "unsupported_media_type", "this is the Open Inference Protocol's gRPC service:"
                    + " send application/grpc over HTTP/2 (its REST twin is under /v2)");
            return;
        }
        try {
            byte[] message = Grpc.message(ctx);
            switch (ctx.pathParam("method")) {
                case "ServerLive" -> Grpc.reply(ctx, ServerLiveResponse.newBuilder().setLive(true).build().toByteArray());
                case "ServerReady" -> Grpc.reply(ctx, ServerReadyResponse.newBuilder().setReady(oip.ready()).build()
                        .toByteArray());
                case "ServerMetadata" -> {
                    JsonObject s = oip.server().body();
                    ServerMetadataResponse.Builder b = ServerMetadataResponse.newBuilder().setName(s.getString("name"))
                            .setVersion(s.getString("version"));
                    s.getJsonArray("extensions").forEach(e -> b.addExtensions(String.valueOf(e)));
                    Grpc.reply(ctx, b.build().toByteArray());
                }
                case "ModelReady" -> {
                    ModelReadyRequest r = ModelReadyRequest.parseFrom(message);
                    may(ctx, r.getName());
                    OipService.Reply reply = oip.modelReady(r.getName(), version(r.getVersion()));
                    if (reply.status() == 404) {
                        refuse(ctx, reply);
                    } else { // not ready is an answer here (ready: false), as the protocol's servers give it
                        Grpc.reply(ctx, ModelReadyResponse.newBuilder().setReady(reply.status() == 200).build()
                                .toByteArray());
                    }
                }
                case "ModelMetadata" -> {
                    ModelMetadataRequest r = ModelMetadataRequest.parseFrom(message);
                    may(ctx, r.getName());
                    OipService.Reply reply = oip.metadata(r.getName(), version(r.getVersion()));
                    answer(ctx, reply, () -> GrpcTensors.metadata(reply.body()));
                }
                case "ModelInfer" -> infer(ctx, ModelInferRequest.parseFrom(message));
                default -> Grpc.refuse(ctx, Grpc.UNIMPLEMENTED, "inference.GRPCInferenceService has no method '"
                        + ctx.pathParam("method") + "'");
            }
        } catch (Grpc.Refused e) {
            Grpc.refuse(ctx, e.status(), e.getMessage());
        } catch (InvalidProtocolBufferException e) {
            Grpc.refuse(ctx, Grpc.INVALID_ARGUMENT, "the message is not a valid " + ctx.pathParam("method")
                    + " request: " + e.getMessage());
        } catch (Tensors.Refused e) {
            Grpc.refuse(ctx, Grpc.INVALID_ARGUMENT, e.getMessage());
        }
    }

    private void infer(RoutingContext ctx, ModelInferRequest r) {
        may(ctx, r.getModelName());
        JsonObject body = GrpcTensors.request(r);
        boolean raw = r.getRawInputContentsCount() > 0;
        oip.infer(r.getModelName(), version(r.getModelVersion()), body).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            OipService.Reply reply = ar.result();
            answer(ctx, reply, () -> GrpcTensors.response(reply.body(), raw));
        });
    }

    /** With keys enforced, the key must be allowed to predict with {@code model}; open access checks nothing. */
    private static void may(RoutingContext ctx, String model) {
        Principal p = ctx.get(AccessControl.PRINCIPAL);
        if (p != null && !p.mayPredict(model)) {
            throw new Grpc.Refused(Grpc.PERMISSION_DENIED, "key " + p.id() + " ('" + p.name() + "') may predict only"
                    + " with " + p.models() + ", not '" + model + "'");
        }
    }

    private static String version(String v) {
        return v == null || v.isEmpty() ? null : v;
    }

    private static void answer(RoutingContext ctx, OipService.Reply reply,
                               java.util.function.Supplier<MessageLite> message) {
        if (reply.status() != 200) {
            refuse(ctx, reply);
            return;
        }
        Grpc.reply(ctx, message.get().toByteArray());
    }

    private static void refuse(RoutingContext ctx, OipService.Reply reply) {
        Grpc.refuse(ctx, Grpc.status(reply.status()), reply.overloaded() != null ? reply.message()
                + " (retry after 1 s)" : reply.message());
    }
}
