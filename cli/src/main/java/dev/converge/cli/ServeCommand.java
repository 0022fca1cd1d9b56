package dev.converge.cli;

import dev.converge.serve.PredictionServer;
import dev.converge.serve.ServeMain;
import dev.converge.serve.config.ServeConfig;
import dev.converge.store.Database;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
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

    @Option(names = "--models", paramLabel = "NAMES", description = "Serve several models, separated by commas, or"
            + " patterns ('credit_*': every model of such a name with a champion, at start); each at"
            + " /v1/models/NAME/predict, or at /v1/predict with \"model\" in the body.")
    String models;

    @Option(names = "--auth", paramLabel = "MODE", description = "Access control: auto (the default), keys or off"
            + " (docs/security.md).")
    String auth;

    @Override
    public Integer call() throws Exception {
        ServeConfig config = config(db, host, port, model, models, auth);
        Database d = db.open(System.err);
        PredictionServer server = ServeMain.start(config, d.endpoint(), System.out);
        System.out.println(ServeMain.listening(config, server));
        ServeMain.awaitShutdown(server, d::close);
        return 0;
    }

    static ServeConfig config(DbOptions db, String host, Integer port, String model) {
        return config(db, host, port, model, null, null);
    }

    static ServeConfig config(DbOptions db, String host, Integer port, String model, String models, String auth) {
        Map<String, String> flags = new HashMap<>();
        flags.put("serve.models", models);
        flags.put("serve.auth", auth);
        flags.put("serve.host", host);
        flags.put("serve.port", port == null ? null : port.toString());
        flags.put("serve.model", model);
        return ServeConfig.from(db.settings().withFlags(flags));
    }
}
