package dev.converge.serve.monitor;

import dev.converge.serve.pg.PgGateway;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

/** Labels of logged predictions, written to {@code prediction_feedback} through the guarded PostgreSQL gateway. */
public final class FeedbackStore {
    private static final String INSERT = "WITH ins AS (INSERT INTO prediction_feedback (prediction_id, label,"
            + " observed_at) VALUES ($1, $2::jsonb, $3) ON CONFLICT (prediction_id) DO NOTHING RETURNING 1)"
            + " SELECT (SELECT count(*) FROM ins), EXISTS (SELECT 1 FROM prediction_log WHERE id = $1)";

    /** What a label's write found: stored (false: the prediction already had one) and whether the log holds it. */
    record Recorded(boolean stored, boolean logged) {
    }

    private final PgGateway store;

    public FeedbackStore(PgGateway store) {
        this.store = store;
    }

    Future<Recorded> record(UUID id, Object label, Instant at) {
        // The client encodes a Java string, number or boolean bound to jsonb as that JSON value.
        return store.write(INSERT, Tuple.of(id, label, at.atOffset(ZoneOffset.UTC))).map(rows -> {
            Row r = rows.iterator().next();
            return new Recorded(r.getLong(0) != 0, r.getBoolean(1));
        });
    }
}
