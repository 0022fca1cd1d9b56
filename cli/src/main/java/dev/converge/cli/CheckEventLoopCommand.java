package dev.converge.cli;

import dev.converge.bench.EventLoopCheck;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "check-event-loop", mixinStandardHelpOptions = true, description = {"Event-loop lag under load,"
        + " against a running server: constant-rate requests for --duration seconds, and the server's own lag probe"
        + " read from /metrics before and after; passes (exit 0) when the lag's p99 over the load is at most"
        + " --threshold-ms; exit 1 otherwise."})
final class CheckEventLoopCommand implements Callable<Integer> {
    @Mixin
    ServerTarget server;

    @Option(names = "--threshold-ms", defaultValue = "10", description = "the largest p99 lag that passes (default 10)")
    double thresholdMs;

    @Option(names = "--rate", defaultValue = "1000", description = "requests per second (default 1000)")
    double rate;

    @Option(names = "--duration", defaultValue = "10", paramLabel = "SECONDS", description = "seconds of load"
            + " (default 10)")
    double seconds;

    @Mixin
    RequestBody request;

    @Override
    public Integer call() throws Exception {
        if (thresholdMs <= 0 || rate <= 0 || seconds <= 0) {
            throw new IllegalArgumentException("--threshold-ms, --rate and --duration must be > 0, were " + thresholdMs
                    + ", " + rate + ", " + seconds);
        }
        String body = request.json();
        EventLoopCheck.Verdict v = EventLoopCheck.run(server.baseUrl(), thresholdMs, rate, seconds, i -> body);
        System.out.println(v.describe());
        return v.passed() ? 0 : 1;
    }
}
