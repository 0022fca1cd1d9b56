package dev.converge.serve;

import graphql.language.Document;
import graphql.language.OperationDefinition;
import graphql.parser.Parser;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The seeds' {@code validate_dataloader} check, against a live server: runs each operation of a GraphQL file and
 * reads the SQL statements it caused, by field ({@code extensions.statements}, which the server keeps per request).
 * An operation fails when a field issued more statements than its loader ran batches (a loader that queries per key
 * or per group), when a resolver without a loader issued more than one (it queries per parent object), or when a
 * statement was issued outside any resolver's call (it cannot be attributed, so it cannot be trusted).
 */
public final class DataLoaderCheck {
    /** One operation's verdict. */
    public record Result(String operation, int statements, Map<String, Object> byField, List<String> problems,
                         String note) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private final URI endpoint;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param url the server ({@code http://host:port}: its /graphql) or a GraphQL endpoint (any other path) */
    public DataLoaderCheck(String url) {
        URI u = URI.create(url);
        String path = u.getPath() == null ? "" : u.getPath();
        this.endpoint = path.isEmpty() || path.equals("/") ? u.resolve("/graphql") : u;
    }

    /** The named operations of a document (an anonymous one only when it is alone). */
    public static List<String> operations(String document) {
        Document doc = Parser.parse(document);
        List<String> names = new ArrayList<>();
        List<OperationDefinition> ops = doc.getDefinitionsOfType(OperationDefinition.class);
        for (OperationDefinition op : ops) {
            if (op.getName() == null && ops.size() > 1) {
                throw new IllegalArgumentException("a file of several operations must name each of them");
            }
            names.add(op.getName());
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("the file holds no operation");
        }
        return names;
    }

    /** Runs every operation of {@code document} with {@code variables} (by operation name; may be empty). */
    public List<Result> run(String document, Map<String, JsonObject> variables) throws IOException,
            InterruptedException {
        List<Result> out = new ArrayList<>();
        for (String op : operations(document)) {
            out.add(run(document, op, variables.getOrDefault(op, new JsonObject())));
        }
        return out;
    }

    Result run(String document, String operation, JsonObject variables) throws IOException, InterruptedException {
        JsonObject body = new JsonObject().put("query", document).put("operationName", operation)
                .put("variables", variables).put("extensions", new JsonObject().put("statements", true));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()))
                .build(), HttpResponse.BodyHandlers.ofString());
        String name = operation == null ? "(anonymous)" : operation;
        JsonObject answer;
        try {
            answer = new JsonObject(r.body());
        } catch (RuntimeException e) {
            return new Result(name, 0, Map.of(), List.of("the server answered " + r.statusCode() + " with no JSON: "
                    + abbreviate(r.body())), null);
        }
        JsonObject tally = answer.getJsonObject("extensions", new JsonObject()).getJsonObject("statements");
        if (tally == null) {
            return new Result(name, 0, Map.of(), List.of("the server answered " + r.statusCode() + " without a "
                    + "statement count" + (answer.containsKey("errors") ? ": " + abbreviate(answer.getJsonArray(
                    "errors").encode()) : "")), null);
        }
        List<String> problems = new ArrayList<>();
        if (r.statusCode() != 200) {
            problems.add("the operation was refused (" + r.statusCode() + "): " + abbreviate(answer.getJsonArray(
                    "errors", new io.vertx.core.json.JsonArray()).encode()));
        }
        JsonObject byField = tally.getJsonObject("by_field", new JsonObject());
        JsonObject batches = tally.getJsonObject("batches", new JsonObject());
        JsonObject resolved = tally.getJsonObject("resolved", new JsonObject());
        boolean repeated = false;
        for (String field : resolved.fieldNames()) {
            repeated |= resolved.getInteger(field) > 1;
        }
        for (String field : byField.fieldNames()) {
            int statements = byField.getInteger(field);
            if (field.startsWith("(")) {
                problems.add(statements + " statement(s) were issued outside any resolver's call: a resolver that"
                        + " queries in a callback cannot be checked");
            } else if (batches.containsKey(field)) {
                if (statements > batches.getInteger(field)) {
                    problems.add("loader " + field + " issued " + statements + " statements in " + batches.getInteger(
                            field) + " batch(es): more than one per batch");
                }
            } else if (statements > 1) {
                problems.add("resolver " + field + " issued " + statements + " statements for "
                        + resolved.getInteger(field, 0) + " parent(s) without a DataLoader: one per parent");
            }
        }
        return new Result(name, tally.getInteger("total", 0), byField.getMap(), problems, repeated ? null
                : "no field was resolved for more than one parent: give the operation two or more entities to"
                + " test its batching");
    }

    /** Prints a line per operation; returns whether all passed. */
    public static boolean report(List<Result> results, PrintStream out) {
        boolean ok = true;
        for (Result r : results) {
            out.printf("%-32s %3d statement(s)  %s  %s%n", r.operation(), r.statements(), r.ok() ? "ok" : "FAIL",
                    r.byField());
            r.problems().forEach(p -> out.println("    " + p));
            if (r.note() != null) {
                out.println("    note: " + r.note());
            }
            ok &= r.ok();
        }
        return ok;
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }
}
