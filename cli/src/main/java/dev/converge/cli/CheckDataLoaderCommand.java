package dev.converge.cli;

import dev.converge.serve.DataLoaderCheck;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "check-dataloader", mixinStandardHelpOptions = true,
        description = {"Run each operation of a GraphQL file against a live server and print the SQL statements it "
                + "caused, by field.",
                "Exits 1 when a loader issued more than one statement per batch, a resolver without a loader issued "
                        + "one per parent, or a statement could not be attributed; 2 when the check could not run."})
final class CheckDataLoaderCommand implements Callable<Integer> {
    @Option(names = "--url", required = true, description = "the server, e.g. http://127.0.0.1:8080")
    String url;

    @Option(names = "--queries", required = true, description = "a .graphql file of named operations")
    Path queries;

    @Option(names = "--variables", description = "a JSON file: operation name to its variables")
    Path variables;

    @Override
    public Integer call() throws Exception {
        String doc = Files.readString(queries);
        Map<String, JsonObject> vars = new HashMap<>();
        if (variables != null) {
            JsonObject all = new JsonObject(Files.readString(variables));
            for (String op : all.fieldNames()) {
                vars.put(op, all.getJsonObject(op));
            }
        }
        try {
            boolean ok = DataLoaderCheck.report(new DataLoaderCheck(url).run(doc, vars), System.out);
            System.out.println(ok ? "Every operation batches its relations." : "SOME OPERATIONS DO NOT BATCH");
            return ok ? 0 : 1;
        } catch (java.io.IOException | IllegalArgumentException | graphql.parser.InvalidSyntaxException e) {
            System.err.println("check-dataloader could not run: " + e.getMessage());
            return 2;
        }
    }
}
