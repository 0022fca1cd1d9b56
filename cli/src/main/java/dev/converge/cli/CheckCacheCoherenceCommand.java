package dev.converge.cli;

import dev.converge.bench.CacheCoherenceCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "check-cache-coherence", mixinStandardHelpOptions = true, description = {"No stale answer after a"
        + " version change, against a running server that caches: each request twice (the second from the cache),"
        + " then the admin API activates --to, then each again twice: every answer must come from --to, computed"
        + " first, then cached in --to's own keys. Exit 0 when all hold; exit 1 otherwise.",
        "The admin token from --token or CONVERGE_SERVE_ADMIN_TOKEN."})
final class CheckCacheCoherenceCommand implements Callable<Integer> {
    @Mixin
    ServerTarget server;

    @Mixin
    AdminToken token;

    @Option(names = "--to", required = true, paramLabel = "VERSION", description = "the version to activate")
    int to;

    @Option(names = "--redis", paramLabel = "URL", description = "the server's Redis (redis://host:port), to count"
            + " each version's keys and know whether --to had cached these inputs before")
    String redis;

    @Option(names = "--bodies", paramLabel = "FILE", description = "JSON Lines, one request per line (default:"
            + " {\"entity_id\": \"1\"} to {\"entity_id\": \"20\"})")
    Path bodies;

    @Override
    public Integer call() throws Exception {
        List<String> requests = new ArrayList<>();
        if (bodies != null) {
            for (String line : Files.readAllLines(bodies)) {
                if (!line.isBlank()) {
                    requests.add(line);
                }
            }
        } else {
            for (int i = 1; i <= 20; i++) {
                requests.add("{\"entity_id\": \"" + i + "\"}");
            }
        }
        CacheCoherenceCheck.Verdict v = CacheCoherenceCheck.run(server.baseUrl(), token.value(), to, redis,
                requests);
        System.out.println(v.describe());
        return v.passed() ? 0 : 1;
    }
}
