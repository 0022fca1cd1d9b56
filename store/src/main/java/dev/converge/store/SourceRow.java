package dev.converge.store;

import java.util.Map;

/**
 * One record read from an ingestion source, before validation: the raw text (kept verbatim for the rejects
 * table), and either the parsed cells or the reason it could not be parsed.
 *
 * @param lineNumber the 1-based line where the record starts in the source
 * @param raw        the record as it appeared in the source
 * @param cells      column name to {@link dev.converge.contracts.RawText} (CSV) or typed JSON value; null when
 *                   {@code parseError} is set
 * @param parseError why the record could not be parsed, or null
 */
public record SourceRow(long lineNumber, String raw, Map<String, Object> cells, String parseError) {
    public static SourceRow broken(long line, String raw, String error) {
        return new SourceRow(line, raw, null, error);
    }
}
