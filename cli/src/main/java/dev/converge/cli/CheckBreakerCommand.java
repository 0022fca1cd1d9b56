package dev.converge.cli;

import dev.converge.bench.BreakerCheck;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "check-breaker", mixinStandardHelpOptions = true, description = {"A dependency's circuit breaker under"
        + " load, against a running server: constant-rate requests; --stop takes the dependency down, the breaker must"
        + " open within --open-within while every request is still answered 200 (degraded), --start brings it back,"
        + " and the breaker must close within --close-within. Exit 0 when all of that holds; 1 otherwise.",
        "The breaker's state is read from /metrics (converge_breaker_state) every 100 ms and every change is printed."
                + " --stop and --start are shell commands run here (systemctl, pg_ctl, redis-cli, kubectl scale...)."})
final class CheckBreakerCommand implements Callable<Integer> {
    @Mixin
    ServerTarget server;

    @Option(names = "--dependency", required = true, paramLabel = "redis|postgresql",
            description = "the breaker to watch: redis (the cache) or postgresql (the feature store)")
    String dependency;

    @Option(names = "--stop", required = true, paramLabel = "COMMAND", description = "takes the dependency down")
    String stop;

    @Option(names = "--start", required = true, paramLabel = "COMMAND", description = "brings it back")
    String start;

    @Option(names = "--rate", defaultValue = "200", description = "requests per second (default 200)")
    double rate;

    @Option(names = "--open-within", defaultValue = "10", description = "seconds the breaker has to open (default 10)")
    double openWithin;

    @Option(names = "--close-within", defaultValue = "90",
            description = "seconds it has to close after --start (default 90: serve.breaker_open_secs is 60)")
    double closeWithin;

    @Mixin
    RequestBody request;

    @Override
    public Integer call() throws Exception {
        if (!dependency.equals("redis") && !dependency.equals("postgresql")) {
            System.err.println("--dependency must be redis or postgresql, was '" + dependency + "'");
            return 2;
        }
        String body = request.json();
        BreakerCheck.Verdict v = BreakerCheck.run(server.baseUrl(), dependency, BreakerCheck.Command.shell(stop),
                BreakerCheck.Command.shell(start), rate, openWithin, closeWithin, i -> body);
        System.out.println(v.describe());
        return v.passed() ? 0 : 1;
    }
}
