package dev.converge.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What an ingestion did. {@code rowsRead == rowsAccepted + rowsRejected} always holds.
 *
 * @param rejectReasons   reason code to the number of rejected rows that had it (a row can have several)
 * @param sampleRejects   the first rejects, for people to read
 * @param unknownFeatures columns dropped under the REPORT policy
 * @param readAsMissing   cells of accepted rows that held one of the schema's missing-value tokens and were stored
 *                        as null, by "feature (token)"
 * @param rowsDuplicate   rows identical to one already stored (same entity, event time and features): not stored
 *                        again ({@code rowsRead = rowsAccepted + rowsRejected + rowsDuplicate})
 * @param distinctEntities entities among the rows staged (counted up to 1,000,000)
 * @param entityColumn    the column the entity ids came from, or null when they are the rows' numbers
 * @param vectorSearch    how the schema's vector features are searched (indexed, or exact and why), or null when it
 *                        has none
 */
public record IngestReport(UUID ingestId, String source, int schemaVersion, long rowsRead, long rowsAccepted,
                           long rowsRejected, Map<String, Long> rejectReasons, List<Reject> sampleRejects,
                           List<String> unknownFeatures, Duration elapsed, Map<String, Long> readAsMissing,
                           long rowsDuplicate, long distinctEntities, String entityColumn,
                           String vectorSearch) {

    /** One refused row: where it was and why. */
    public record Reject(long lineNumber, String raw, List<dev.converge.contracts.Violation> reasons) {}

    public double rowsPerSecond() {
        double s = elapsed.toNanos() / 1e9;
        return s <= 0 ? 0 : rowsRead / s;
    }
}
