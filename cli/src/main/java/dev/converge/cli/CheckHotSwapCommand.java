package dev.converge.cli;

import dev.converge.bench.HotSwapCheck;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "check-hot-swap", mixinStandardHelpOptions = true, description = {"Hot swap under load, against a"
        + " running server: constant-rate requests, and a third of the way in the admin API activates --to; passes"
        + " (exit 0) when every request is answered 200 and the server then serves --to; exit 1 otherwise.",
        "The admin token from --token or CONVERGE_SERVE_ADMIN_TOKEN."})
final class CheckHotSwapCommand implements Callable<Integer> {
    @Mixin
    ServerTarget server;

    @Mixin
    AdminToken token;

    @Option(names = "--to", required = true, paramLabel = "VERSION", description = "the version to activate")
    int to;

    @Option(names = "--rate", defaultValue = "1000", description = "requests per second (default 1000)")
    double rate;

    @Option(names = "--seconds", defaultValue = "9", description = "how long the load runs (default 9)")
    double seconds;

    @Mixin
    RequestBody request;

    @Override
    public Integer call() throws Exception {
        String body = request.json();
        HotSwapCheck.Verdict v = HotSwapCheck.run(server.baseUrl(), token.value(), to, rate, seconds, i -> body);
        System.out.println(v.describe());
        return v.passed() ? 0 : 1;
    }
}
