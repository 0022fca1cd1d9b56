package dev.converge.cli;

import dev.converge.bench.EventLoopCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "check-event-loop", mixinStandardHelpOptions = true, description = {"Event-loop lag under load,"
        + " against a running server: constant-rate requests for --duration seconds, and the server's own lag probe"
        + " read from /metrics before and after; passes (exit 0) when the lag's p99 over the load is at most"
        + " --threshold-ms; exit 1 otherwise."})
final class CheckEventLoopCommand implements Callable<Integer> {
    @Option(names = "--url", required = true, description = "the server, e.g. http://127.0.0.1:8080 (loopback only)")
    String url;

    @Option(names = "--threshold-ms", defaultValue = "10", description = "the largest p99 lag that passes (default 10)")
    double thresholdMs;

    @Option(names = "--rate", defaultValue = "1000", description = "requests per second (default 1000)")
    double rate;

    @Option(names = "--duration", defaultValue = "10", paramLabel = "SECONDS", description = "seconds of load"
            + " (default 10)")
    double seconds;

    @Option(names = "--body", paramLabel = "FILE", description = "the JSON request to send (default: --entity's)")
    Path body;

    @Option(names = "--entity", paramLabel = "ID", description = "send {\"entity_id\": ID} (default 1)")
    String entity;

    @Override
    public Integer call() throws Exception {
        if (body != null && entity != null) {
            throw new IllegalArgumentException("give --body or --entity, not both");
        }
        if (thresholdMs <= 0 || rate <= 0 || seconds <= 0) {
            throw new IllegalArgumentException("--threshold-ms, --rate and --duration must be > 0, were " + thresholdMs
                    + ", " + rate + ", " + seconds);
        }
        String request = body != null ? Files.readString(body) : new io.vertx.core.json.JsonObject()
                .put("entity_id", entity == null ? "1" : entity).encode();
        EventLoopCheck.Verdict v = EventLoopCheck.run(url.replaceAll("/+$", ""), thresholdMs, rate, seconds,
                i -> request);
        System.out.println(v.describe());
        return v.passed() ? 0 : 1;
    }
}
