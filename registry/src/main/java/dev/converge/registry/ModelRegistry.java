package dev.converge.registry;

import javax.sql.DataSource;
import dev.converge.registry.codec.Json;
import dev.converge.registry.codec.SchemaCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The model registry: immutable versions ({@code model_versions}, guarded by a trigger) and an append-only event
 * history ({@code model_events}) from which the champion is derived. Writers of one model serialize on an advisory
 * lock, so concurrent promotions cannot interleave. Every champion change is published with NOTIFY on
 * {@link #CHANNEL} ({@code name:version}), so serving replicas can follow.
 */
public final class ModelRegistry {
    public static final String CHANNEL = "converge_champion";

    private final DataSource db;

    public ModelRegistry(DataSource db) {
        this.db = db;
    }

    public ModelVersion register(NewModelVersion m, String actor) throws SQLException {
        return register(m, null, actor);
    }

    /** Registers a version and, in the same transaction, its reference data. */
    public ModelVersion register(NewModelVersion m, ModelReference reference, String actor) throws SQLException {
        return inTransaction(m.name(), c -> {
            int version;
            try (PreparedStatement q = c.prepareStatement(
                    "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = ?")) {
                q.setString(1, m.name());
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    version = rs.getInt(1);
                }
            }
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO model_versions (name, version, algorithm,"
                    + " artifact_uri, artifact_sha256, artifact_size, h2o_version, mojo_version, git_commit,"
                    + " feature_schema, schema_fingerprint, training_window_start, training_window_end, metrics)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?::jsonb)")) {
                ins.setString(1, m.name());
                ins.setInt(2, version);
                ins.setString(3, m.algorithm());
                ins.setString(4, m.artifactUri());
                ins.setString(5, m.artifactSha256());
                ins.setLong(6, m.artifactSize());
                ins.setString(7, m.h2oVersion());
                ins.setString(8, m.mojoVersion());
                ins.setString(9, m.gitCommit());
                ins.setString(10, SchemaCodec.toJson(m.featureSchema()));
                ins.setString(11, m.featureSchema().fingerprint());
                ins.setTimestamp(12, ts(m.trainingWindowStart()));
                ins.setTimestamp(13, ts(m.trainingWindowEnd()));
                ins.setString(14, Json.write(m.metrics()));
                ins.executeUpdate();
            }
            if (reference != null) {
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO model_reference (name, version,"
                        + " sweep_id, reference_rows, reference_predictions, baselines, scoring_latency)"
                        + " VALUES (?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?::jsonb)")) {
                    ins.setString(1, m.name());
                    ins.setInt(2, version);
                    ins.setObject(3, reference.sweepId());
                    ins.setString(4, Json.write(reference.rows()));
                    ins.setString(5, Json.write(reference.predictions()));
                    ins.setString(6, Json.write(reference.baselines()));
                    ins.setString(7, Json.write(reference.scoringLatency()));
                    ins.executeUpdate();
                }
            }
            appendEvent(c, m.name(), version, ModelEvent.Type.REGISTERED, actor, "registered by " + actor);
            return show(c, m.name(), version).orElseThrow();
        });
    }

    /** Makes {@code version} the champion. */
    public ModelEvent promote(String name, int version, String actor, String reason) throws SQLException {
        return inTransaction(name, c -> {
            requireVersion(c, name, version);
            ModelEvent e = appendEvent(c, name, version, ModelEvent.Type.PROMOTED, actor, reason);
            notifyChampion(c, name);
            return e;
        });
    }

    /** Removes {@code version} from the champion line; the previous champion, if any, takes over. */
    public ModelEvent demote(String name, int version, String actor, String reason) throws SQLException {
        return inTransaction(name, c -> {
            requireVersion(c, name, version);
            ModelEvent e = appendEvent(c, name, version, ModelEvent.Type.DEMOTED, actor, reason);
            notifyChampion(c, name);
            return e;
        });
    }

    /** Returns to the champion before the current one. */
    public ModelEvent rollback(String name, String actor, String reason) throws SQLException {
        return inTransaction(name, c -> {
            ChampionHistory h = ChampionHistory.replay(history(c, name));
            int current = h.champion().orElseThrow(() -> new IllegalStateException(
                    "model '" + name + "' has no champion to roll back from"));
            int target = h.previous().orElseThrow(() -> new IllegalStateException("model '" + name
                    + "' has no earlier champion to roll back to (current champion is version " + current + ")"));
            ModelEvent e = appendEvent(c, name, target, ModelEvent.Type.ROLLED_BACK, actor,
                    reason + " (from version " + current + ")");
            notifyChampion(c, name);
            return e;
        });
    }

    /**
     * Appends a deployment of {@code name}: its challengers (none ends the experiment) and whether requests may pin a
     * version. Every challenger must be a registered version other than the champion. With {@code expectedId} set,
     * nothing is written (and empty is returned) unless the deployment is still that one: a canary's step never
     * overwrites an operator's change made since the canary read it. Replicas are notified on {@link #CHANNEL}.
     */
    public Optional<Deployment> deploy(String name, List<Deployment.Challenger> challengers, boolean allowPinning,
                                       String actor, String reason, Long expectedId) throws SQLException {
        if (actor == null || actor.isBlank()) {
            throw new IllegalArgumentException("every deployment needs an actor");
        }
        Deployment checked = new Deployment(0, name, challengers, allowPinning, actor, reason, null);
        return inTransaction(name, c -> {
            Deployment current = deployment(c, name);
            if (expectedId != null && current.id() != expectedId) {
                return Optional.<Deployment>empty();
            }
            Optional<Integer> champion = ChampionHistory.replay(history(c, name)).champion();
            for (Deployment.Challenger ch : checked.challengers()) {
                requireVersion(c, name, ch.version());
                if (champion.isPresent() && champion.get() == ch.version()) {
                    throw new IllegalArgumentException("v" + ch.version() + " is the champion of '" + name
                            + "'; a challenger is another version");
                }
            }
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO model_deployments (name, challengers,"
                    + " allow_pinning, actor, reason) VALUES (?, ?::jsonb, ?, ?, ?)")) {
                ins.setString(1, name);
                ins.setString(2, Deployment.challengersJson(checked.challengers()));
                ins.setBoolean(3, allowPinning);
                ins.setString(4, actor);
                ins.setString(5, reason == null ? "" : reason);
                ins.executeUpdate();
            }
            notifyChampion(c, name);
            return Optional.of(deployment(c, name));
        });
    }

    /** The deployment of {@code name} now ({@link Deployment#none} when it never had one). */
    public Deployment deployment(String name) throws SQLException {
        try (Connection c = db.getConnection()) {
            return deployment(c, name);
        }
    }

    /** Every deployment of {@code name}, oldest first: who changed what, when and why. */
    public List<Deployment> deploymentHistory(String name) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement q = c.prepareStatement(DEPLOYMENTS
                + " WHERE name = ? ORDER BY id")) {
            q.setString(1, name);
            List<Deployment> out = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(deployment(rs));
                }
            }
            return out;
        }
    }

    private static final String DEPLOYMENTS = "SELECT id, name, challengers::text, allow_pinning, actor, reason,"
            + " created_at FROM model_deployments";

    private static Deployment deployment(Connection c, String name) throws SQLException {
        try (PreparedStatement q = c.prepareStatement(DEPLOYMENTS + " WHERE name = ? ORDER BY id DESC LIMIT 1")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? deployment(rs) : Deployment.none(name);
            }
        }
    }

    private static Deployment deployment(ResultSet rs) throws SQLException {
        return new Deployment(rs.getLong(1), rs.getString(2), Deployment.challengersFromJson(rs.getString(3)),
                rs.getBoolean(4), rs.getString(5), rs.getString(6), rs.getTimestamp(7).toInstant());
    }

    public Optional<ModelVersion> champion(String name) throws SQLException {
        try (Connection c = db.getConnection()) {
            Optional<Integer> v = ChampionHistory.replay(history(c, name)).champion();
            return v.isEmpty() ? Optional.empty() : show(c, name, v.get());
        }
    }

    public Optional<ModelVersion> show(String name, int version) throws SQLException {
        try (Connection c = db.getConnection()) {
            return show(c, name, version);
        }
    }

    /** The reference data registered with a version, if any. */
    @SuppressWarnings("unchecked")
    public Optional<ModelReference> reference(String name, int version) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement q = c.prepareStatement("SELECT sweep_id,"
                + " reference_rows::text, reference_predictions::text, baselines::text, scoring_latency::text"
                + " FROM model_reference WHERE name = ? AND version = ?")) {
            q.setString(1, name);
            q.setInt(2, version);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new ModelReference((java.util.UUID) rs.getObject(1),
                        (List<java.util.Map<String, Object>>) (List<?>) Json.readList(rs.getString(2)),
                        (List<java.util.Map<String, Object>>) (List<?>) Json.readList(rs.getString(3)),
                        Json.readMap(rs.getString(4)), Json.readMap(rs.getString(5))));
            }
        }
    }

    /** Every version, newest first; all models when {@code name} is null. */
    public List<ModelVersion> list(String name) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement q = c.prepareStatement(SELECT
                + (name == null ? "" : " WHERE name = ?") + " ORDER BY name, version DESC")) {
            if (name != null) {
                q.setString(1, name);
            }
            List<ModelVersion> out = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(version(rs));
                }
            }
            return out;
        }
    }

    public List<ModelEvent> history(String name) throws SQLException {
        try (Connection c = db.getConnection()) {
            return history(c, name);
        }
    }

    private static List<ModelEvent> history(Connection c, String name) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT id, name, version, event, actor, reason, created_at"
                + " FROM model_events WHERE name = ? ORDER BY id")) {
            q.setString(1, name);
            List<ModelEvent> out = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new ModelEvent(rs.getLong(1), rs.getString(2), rs.getInt(3),
                            ModelEvent.Type.fromWireName(rs.getString(4)), rs.getString(5), rs.getString(6),
                            rs.getTimestamp(7).toInstant()));
                }
            }
            return out;
        }
    }

    private static final String SELECT = "SELECT name, version, algorithm, artifact_uri, artifact_sha256,"
            + " artifact_size, h2o_version, mojo_version, git_commit, feature_schema::text, schema_fingerprint,"
            + " training_window_start, training_window_end, metrics::text, created_at FROM model_versions";

    private static Optional<ModelVersion> show(Connection c, String name, int version) throws SQLException {
        try (PreparedStatement q = c.prepareStatement(SELECT + " WHERE name = ? AND version = ?")) {
            q.setString(1, name);
            q.setInt(2, version);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(version(rs)) : Optional.empty();
            }
        }
    }

    private static ModelVersion version(ResultSet rs) throws SQLException {
        return new ModelVersion(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getLong(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                rs.getString(11), instant(rs.getTimestamp(12)), instant(rs.getTimestamp(13)),
                Json.readMap(rs.getString(14)), rs.getTimestamp(15).toInstant());
    }

    private static void requireVersion(Connection c, String name, int version) throws SQLException {
        if (show(c, name, version).isEmpty()) {
            throw new IllegalArgumentException("model '" + name + "' has no version " + version);
        }
    }

    private static ModelEvent appendEvent(Connection c, String name, int version, ModelEvent.Type type,
                                          String actor, String reason) throws SQLException {
        if (actor == null || actor.isBlank()) {
            throw new IllegalArgumentException("every model event needs an actor");
        }
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO model_events (name, version, event, actor,"
                + " reason) VALUES (?, ?, ?, ?, ?) RETURNING id, created_at")) {
            ins.setString(1, name);
            ins.setInt(2, version);
            ins.setString(3, type.wireName());
            ins.setString(4, actor);
            ins.setString(5, reason == null ? "" : reason);
            try (ResultSet rs = ins.executeQuery()) {
                rs.next();
                return new ModelEvent(rs.getLong(1), name, version, type, actor, reason == null ? "" : reason,
                        rs.getTimestamp(2).toInstant());
            }
        }
    }

    private static void notifyChampion(Connection c, String name) throws SQLException {
        Optional<Integer> champion = ChampionHistory.replay(history(c, name)).champion();
        try (PreparedStatement n = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            n.setString(1, CHANNEL);
            n.setString(2, new ChampionNotice(name, champion.map(java.util.OptionalInt::of)
                    .orElse(java.util.OptionalInt.empty())).encode());
            n.execute();
        }
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(String name, Work<T> work) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                    lock.setString(1, "converge.model." + name);
                    lock.execute();
                }
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static Timestamp ts(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
