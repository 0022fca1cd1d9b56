package dev.converge.serve;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP listener on loopback that receives alert webhooks: what a team's alert receiver would be. It can
 * answer 500 to the first deliveries, to exercise retries.
 */
public final class WebhookListener implements AutoCloseable {
    private final HttpServer server;
    private final List<JsonObject> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger failFirst = new AtomicInteger();

    public WebhookListener() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/alerts", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int status = failFirst.getAndDecrement() > 0 ? 500 : 204;
            if (status == 204) {
                received.add(new JsonObject(body));
            }
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/alerts";
    }

    /** The alerts delivered so far, in order. */
    public List<JsonObject> received() {
        return received;
    }

    /** Answers 500 to the next {@code n} deliveries. */
    public void failNext(int n) {
        failFirst.set(n);
    }

    /** Waits up to {@code millis} for at least {@code n} deliveries. */
    public void await(int n, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (received.size() < n && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
