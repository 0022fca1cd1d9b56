package dev.converge.store;

import dev.converge.contracts.UnknownFeaturePolicy;
import java.util.Objects;

/**
 * How to read identity out of a source and how strict to be.
 *
 * @param entityColumn    the column holding the entity id, or null to use the 1-based data row number
 * @param timestampColumn the column holding the event time, or null to use the ingestion time
 * @param unknownPolicy   what to do with columns the schema does not know
 * @param batchSize       rows per COPY batch and transaction
 */
public record IngestOptions(String entityColumn, String timestampColumn, UnknownFeaturePolicy unknownPolicy,
                            int batchSize) {
    public static final int DEFAULT_BATCH_SIZE = 10_000;

    public IngestOptions {
        Objects.requireNonNull(unknownPolicy, "unknownPolicy");
        if (batchSize < 1 || batchSize > 1_000_000) {
            throw new IllegalArgumentException("batch size must be within 1..1000000, was " + batchSize);
        }
        if (entityColumn != null && entityColumn.equals(timestampColumn)) {
            throw new IllegalArgumentException("the entity column and the timestamp column must differ, both were '"
                    + entityColumn + "'");
        }
    }

    public static IngestOptions of(String entityColumn, String timestampColumn) {
        return new IngestOptions(entityColumn, timestampColumn, UnknownFeaturePolicy.REJECT, DEFAULT_BATCH_SIZE);
    }

    public IngestOptions withBatchSize(int size) {
        return new IngestOptions(entityColumn, timestampColumn, unknownPolicy, size);
    }

    public IngestOptions withUnknownPolicy(UnknownFeaturePolicy policy) {
        return new IngestOptions(entityColumn, timestampColumn, policy, batchSize);
    }
}
