package dev.converge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The one prediction request a load-driving check sends: a file's JSON, or an entity id. */
final class RequestBody {
    @Option(names = "--body", paramLabel = "FILE", description = "the JSON request to send (default: --entity's)")
    Path body;

    @Option(names = "--entity", paramLabel = "ID", description = "send {\"entity_id\": ID} (default 1)")
    String entity;

    String json() throws IOException {
        if (body != null && entity != null) {
            throw new IllegalArgumentException("give --body or --entity, not both");
        }
        return body != null ? Files.readString(body) : new io.vertx.core.json.JsonObject()
                .put("entity_id", entity == null ? "1" : entity).encode();
    }
}
