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
 * @param featureSet      the feature set the rows belong to ("" for none): entities are keyed
 *                        {@code <set>/<id>}, and the schema is recorded as the set's
 */
public record IngestOptions(String entityColumn, String timestampColumn, UnknownFeaturePolicy unknownPolicy,
                            int batchSize, String entityPrefix, String featureSet) {
    public static final int DEFAULT_BATCH_SIZE = 10_000;
    /** What a feature set's name may be (lowercase letters, digits, '_' and '-'; at most 32). */
    public static final java.util.regex.Pattern FEATURE_SET = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

    public IngestOptions(String entityColumn, String timestampColumn, UnknownFeaturePolicy unknownPolicy,
                         int batchSize, String entityPrefix) {
        this(entityColumn, timestampColumn, unknownPolicy, batchSize, entityPrefix, "");
    }

    /** The key an entity of {@code featureSet} is stored under: {@code <set>/<id>}, or the id with no set. */
    public static String entityKey(String featureSet, String id) {
        return dev.converge.contracts.EntityId.key(featureSet, id);
    }

    public IngestOptions {
        Objects.requireNonNull(unknownPolicy, "unknownPolicy");
        if (batchSize < 1 || batchSize > 1_000_000) {
            throw new IllegalArgumentException("batch size must be within 1..1000000, was " + batchSize);
        }
        entityPrefix = entityPrefix == null ? "" : entityPrefix;
        featureSet = featureSet == null ? "" : featureSet;
        if (!featureSet.isEmpty() && !FEATURE_SET.matcher(featureSet).matches()) {
            throw new IllegalArgumentException("a feature set's name is 1..32 of a-z, 0-9, '_' and '-', starting with"
                    + " a letter or digit; was '" + featureSet + "'");
        }
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
        return new IngestOptions(entityColumn, timestampColumn, unknownPolicy, size, entityPrefix, featureSet);
    }

    public IngestOptions withUnknownPolicy(UnknownFeaturePolicy policy) {
        return new IngestOptions(entityColumn, timestampColumn, policy, batchSize, entityPrefix, featureSet);
    }

    public IngestOptions withEntityPrefix(String prefix) {
        return new IngestOptions(entityColumn, timestampColumn, unknownPolicy, batchSize, prefix, featureSet);
    }

    public IngestOptions withFeatureSet(String set) {
        return new IngestOptions(entityColumn, timestampColumn, unknownPolicy, batchSize, entityPrefix, set);
    }
}
