package dev.converge.cli;

import dev.converge.serve.PredictionServer;
import dev.converge.serve.Readiness;
import dev.converge.serve.ServeConfig;
import dev.converge.store.Database;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the prediction server for the registry's champion (REST, h2o-genmodel, no H2O cluster).",
                "Admin routes need CONVERGE_SERVE_ADMIN_TOKEN (or serve.admin_token); without it they refuse."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Option(names = "--host", description = "Address to listen on (default 127.0.0.1; 0.0.0.0 in a container).")
    String host;

    @Option(names = "--port", description = "HTTP port (default 8080).")
    Integer port;

    @Option(names = "--model", description = "Registry name of the model to serve (default credit_risk).")
    String model;

    @Override
    public Integer call() throws Exception {
        ServeConfig config = config(db, host, port, model);
        Database d = db.open(System.err);
        PredictionServer server = start(config, d);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).join();
            d.close();
            stop.countDown();
        }, "converge-serve-shutdown"));
        System.out.println("Serving " + config.model() + " on " + (config.tls() == null ? "http" : "https") + "://"
                + config.host() + ":" + server.port()
                + "  (POST /v1/predict, /v1/predict/batch; GET /health/ready, /metrics, /openapi.json). Ctrl-C stops.");
        stop.await();
        return 0;
    }

    static ServeConfig config(DbOptions db, String host, Integer port, String model) {
        Map<String, String> flags = new HashMap<>();
        flags.put("serve.host", host);
        flags.put("serve.port", port == null ? null : port.toString());
        flags.put("serve.model", model);
        return ServeConfig.from(db.settings().withFlags(flags));
    }

    /** Starts the server and waits until it is ready (the champion verified) or says why not. */
    static PredictionServer start(ServeConfig config, Database d) throws Exception {
        long t0 = System.nanoTime();
        PredictionServer server = PredictionServer.start(config, d.endpoint(), null).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        Readiness r = server.awaitReady(Duration.ofSeconds(30)).toCompletionStage().toCompletableFuture().get();
        if (r.ready()) {
            System.out.printf("Ready in %.2f s: %s v%d (scoring %s, p90 %.1f us per row)%n",
                    (System.nanoTime() - t0) / 1e9, r.model(), r.version(), r.scoring(), r.p90Micros());
        } else {
            System.out.println("Not ready (serving health and metrics, waiting for a champion): " + r.reason());
        }
        return server;
    }
}
