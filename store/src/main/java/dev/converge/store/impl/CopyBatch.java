package dev.converge.store.impl;

import dev.converge.contracts.Violation;
import dev.converge.store.IngestReport;
import dev.converge.store.SourceRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One batch of an ingestion: the rows that passed validation, encoded as COPY csv text with their source line
 * numbers, and the rows refused with their reasons. Built by the reader thread, written by {@link StageWriter}.
 */
public final class CopyBatch {
    final StringBuilder copy;
    final Map<Long, String> rawByLine;
    final List<IngestReport.Reject> rejects = new ArrayList<>();
    Instant minTime;
    Instant maxTime;
    int staged;
    /** Staged rows that carry at least one vector. */
    int withVectors;
    /** Source rows read into this batch, accepted or not. */
    public long read;
    /** Bytes of the source read when the batch was closed (for progress). */
    public long bytesRead;

    public void reject(SourceRow row, List<Violation> why) {
        rejects.add(new IngestReport.Reject(row.lineNumber(), row.raw(), List.copyOf(why)));
    }

    /** Rows of this batch identical to an earlier row of it (entity, event time, features): not staged. */
    int duplicates;
    private final java.util.Set<RowKey> seen;

    /** A first batch: its buffers grow as it fills. */
    public CopyBatch() {
        this(1 << 20, 1024);
    }

    private CopyBatch(int chars, int rows) {
        copy = new StringBuilder(chars);
        rawByLine = new HashMap<>(rows * 4 / 3 + 1);
        seen = new java.util.HashSet<>(rows * 4 / 3 + 1);
    }

    /**
     * The next batch, its buffers sized for what this one held: growing a 1 MiB text buffer to the 4 MiB a batch
     * of 10,000 rows takes copied it three times per batch, a tenth of the ingestion reader's CPU (docs/perf.md).
     */
    public CopyBatch next() {
        return new CopyBatch(Math.max(1 << 16, copy.length() + copy.length() / 8), Math.max(64, staged + staged / 8));
    }

    /** What makes two rows the same row: compared field by field, never concatenated into one string per row. */
    private record RowKey(String entity, Instant eventTime, String hot, String cold, String vectors) {
    }

    void add(SourceRow row, String entity, Instant eventTime, String hot, String cold, String vectors) {
        if (!seen.add(new RowKey(entity, eventTime, hot, cold, vectors))) {
            duplicates++; // the same row twice in one file: stored once (rows already stored are found in SQL)
            return;
        }
        rawByLine.put(row.lineNumber(), row.raw());
        copy.append(row.lineNumber()).append(',');
        quote(entity);
        copy.append(',').append(eventTime).append(',');
        quote(hot);
        copy.append(',');
        if (cold != null) {
            quote(cold);
        }
        copy.append(',');
        if (vectors != null) {
            withVectors++;
            quote(vectors);
            copy.append(',').append(digest(vectors));
        } else {
            copy.append(',');
        }
        copy.append('\n');
        minTime = minTime == null || eventTime.isBefore(minTime) ? eventTime : minTime;
        maxTime = maxTime == null || eventTime.isAfter(maxTime) ? eventTime : maxTime;
        staged++;
    }

    /** The digest of a row's vectors (their JSON, features in name order): 128 bits of sha256, hex. */
    static String digest(String vectors) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(vectors.getBytes(
                    java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }

    private void quote(String s) {
        copy.append('"');
        if (s.indexOf('"') < 0) { // most cells: appended whole, not a character at a time
            copy.append(s).append('"');
            return;
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"') {
                copy.append('"');
            }
            copy.append(ch);
        }
        copy.append('"');
    }
}
