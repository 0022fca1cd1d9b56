package dev.converge.store;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.converge.contracts.FeatureSchema;

/** Schema proposal: a feature schema inferred from a sample of a file, for the CLI, the quickstart and benchmarks. */
public final class SchemaProposal {
    private SchemaProposal() {}

    /**
     * Proposes a schema from the first {@code sampleRows} parseable rows of a file, leaving out the identity
     * columns; the hot set is kept 200 bytes under the hot limit on the sample, for the rows it did not see.
     */
    public static FeatureSchema propose(java.nio.file.Path file, IngestOptions options, int sampleRows)
            throws IOException {
        return propose(file, options, sampleRows, FeatureSchema.COMMON_MISSING_VALUES);
    }

    /** As above, with {@code missingValues} as the tokens that mean "missing" (the empty cell always does). */
    public static FeatureSchema propose(java.nio.file.Path file, IngestOptions options, int sampleRows,
                                        java.util.List<String> missingValues) throws IOException {
        dev.converge.contracts.SchemaInference inference = new dev.converge.contracts.SchemaInference(missingValues);
        try (IngestSource source = IngestSource.open(file)) {
            SourceRow row;
            while (inference.rows() < sampleRows && (row = source.next()) != null) {
                if (row.cells() == null) {
                    continue;
                }
                Map<String, Object> cells = new LinkedHashMap<>(row.cells());
                cells.remove(options.entityColumn());
                cells.remove(options.timestampColumn());
                inference.add(cells);
            }
        }
        return inference.propose(StoreLimits.HOT_MAX_BYTES - 200);
    }
}
