package dev.converge.cli;

import dev.converge.bench.HotSwapCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "check-hot-swap", mixinStandardHelpOptions = true, description = {"Hot swap under load, against a"
        + " running server: constant-rate requests, and a third of the way in the admin API activates --to; passes"
        + " (exit 0) when every request is answered 200 and the server then serves --to; exit 1 otherwise.",
        "The admin token from --token or CONVERGE_SERVE_ADMIN_TOKEN."})
final class CheckHotSwapCommand implements Callable<Integer> {
    @Option(names = "--url", required = true, description = "the server, e.g. http://127.0.0.1:8080 (loopback only)")
    String url;

    @Option(names = "--to", required = true, paramLabel = "VERSION", description = "the version to activate")
    int to;

    @Option(names = "--rate", defaultValue = "1000", description = "requests per second (default 1000)")
    double rate;

    @Option(names = "--seconds", defaultValue = "9", description = "how long the load runs (default 9)")
    double seconds;

    @Option(names = "--body", paramLabel = "FILE", description = "the JSON request to send (default: --entity's)")
    Path body;

    @Option(names = "--entity", paramLabel = "ID", description = "send {\"entity_id\": ID} (default 1)")
    String entity;

    @Option(names = "--token", description = "the admin token (default: CONVERGE_SERVE_ADMIN_TOKEN)")
    String token;

    @Override
    public Integer call() throws Exception {
        if (body != null && entity != null) {
            throw new IllegalArgumentException("give --body or --entity, not both");
        }
        String request = body != null ? Files.readString(body) : new io.vertx.core.json.JsonObject()
                .put("entity_id", entity == null ? "1" : entity).encode();
        String t = token != null ? token : System.getenv("CONVERGE_SERVE_ADMIN_TOKEN");
        HotSwapCheck.Verdict v = HotSwapCheck.run(url.replaceAll("/+$", ""), t, to, rate, seconds, i -> request);
        System.out.println(v.describe());
        return v.passed() ? 0 : 1;
    }
}
