package dev.converge.store.impl;

import dev.converge.contracts.EntityId;
import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureValidator;
import dev.converge.contracts.RawText;
import dev.converge.contracts.Temperature;
import dev.converge.contracts.ValidationResult;
import dev.converge.contracts.Violation;
import dev.converge.registry.codec.Json;
import dev.converge.store.IngestOptions;
import dev.converge.store.SourceRow;
import dev.converge.store.StoreLimits;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Row staging: one source row to the values that will be stored (entity id by {@link EntityId}'s rule, event time
 * within the store's range, features validated with the shared contracts and split into hot and cold documents),
 * or to its rejection with every reason. Used by the ingestion's reader thread.
 */
public final class RowStager {
    private final FeatureValidator validator;
    private final IngestOptions options;
    private final Instant ingestTime;
    private final Clock clock;
    private final Set<String> unknown;
    private final Map<String, java.util.concurrent.atomic.LongAdder> readAsMissing;
    /** Distinct entity ids of the rows staged, counted up to {@link #ENTITY_COUNT_LIMIT}. */
    private final java.util.Set<String> entities = new java.util.HashSet<>();
    public static final int ENTITY_COUNT_LIMIT = 1_000_000;

    /**
     * @param unknown       collects the unknown features seen (reported, not stored, under the report policy)
     * @param readAsMissing counts, by feature, the cells of accepted rows holding a missing-value token (stored null)
     */
    public RowStager(FeatureValidator validator, IngestOptions options, Instant ingestTime, Clock clock,
                     Set<String> unknown, Map<String, java.util.concurrent.atomic.LongAdder> readAsMissing) {
        this.readAsMissing = readAsMissing;
        this.validator = validator;
        this.options = options;
        this.ingestTime = ingestTime;
        this.clock = clock;
        this.unknown = unknown;
    }

    /** Distinct entities among the rows staged (at most {@link #ENTITY_COUNT_LIMIT}: then "at least"). */
    public int distinctEntities() {
        return entities.size();
    }

    /** Validates one source row and adds it to the batch, encoded, or refuses it there with every reason. */
    public void stage(SourceRow row, long dataRow, CopyBatch batch) {
        Map<String, Object> cells = new LinkedHashMap<>(row.cells());
        List<Violation> problems = new ArrayList<>();
        String entity = options.entityColumn() == null ? Long.toString(dataRow)
                : entityId(cells.remove(options.entityColumn()), options.entityColumn(), problems);
        if (entity != null && !(options.entityPrefix().isEmpty() && options.featureSet().isEmpty())) {
            entity = IngestOptions.entityKey(options.featureSet(), options.entityPrefix() + entity);
            if (!EntityId.isValid(entity)) {
                problems.add(new Violation(String.valueOf(options.entityColumn()), FeatureValidator.render(entity),
                        "bad_entity_id", "entity id with its prefix exceeds " + EntityId.MAX_BYTES + " bytes"));
                entity = null;
            }
        }
        Instant eventTime = options.timestampColumn() == null ? ingestTime
                : eventTime(cells.remove(options.timestampColumn()), options.timestampColumn(), problems);
        ValidationResult result = validator.validate(cells);
        problems.addAll(result.violations());
        if (!problems.isEmpty()) {
            batch.reject(row, problems);
            return;
        }
        unknown.addAll(result.unknown());
        if (entities.size() < ENTITY_COUNT_LIMIT) {
            entities.add(entity);
        }
        result.readAsMissing().forEach((feature, token) -> readAsMissing.computeIfAbsent(feature + " (" + token + ")",
                k -> new java.util.concurrent.atomic.LongAdder()).increment());
        Map<String, Object> hot = new LinkedHashMap<>();
        Map<String, Object> cold = new LinkedHashMap<>();
        Map<String, Object> vectors = null;
        FeatureSchema schema = validator.schema();
        for (Map.Entry<String, Object> e : result.values().entrySet()) {
            FeatureSpec spec = schema.feature(e.getKey()).orElseThrow();
            if (spec.type() == dev.converge.contracts.FeatureType.VECTOR) {
                if (e.getValue() != null) { // a missing vector is no row of feature_vector_history
                    vectors = vectors == null ? new java.util.TreeMap<>() : vectors;
                    vectors.put(e.getKey(), e.getValue());
                }
                continue;
            }
            (spec.temperature() == Temperature.HOT ? hot : cold).put(e.getKey(), e.getValue());
        }
        batch.add(row, entity, eventTime, Json.writeFeatures(hot), cold.isEmpty() ? null : Json.writeFeatures(cold),
                vectors == null ? null : Json.writeFeatures(vectors));
    }

    private static String entityId(Object v, String column, List<Violation> problems) {
        String id = null;
        if (v instanceof RawText t) {
            id = t.text();
        } else if (v instanceof String s) {
            id = s;
        } else if (v instanceof Integer || v instanceof Long || v instanceof BigInteger) {
            id = v.toString(); // JSON integers are lossless ids; decimals and booleans are not ids
        } else if (v != null) {
            problems.add(new Violation(column, FeatureValidator.render(v), "bad_entity_id",
                    "entity id '" + column + "' must be a string or an integer, was " + FeatureValidator.render(v)));
            return null;
        }
        if (id == null || id.isEmpty()) {
            problems.add(new Violation(column, null, "missing_entity_id", "entity id '" + column + "' is missing"));
            return null;
        }
        java.util.Optional<String> problem = EntityId.problem(id);
        if (problem.isPresent()) {
            problems.add(new Violation(column, FeatureValidator.render(id), "bad_entity_id", "entity id '" + column
                    + "' must be " + EntityId.RULE + "; " + problem.get()));
            return null;
        }
        return id;
    }

    private Instant eventTime(Object v, String column, List<Violation> problems) {
        String s = v instanceof RawText t ? t.text() : v instanceof String str ? str : null;
        if (s == null || s.isEmpty()) {
            problems.add(new Violation(column, FeatureValidator.render(v), v == null || s != null
                    ? "missing_event_timestamp" : "bad_event_timestamp",
                    "event timestamp '" + column + "' must be an ISO-8601 timestamp or date, was "
                            + FeatureValidator.render(v)));
            return null;
        }
        Instant t = FeatureValidator.parseTimestamp(s);
        if (t == null) {
            problems.add(new Violation(column, FeatureValidator.render(v), "bad_event_timestamp",
                    "event timestamp '" + column + "' must be an ISO-8601 timestamp with an offset or a date, was "
                            + FeatureValidator.render(v)));
            return null;
        }
        Instant latest = clock.instant().plus(StoreLimits.MAX_FUTURE_SKEW);
        if (t.isBefore(StoreLimits.EARLIEST_EVENT) || t.isAfter(latest)) {
            problems.add(new Violation(column, FeatureValidator.render(v), "event_timestamp_out_of_range",
                    "event timestamp '" + column + "' must be within " + StoreLimits.EARLIEST_EVENT + " .. " + latest
                            + " (a future event would shadow every real update), was " + t));
            return null;
        }
        return t.truncatedTo(ChronoUnit.MICROS);
    }
}
