package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.config.Resilience;
import dev.converge.serve.config.ServeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core ({@code src/test/browser}, installed
 * with npm on first use; never a downloaded browser). The page loads with no console error and shows the champion,
 * read-only without the token (and the server refuses a state change without it); a chart updates while load runs; a
 * breaker opened on purpose (Redis at a port nothing listens on, every answer cached) shows as open; a promotion
 * made in the registry appears in the history and as the champion without a reload. The screenshot is kept in
 * {@code target/browser/dashboard.png}. Skipped, saying so, where Node.js or Chromium is missing (CI installs both).
 */
class DashboardBrowserIT {
    static final String TOKEN = "browser-admin-token-0123456789";
    static final Path BROWSER = Path.of("src/test/browser");

    @TempDir
    Path work;

    @Test
    void theDashboardShowsTheServerLiveInABrowser() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromium")), "Debian's chromium is not installed"
                + " (apt-get install chromium): the dashboard was not tried in a browser");
        Assumptions.assumeTrue(run(List.of("node", "--version"), Path.of(".")) == 0, "Node.js is not installed: the"
                + " dashboard was not tried in a browser");
        if (!Files.isDirectory(BROWSER.resolve("node_modules/playwright-core"))) {
            assertThat(run(List.of("npm", "ci", "--no-audit", "--no-fund"), BROWSER)).as("npm ci in " + BROWSER)
                    .isZero();
        }
        Path shots = Path.of("target/browser");
        Files.createDirectories(shots);

        try (ServeFixture fixture = new ServeFixture(work)) {
            int deadPort;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                deadPort = s.getLocalPort(); // closed again: nothing listens there
            }
            ServeConfig config = ServeConfig.builder().port(0).adminToken(TOKEN).eventLoops(1).scoringWorkers(2)
                    .inlineScoringMaxMicros(50).pgPoolSize(4)
                    .resilience(Resilience.builder().redisUrl("redis://127.0.0.1:" + deadPort).breakerOpenSeconds(60)
                            .cacheAlways(true).build())
                    .build();
            PredictionServer server = PredictionServer.start(config, fixture.db.endpoint(), null).toCompletionStage()
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            Vertx vertx = Vertx.vertx();
            AtomicBoolean loading = new AtomicBoolean();
            Thread load = null;
            try {
                ServeFixture.awaitModel(server);
                WebClient http = WebClient.create(vertx);
                JsonObject row = new JsonObject(new HashMap<>(server.activeModel().referenceRows().get(0)));
                Process node = new ProcessBuilder("node", "dashboard.mjs", "http://127.0.0.1:" + server.port(), TOKEN,
                        shots.toAbsolutePath().resolve("dashboard.png").toString()).directory(BROWSER.toFile())
                        .redirectErrorStream(true).start();
                List<String> said = new ArrayList<>();
                try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(),
                        StandardCharsets.UTF_8)); Writer in = new java.io.OutputStreamWriter(node.getOutputStream(),
                        StandardCharsets.UTF_8)) {
                    for (String line; (line = out.readLine()) != null; ) {
                        said.add(line);
                        if (line.equals("ready-for-load")) {
                            loading.set(true);
                            load = new Thread(() -> {
                                int i = 0;
                                while (loading.get()) {
                                    http.post(server.port(), "127.0.0.1", "/v1/predict").sendJsonObject(new JsonObject()
                                            .put("entity_id", Integer.toString(1 + i++ % 500)).put("features", row));
                                    try {
                                        Thread.sleep(5);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            });
                            load.start();
                            in.write("load\n");
                            in.flush();
                        } else if (line.equals("ready-for-promotion")) {
                            fixture.registry.promote("credit_risk", 2, "browser test", "promoted while the page is open");
                            in.write("promoted\n");
                            in.flush();
                        }
                    }
                }
                assertThat(node.waitFor(120, TimeUnit.SECONDS)).isTrue();
                String transcript = String.join("\n", said);
                assertThat(node.exitValue()).as(transcript).isZero();
                assertThat(said).as(transcript).containsSubsequence("champion v1", "read-only",
                        "refused without the token: 401", "chart updates", "redis breaker open", "promotion in history",
                        "champion v2", "admin enabled with the token", "screenshot", "console errors: 0");
                assertThat(shots.resolve("dashboard.png")).isNotEmptyFile();
            } finally {
                loading.set(false);
                if (load != null) {
                    load.join(5000);
                }
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                vertx.close();
            }
        }
    }

    static int run(List<String> cmd, Path dir) throws Exception {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getInputStream().transferTo(System.out);
            return p.waitFor(180, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
