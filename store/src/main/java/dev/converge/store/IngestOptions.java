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
 * @param entityPrefix    prepended to every entity id (keeps data sets with overlapping ids apart); "" for none
 */
public record IngestOptions(String entityColumn, String timestampColumn, UnknownFeaturePolicy unknownPolicy,
                            int batchSize, String entityPrefix) {
    public static final int DEFAULT_BATCH_SIZE = 10_000;

    public IngestOptions {
        Objects.requireNonNull(unknownPolicy, "unknownPolicy");
        if (batchSize < 1 || batchSize > 1_000_000) {
            throw new IllegalArgumentException("batch size must be within 1..1000000, was " + batchSize);
        }
        entityPrefix = entityPrefix == null ? "" : entityPrefix;
        if (entityPrefix.indexOf('\0') >= 0 || entityPrefix.length() > 64) {
            throw new IllegalArgumentException("entity prefix must be at most 64 characters without NUL");
        }
        if (entityColumn != null && entityColumn.equals(timestampColumn)) {
            throw new IllegalArgumentException("the entity column and the timestamp column must differ, both were '"
                    + entityColumn + "'");
        }
    }

    public static IngestOptions of(String entityColumn, String timestampColumn) {
        return new IngestOptions(entityColumn, timestampColumn, UnknownFeaturePolicy.REJECT, DEFAULT_BATCH_SIZE, "");
    }

    public IngestOptions withBatchSize(int size) {
        return new IngestOptions(entityColumn, timestampColumn, unknownPolicy, size, entityPrefix);
    }

    public IngestOptions withUnknownPolicy(UnknownFeaturePolicy policy) {
        return new IngestOptions(entityColumn, timestampColumn, policy, batchSize, entityPrefix);
    }

    public IngestOptions withEntityPrefix(String prefix) {
        return new IngestOptions(entityColumn, timestampColumn, unknownPolicy, batchSize, prefix);
    }
}
