package dev.converge.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.converge.contracts.config.Settings;
import dev.converge.train.CloudLost;
import dev.converge.train.H2oCloud;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A data node of a long-lived H2O cloud (the pods of a Kubernetes StatefulSet): it forms the cloud with its peers
 * (h2o.flatfile, or Kubernetes discovery of the headless service), lets training drivers join as clients
 * ({@code converge train} with {@code h2o.role=client}), and serves probes on a port of its own, since H2O's REST
 * API stays off ({@code -disable_web}: unauthenticated, and its Jetty is old). Readiness tells what H2O's
 * {@code /3/Cloud} tells: the cloud's size against the expected one and whether its members agree on it.
 */
@Command(name = "h2o-node", mixinStandardHelpOptions = true,
        description = {"Run a data node of a long-lived H2O cloud that training joins as a client (h2o.role=client).",
                "Probes: GET /health/ready (200 once the cloud has h2o.cloud_size nodes in consensus), /health/live"
                        + " (503 once a member has been silent for --lost-member-secs: the cloud cannot heal), /cloud."})
final class H2oNodeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file (h2o.*). Default: ./converge.properties if present; then CONVERGE_H2O_*.")
    Path configFile;

    @Option(names = "--probe-port", defaultValue = "8081", description = "Port of the probe server (default ${DEFAULT-VALUE}).")
    int probePort;

    @Option(names = "--probe-host", defaultValue = "0.0.0.0", description = "Address of the probe server (default ${DEFAULT-VALUE}).")
    String probeHost;

    @Option(names = "--lost-member-secs", defaultValue = "30",
            description = "A member silent this long makes this node not live (default ${DEFAULT-VALUE}).")
    int lostMemberSecs;

    private volatile H2oCloud.Config config;
    /** Set just before H2O starts: until then its static state is not to be read. */
    private volatile boolean started;

    @Override
    public Integer call() throws Exception {
        // A node needs no database: only h2o.* settings (file, then environment).
        Path file = configFile != null ? configFile
                : Path.of("converge.properties").toFile().isFile() ? Path.of("converge.properties") : null;
        Settings s = Settings.load(file, System.getenv(), java.util.Map.of());
        Path home = dev.converge.contracts.config.ConvergeHome.dir();
        config = TrainCommand.h2oConfig(s, home.resolve("h2o"), H2oCloud.Role.NODE);
        HttpServer probes = HttpServer.create(new InetSocketAddress(probeHost, probePort), 16);
        probes.createContext("/health/ready", ex -> answer(ex, ready() ? 200 : 503));
        probes.createContext("/health/live", ex -> answer(ex, lost() == null ? 200 : 503));
        probes.createContext("/cloud", ex -> answer(ex, 200));
        probes.start();
        System.out.printf("H2O node %s:%d of cloud '%s' (%d node(s) expected); probes on %s:%d%n",
                config.bindAddress(), config.port(), config.name(), config.expectedSize(), probeHost,
                probes.getAddress().getPort());
        started = true;
        H2oCloud.start(config);
        System.out.printf("H2O cloud '%s' formed: %d node(s)%n", config.name(), H2oCloud.size());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "converge-h2o-node-stop"));
        stop.await();
        return 0;
    }

    private boolean ready() {
        Map<String, Object> c = cloud();
        return Boolean.TRUE.equals(c.get("consensus")) && c.get("silent_member") == null
                && ((Number) c.get("cloud_size")).intValue() >= ((Number) c.get("expected")).intValue();
    }

    private String lost() {
        return config == null ? null : CloudLost.silentMember(lostMemberSecs * 1000L);
    }

    /** What /3/Cloud would say, from the same state: size, consensus, lock, and each node's heartbeat. */
    private Map<String, Object> cloud() {
        Map<String, Object> m = new LinkedHashMap<>();
        H2oCloud.Config c = config;
        m.put("cloud_name", c == null ? null : c.name());
        m.put("expected", c == null ? 0 : c.expectedSize());
        water.H2O cloud = water.H2O.CLOUD;
        boolean up = started && water.H2O.SELF != null && cloud != null;
        m.put("cloud_size", up ? cloud.size() : 0);
        m.put("consensus", up && water.Paxos._commonKnowledge);
        m.put("locked", up && water.Paxos._cloudLocked);
        m.put("silent_member", up ? CloudLost.silentMember(lostMemberSecs * 1000L) : null);
        List<Map<String, Object>> nodes = new ArrayList<>();
        if (up) {
            long now = System.currentTimeMillis();
            for (water.H2ONode n : cloud.members()) {
                Map<String, Object> node = new LinkedHashMap<>();
                node.put("ip_port", n.getIpPortString());
                node.put("free_mem", n._heartbeat == null ? null : n._heartbeat.get_free_mem());
                node.put("last_heard_ms", n == water.H2O.SELF ? 0 : now - n._last_heard_from);
                nodes.add(node);
            }
        }
        m.put("nodes", nodes);
        return m;
    }

    private void answer(HttpExchange ex, int status) throws IOException {
        byte[] body;
        try {
            body = dev.converge.registry.codec.Json.write(cloud()).getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            body = ("{\"error\": \"" + e.getClass().getSimpleName() + "\"}").getBytes(StandardCharsets.UTF_8);
            status = 503;
        }
        ex.getResponseHeaders().set("content-type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
        }
    }
}
