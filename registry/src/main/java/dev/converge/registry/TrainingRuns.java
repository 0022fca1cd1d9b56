package dev.converge.registry;

import javax.sql.DataSource;
import dev.converge.registry.codec.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The {@code training_runs} table: every task of every sweep, succeeded or not, with its metrics and config. */
public final class TrainingRuns {
    /** One task's outcome. */
    public record Run(UUID sweepId, int taskIndex, String algorithm, String segment, Map<String, Object> config,
                      String status, Map<String, Object> metrics, long runtimeMs, String error) {}

    private final DataSource db;

    public TrainingRuns(DataSource db) {
        this.db = db;
    }

    public void record(Run r) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ins = c.prepareStatement("INSERT INTO training_runs"
                + " (sweep_id, task_index, algorithm, segment, config, status, metrics, runtime_ms, error)"
                + " VALUES (?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?, ?)")) {
            ins.setObject(1, r.sweepId());
            ins.setInt(2, r.taskIndex());
            ins.setString(3, r.algorithm());
            ins.setString(4, r.segment());
            ins.setString(5, Json.write(r.config()));
            ins.setString(6, r.status());
            ins.setString(7, Json.write(r.metrics()));
            ins.setLong(8, r.runtimeMs());
            ins.setString(9, r.error());
            ins.executeUpdate();
        }
    }

    public List<Run> sweep(UUID sweepId) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement q = c.prepareStatement("SELECT sweep_id, task_index,"
                + " algorithm, segment, config::text, status, metrics::text, runtime_ms, error FROM training_runs"
                + " WHERE sweep_id = ? ORDER BY task_index")) {
            q.setObject(1, sweepId);
            List<Run> out = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new Run((UUID) rs.getObject(1), rs.getInt(2), rs.getString(3), rs.getString(4),
                            Json.readMap(rs.getString(5)), rs.getString(6), Json.readMap(rs.getString(7)),
                            rs.getLong(8), rs.getString(9)));
                }
            }
            return out;
        }
    }
}
