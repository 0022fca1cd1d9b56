package dev.converge.serve.monitor;

import dev.converge.serve.alerts.Alerts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Drift-triggered retraining: runs the model's training pipeline in a child process (as {@code converge train}
 * would: the new version passes the same gate, parity check and promotion policy as any other, and is registered by
 * the actor {@code drift-retrain (drift run <id>)}), one at a time. Every attempt is a row of {@code retrain_runs}.
 * Three consecutive failures open the model's breaker in {@code retrain_breakers}: no automatic retraining until a
 * person resets it ({@code converge retrain reset MODEL}), and the alert {@code retrain_breaker/<model>} says so.
 * No retry loop: a failure waits for the next drift alert.
 */
public final class Retrainer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Retrainer.class);
    public static final int FAILURES_TO_OPEN = 3;

    /** What an attempt came to. */
    public record Attempt(long runId, String outcome, Integer exitCode, String outputTail) {}

    private final DataSource db;
    private final List<String> command;
    private final Duration timeout;
    private final Alerts alerts;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "converge-retrain");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param command the child's command line; {@code {actor}} in it is replaced by who the registry should record
     */
    public Retrainer(DataSource db, List<String> command, Duration timeout, Alerts alerts) {
        this.db = db;
        this.command = List.copyOf(command);
        this.timeout = timeout;
        this.alerts = alerts;
    }

    /** The command {@code converge serve} runs by default: this JVM's java and class path, {@code train}. */
    public static List<String> defaultCommand(String pipeline, String databaseUrl, String databaseUser) {
        List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.converge.cli.Main", "train", "--pipeline",
                pipeline, "--actor", "{actor}", "--database-url", databaseUrl));
        if (databaseUser != null) {
            c.addAll(List.of("--database-user", databaseUser));
        }
        return c;
    }

    /** Starts a retrain of {@code model} for {@code trigger} (e.g. a drift run) on the retrain thread. */
    public Future<Attempt> trigger(String model, String trigger) {
        return runner.submit(() -> attempt(model, trigger));
    }

    private Attempt attempt(String model, String trigger) throws SQLException {
        String breakerKey = "retrain_breaker/" + model;
        try (Connection c = db.getConnection()) {
            boolean open = breakerOpen(c, model);
            if (!open) {
                alerts.resolve(breakerKey, "automatic retraining of '" + model + "' was reset");
            } else {
                long id = insertRun(c, model, trigger);
                finish(c, id, null, "refused_breaker_open", "three consecutive retrains failed; reset with"
                        + " `converge retrain reset " + model + "`");
                LOG.warn("retrain of {} for {} refused: its breaker is open", model, trigger);
                return new Attempt(id, "refused_breaker_open", null, null);
            }
            long id = insertRun(c, model, trigger);
            LOG.info("retraining {} ({}): {}", model, trigger, String.join(" ", command));
            Integer exit = null;
            String outcome;
            String tail;
            try {
                List<String> cmd = command.stream().map(a -> a.replace("{actor}", "drift-retrain (" + trigger + ")"))
                        .toList();
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                TailReader out = new TailReader(p.getInputStream(), 4096);
                out.start();
                if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    exit = p.exitValue();
                    outcome = exit == 0 ? "succeeded" : "failed";
                } else {
                    p.destroyForcibly();
                    outcome = "timed_out";
                }
                out.join(5000);
                tail = out.tail();
            } catch (IOException e) {
                outcome = "failed";
                tail = "could not start the training process: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                outcome = "failed";
                tail = "interrupted";
            }
            finish(c, id, exit, outcome, tail);
            int failures = record(c, model, outcome.equals("succeeded"));
            LOG.info("retrain of {} {} (exit {}); consecutive failures {}", model, outcome, exit, failures);
            if (failures >= FAILURES_TO_OPEN) {
                alerts.fire(breakerKey, "critical", "automatic retraining of model '" + model + "' failed "
                        + failures + " times in a row and is stopped until `converge retrain reset " + model
                        + "`", Map.of("model", model, "consecutive_failures", failures, "last_outcome", outcome,
                        "last_output", tail == null ? "" : tail));
            }
            return new Attempt(id, outcome, exit, tail);
        }
    }

    private static boolean breakerOpen(Connection c, String model) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT open FROM retrain_breakers WHERE model = ?")) {
            q.setString(1, model);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static long insertRun(Connection c, String model, String trigger) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("INSERT INTO retrain_runs (model, trigger) VALUES (?, ?)"
                + " RETURNING id")) {
            q.setString(1, model);
            q.setString(2, trigger);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void finish(Connection c, long id, Integer exit, String outcome, String tail) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("UPDATE retrain_runs SET finished_at = now(), exit_code = ?,"
                + " outcome = ?, output_tail = ? WHERE id = ?")) {
            if (exit == null) {
                q.setNull(1, java.sql.Types.INTEGER);
            } else {
                q.setInt(1, exit);
            }
            q.setString(2, outcome);
            q.setString(3, tail);
            q.setLong(4, id);
            q.executeUpdate();
        }
    }

    /** Counts the attempt into the model's breaker; returns the consecutive failures now. */
    private static int record(Connection c, String model, boolean succeeded) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("INSERT INTO retrain_breakers AS b (model, consecutive_failures,"
                + " open, opened_at) VALUES (?, ?, false, NULL) ON CONFLICT (model) DO UPDATE SET"
                + " consecutive_failures = CASE WHEN ? THEN 0 ELSE b.consecutive_failures + 1 END,"
                + " open = NOT ? AND b.consecutive_failures + 1 >= " + FAILURES_TO_OPEN + ","
                + " opened_at = CASE WHEN NOT ? AND b.consecutive_failures + 1 >= " + FAILURES_TO_OPEN
                + " THEN coalesce(b.opened_at, now()) ELSE NULL END RETURNING consecutive_failures")) {
            q.setString(1, model);
            q.setInt(2, succeeded ? 0 : 1);
            q.setBoolean(3, succeeded);
            q.setBoolean(4, succeeded);
            q.setBoolean(5, succeeded);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Keeps the last {@code max} bytes a process wrote. */
    private static final class TailReader extends Thread {
        private final InputStream in;
        private final int max;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        TailReader(InputStream in, int max) {
            super("converge-retrain-output");
            setDaemon(true);
            this.in = in;
            this.max = max;
        }

        @Override
        public void run() {
            byte[] b = new byte[4096];
            try {
                for (int n; (n = in.read(b)) >= 0; ) {
                    synchronized (buf) {
                        buf.write(b, 0, n);
                        if (buf.size() > 4 * max) {
                            byte[] all = buf.toByteArray();
                            buf.reset();
                            buf.write(all, all.length - max, max);
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }

        String tail() {
            synchronized (buf) {
                byte[] all = buf.toByteArray();
                int from = Math.max(0, all.length - max);
                return new String(all, from, all.length - from, StandardCharsets.UTF_8);
            }
        }
    }

    /**
     * Closes {@code model}'s breaker ({@code converge retrain reset}); false when it has none (never retrained).
     */
    public static boolean reset(DataSource db, String model, String by) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement q = c.prepareStatement("UPDATE retrain_breakers"
                + " SET open = false, consecutive_failures = 0, opened_at = NULL, reset_at = now(), reset_by = ?"
                + " WHERE model = ?")) {
            q.setString(1, by);
            q.setString(2, model);
            return q.executeUpdate() == 1;
        }
    }

    @Override
    public void close() {
        runner.shutdownNow();
    }
}
