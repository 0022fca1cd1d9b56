package dev.converge.bench;

import com.sun.net.httpserver.HttpServer;
import dev.converge.model.Mojo;
import dev.converge.model.Prediction;
import dev.converge.registry.codec.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A reference point from below: the scorer a team writes by hand with the JDK's own HTTP server (one dispatcher
 * thread, its default), Jackson and h2o-genmodel on the same MOJO, no validation, no admission, no metrics. It answers
 * {@code POST /v1/predict} with {@code {"features": {...}}} as converge does. converge under any load must never
 * deliver less than this. Usage: {@code NaiveScorer MODEL.zip PORT}; serves until stdin closes.
 */
public final class NaiveScorer {
    private NaiveScorer() {}

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        Mojo mojo = Mojo.load(Path.of(args[0]));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])), 1024);
        server.createContext("/v1/predict", exchange -> {
            byte[] answer;
            int status = 200;
            try (InputStream in = exchange.getRequestBody()) {
                Map<String, Object> body = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                Map<String, Object> row = new HashMap<>();
                ((Map<String, Object>) body.get("features")).forEach((k, v) ->
                        row.put(k, v instanceof Number n ? (Object) n.doubleValue() : v));
                Prediction p = mojo.score(row);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("prediction", p.value());
                out.put("probabilities", p.probabilities());
                answer = Json.write(out).getBytes(StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                status = 400;
                answer = ("{\"error\":\"" + e.getClass().getSimpleName() + "\"}").getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(status, answer.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(answer);
            }
        });
        server.start();
        System.out.println("naive JDK HttpServer scorer on 127.0.0.1:" + args[1]);
        System.out.flush();
        while (System.in.read() >= 0) {
            // serve until the parent closes stdin
        }
        System.exit(0);
    }
}
