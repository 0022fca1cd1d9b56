package dev.converge.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;

/**
 * The upper bound for HTTP: a plain Vert.x server, one instance per event loop like the prediction server, whose
 * one route returns a constant JSON body of the size of a prediction. Nothing the prediction server does can be
 * faster than this.
 */
public final class PlainServer {
    static final Buffer BODY = Buffer.buffer("{\"prediction\":\"good\",\"probabilities\":{\"bad\":0.0882,\"good\":0.9118},"
            + "\"model\":{\"name\":\"credit_risk\",\"version\":1},\"latency_ms\":0.1,\"cached\":false,\"degraded\":false}");

    private PlainServer() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int loops = Integer.parseInt(args[1]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
        vertx.deployVerticle(() -> new VerticleBase() {
            @Override
            public Future<?> start() {
                return vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> req.response()
                        .putHeader("content-type", "application/json").end(BODY))).listen(port, "127.0.0.1");
            }
        }, new DeploymentOptions().setInstances(loops)).toCompletionStage().toCompletableFuture().get();
        System.out.println("plain server on 127.0.0.1:" + port);
        System.out.flush();
        while (System.in.read() >= 0) {
            // serve until the parent closes stdin
        }
        System.exit(0);
    }
}
