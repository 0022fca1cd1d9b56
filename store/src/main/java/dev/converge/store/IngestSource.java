package dev.converge.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** A stream of source rows (CSV or JSON Lines). Reading never throws on a bad record: it yields a broken row. */
public interface IngestSource extends Closeable {
    /** The next record, or null at the end. */
    SourceRow next() throws IOException;

    /** A label for the rejects table and reports, such as the file name. */
    String name();

    /** Bytes consumed so far, for progress; -1 when unknown. */
    long bytesRead();

    /** Total size in bytes, for progress; -1 when unknown. */
    long totalBytes();

    /** The columns every row has, when the format declares them up front (a CSV header); empty otherwise. */
    default java.util.Optional<java.util.List<String>> columns() {
        return java.util.Optional.empty();
    }

    /** Opens a file by its extension: {@code .csv}, or {@code .jsonl}/{@code .ndjson}/{@code .json}. */
    static IngestSource open(Path file) throws IOException {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".csv")) {
            return new dev.converge.store.impl.CsvSource(file);
        }
        if (n.endsWith(".jsonl") || n.endsWith(".ndjson") || n.endsWith(".json")) {
            return new dev.converge.store.impl.JsonLinesSource(file);
        }
        throw new IllegalArgumentException("cannot tell the format of " + file
                + ": expected a .csv, .jsonl or .ndjson file");
    }
}
