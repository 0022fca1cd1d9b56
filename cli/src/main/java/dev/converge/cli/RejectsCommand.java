package dev.converge.cli;

import dev.converge.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "rejects", mixinStandardHelpOptions = true,
        description = "Show quarantined rows with the reasons they were rejected.")
final class RejectsCommand implements Callable<Integer> {
    @Mixin
    DbOptions db;

    @Option(names = "--ingest", paramLabel = "ID", description = "Only this ingestion (default: the latest).")
    UUID ingest;

    @Option(names = "--limit", defaultValue = "20")
    int limit;

    @Override
    public Integer call() throws Exception {
        try (Database d = db.open(System.err); Connection c = d.connection(); PreparedStatement q = c.prepareStatement(
                "SELECT r.source, r.line_number, r.raw, r.reasons::text FROM ingest_rejects r WHERE r.ingest_id ="
                        + " coalesce(?, (SELECT id FROM ingest_runs ORDER BY started_at DESC LIMIT 1))"
                        + " ORDER BY r.line_number LIMIT ?")) {
            q.setObject(1, ingest);
            q.setInt(2, limit);
            int n = 0;
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    n++;
                    String raw = rs.getString(3);
                    System.out.printf("%s:%d  %s%n    %s%n", rs.getString(1), rs.getLong(2), rs.getString(4),
                            raw.length() > 160 ? raw.substring(0, 160) + "..." : raw);
                }
            }
            System.out.println(n == 0 ? "No rejects." : n + " reject(s) shown.");
            return 0;
        }
    }
}
