package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/**
 * The prediction server's settings, validated at start-up.
 *
 * @param host                   address to listen on
 * @param port                   HTTP port (0 picks a free one)
 * @param model                  registry name of the model to serve (its champion)
 * @param adminToken             bearer token for /admin routes; null refuses every admin call
 * @param eventLoops             event loops (and server instances)
 * @param scoringWorkers         threads of the scoring worker pool
 * @param inlineScoringMaxMicros models whose measured p90 per row is at most this score on the event loop
 *                               (docs/decisions/0007)
 * @param batchMaxRows           most rows accepted by /v1/predict/batch
 * @param bodyLimitBytes         largest request body
 * @param lagWarnMillis          event-loop lag above this, sustained, is logged as a warning
 * @param pgPoolSize             connections of the feature-fetch pool
 * @param resilience             cache, breakers, timeouts and load shedding
 * @param clients                what a slow or stalled client may hold
 * @param refuseUnseenLevels     refuse (422) a request with a categorical level the model never saw, instead of
 *                               scoring it as missing with a warning ({@code serve.unseen_levels=refuse|warn})
 * @param graphql                the bounds on a GraphQL request
 * @param predictionLog          what of the predictions is logged, and how
 * @param drift                  when drift is computed, over what, and its thresholds
 * @param alertsWebhookUrl       where alerts are POSTed ({@code serve.alerts.webhook_url}); null: logged only
 * @param latency                when slow predictions raise an alert, with the stage that made them slow
 * @param tls                    the certificate and key when the server terminates TLS itself; null for plain HTTP
 * @param onlineReadUrl          a read replica (a PostgreSQL hot standby) for the online feature reads
 *                               ({@code serve.online_read_url}, a JDBC URL; user and password as the primary's unless
 *                               in the URL); the primary takes them back while it fails. Null: the primary only
 */
public record ServeConfig(String host, int port, String model, String adminToken, int eventLoops, int scoringWorkers,
                          double inlineScoringMaxMicros, int batchMaxRows, long bodyLimitBytes, long lagWarnMillis,
                          int pgPoolSize, Resilience resilience, Clients clients, boolean refuseUnseenLevels,
                          GraphQl graphql, PredictionLog predictionLog, Drift drift, String alertsWebhookUrl,
                          Latency latency, Tls tls, String onlineReadUrl) {
    /**
     * TLS terminated by the server itself ({@code serve.tls.cert} and {@code serve.tls.key}, PEM files), for
     * deployments without an ingress; HTTP/2 and HTTP/1.1 are offered by ALPN. Null: plain HTTP.
     */
    public record Tls(String certPath, String keyPath) {
        public Tls {
            require(certPath != null && keyPath != null, "serve.tls.cert and serve.tls.key go together: give both"
                    + " PEM files, or neither for plain HTTP");
            for (String[] f : new String[][] {{"serve.tls.cert", certPath}, {"serve.tls.key", keyPath}}) {
                require(java.nio.file.Files.isReadable(java.nio.file.Path.of(f[1])), f[0] + ": cannot read '" + f[1]
                        + "' (a PEM file)");
            }
        }

        static Tls from(Settings s) {
            String cert = s.string("serve.tls.cert").orElse(null);
            String key = s.string("serve.tls.key").orElse(null);
            return cert == null && key == null ? null : new Tls(cert, key);
        }
    }

    /**
     * Latency attribution ({@code serve.latency.*}).
     *
     * @param alertMillis        the p99 of the service's latency above which an interval is slow ({@code alert_ms})
     * @param intervalSeconds    how often the stage times are evaluated ({@code interval_s})
     * @param sustainedIntervals slow intervals in a row before the alert fires ({@code sustained_intervals})
     */
    public record Latency(double alertMillis, int intervalSeconds, int sustainedIntervals) {
        public static final Latency DEFAULTS = new Latency(50, 10, 3);

        public Latency {
            require(alertMillis > 0, "serve.latency.alert_ms must be > 0, was " + alertMillis);
            require(intervalSeconds >= 1, "serve.latency.interval_s must be >= 1, was " + intervalSeconds);
            require(sustainedIntervals >= 1, "serve.latency.sustained_intervals must be >= 1, was "
                    + sustainedIntervals);
        }

        static Latency from(Settings s) {
            return new Latency(number(s, "serve.latency.alert_ms", DEFAULTS.alertMillis),
                    s.integer("serve.latency.interval_s", DEFAULTS.intervalSeconds),
                    s.integer("serve.latency.sustained_intervals", DEFAULTS.sustainedIntervals));
        }
    }

    /**
     * The drift job ({@code serve.drift.*}).
     *
     * @param intervalMinutes how often it runs (0: never on its own; {@code POST /admin/drift/run} still runs it)
     * @param windowMinutes   the logged predictions it looks at: those of the last this many minutes
     * @param sampleRows      at most this many of them, sampled uniformly
     * @param psiWarn         PSI above this is a warning
     * @param psiAlert        PSI above this is an alert
     * @param retrainPipeline the pipeline a drift alert retrains the model with ({@code serve.retrain.pipeline});
     *                        null: drift never retrains (the default)
     * @param retrainCommand  the training command ({@code serve.retrain.command}, words separated by spaces,
     *                        {@code {actor}} replaced); empty: this JVM's {@code converge train --pipeline P}
     * @param retrainTimeoutMinutes a retrain running longer is killed and counts as failed
     */
    public record Drift(int intervalMinutes, int windowMinutes, int sampleRows, double psiWarn, double psiAlert,
                        String retrainPipeline, java.util.List<String> retrainCommand, int retrainTimeoutMinutes) {
        public static final Drift DEFAULTS = new Drift(60, 60, 10_000, 0.1, 0.25);

        public Drift(int intervalMinutes, int windowMinutes, int sampleRows, double psiWarn, double psiAlert) {
            this(intervalMinutes, windowMinutes, sampleRows, psiWarn, psiAlert, null, java.util.List.of(), 120);
        }

        public boolean retrains() {
            return retrainPipeline != null || !retrainCommand.isEmpty();
        }

        public Drift {
            require(intervalMinutes >= 0, "serve.drift.interval_minutes must be >= 0, was " + intervalMinutes);
            require(windowMinutes >= 1, "serve.drift.window_minutes must be >= 1, was " + windowMinutes);
            require(sampleRows >= 100, "serve.drift.sample_rows must be >= 100, was " + sampleRows);
            require(psiWarn > 0 && psiAlert >= psiWarn, "serve.drift.psi_warn must be > 0 and at most"
                    + " serve.drift.psi_alert, were " + psiWarn + " and " + psiAlert);
            retrainCommand = java.util.List.copyOf(retrainCommand);
            require(retrainTimeoutMinutes >= 1, "serve.retrain.timeout_minutes must be >= 1, was "
                    + retrainTimeoutMinutes);
        }

        static Drift from(Settings s) {
            int interval = s.integer("serve.drift.interval_minutes", DEFAULTS.intervalMinutes);
            return new Drift(interval, s.integer("serve.drift.window_minutes", interval == 0
                    ? DEFAULTS.windowMinutes : interval), s.integer("serve.drift.sample_rows", DEFAULTS.sampleRows),
                    number(s, "serve.drift.psi_warn", DEFAULTS.psiWarn),
                    number(s, "serve.drift.psi_alert", DEFAULTS.psiAlert),
                    s.string("serve.retrain.pipeline").orElse(null),
                    s.string("serve.retrain.command").map(c -> java.util.List.of(c.trim().split("\\s+")))
                            .orElse(java.util.List.of()), s.integer("serve.retrain.timeout_minutes", 120));
        }
    }

    private static double number(Settings s, String key, double def) {
        String v = s.string(key).orElse(null);
        if (v == null) {
            return def;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, was '" + v + "'");
        }
    }

    /**
     * The prediction log ({@code serve.prediction_log.*}).
     *
     * @param on            {@code serve.prediction_log=on|off}
     * @param sampleRate    share of predictions logged, 0..1 ({@code sample})
     * @param bufferRows    predictions waiting to be written; beyond this they are dropped and counted
     * @param batchRows     rows per INSERT
     * @param flushMillis   longest wait before a partial batch is written
     * @param retentionDays partitions (one per UTC day) older than this are dropped
     * @param maxRowsPerSecond at most this many predictions a second are logged, the rest counted
     *                      ({@code over_rate_bound}): the log's cost stays bounded under any load (docs/perf.md)
     */
    public record PredictionLog(boolean on, double sampleRate, int bufferRows, int batchRows, long flushMillis,
                                int retentionDays, int maxRowsPerSecond) {
        public static final PredictionLog DEFAULTS = new PredictionLog(true, 1.0, 100_000, 1000, 200, 30, 1000);
        public static final PredictionLog OFF = new PredictionLog(false, 1.0, 100_000, 1000, 200, 30, 1000);

        public PredictionLog {
            require(sampleRate >= 0 && sampleRate <= 1, "serve.prediction_log.sample must be within 0..1, was "
                    + sampleRate);
            require(bufferRows >= 1, "serve.prediction_log.buffer_rows must be >= 1, was " + bufferRows);
            require(batchRows >= 1, "serve.prediction_log.batch_rows must be >= 1, was " + batchRows);
            require(flushMillis >= 1, "serve.prediction_log.flush_ms must be >= 1, was " + flushMillis);
            require(retentionDays >= 1, "serve.prediction_log.retention_days must be >= 1, was " + retentionDays);
            require(maxRowsPerSecond >= 1, "serve.prediction_log.max_rows_per_s must be >= 1, was "
                    + maxRowsPerSecond);
        }

        static PredictionLog from(Settings s) {
            String on = s.string("serve.prediction_log").orElse("on");
            require(on.equals("on") || on.equals("off"), "serve.prediction_log must be on or off, was '" + on + "'");
            double rate;
            String r = s.string("serve.prediction_log.sample").orElse("1.0");
            try {
                rate = Double.parseDouble(r);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("serve.prediction_log.sample must be a number within 0..1, was '"
                        + r + "'");
            }
            return new PredictionLog(on.equals("on"), rate, s.integer("serve.prediction_log.buffer_rows",
                    DEFAULTS.bufferRows), s.integer("serve.prediction_log.batch_rows", DEFAULTS.batchRows),
                    s.integer("serve.prediction_log.flush_ms", (int) DEFAULTS.flushMillis),
                    s.integer("serve.prediction_log.retention_days", DEFAULTS.retentionDays),
                    s.integer("serve.prediction_log.max_rows_per_s", DEFAULTS.maxRowsPerSecond));
        }
    }

    /**
     * Bounds on a GraphQL request, checked before it runs (a refused query touches no database).
     *
     * @param maxDepth         deepest field nesting (introspection's own fields aside)
     * @param maxCost          budget: each field costs its weight times the sizes of the lists above it
     *                         ({@code ids}, {@code limit}, {@code last}, {@code rows})
     * @param maxAliases       aliased fields in one document
     * @param maxDocumentBytes characters of the query document
     * @param maxIds           ids in one {@code entities} call
     * @param maxLimit         largest {@code limit} / {@code last}
     * @param introspection    whether {@code __schema} and {@code __type} are answered
     * @param timeoutMillis    a request not answered within this is answered with a timeout error
     * @param weights          {@code Type.field} to weight; a field not listed weighs 1
     */
    public record GraphQl(int maxDepth, int maxCost, int maxAliases, int maxDocumentBytes, int maxIds, int maxLimit,
                          boolean introspection, long timeoutMillis, java.util.Map<String, Integer> weights) {
        /** Scoring and reading history cost more than a stored field. */
        public static final java.util.Map<String, Integer> DEFAULT_WEIGHTS = java.util.Map.of(
                "Entity.prediction", 5, "Entity.similar", 5, "Entity.history", 2, "Entity.features", 2, "FeatureRow.features", 1,
                "PredictionModel.registered", 2, "Model.events", 2, "Mutation.predict", 5, "Mutation.predictBatch", 5);
        public static final GraphQl DEFAULTS = new GraphQl(5, 5000, 30, 16 * 1024, 100, 1000, true, 5000,
                DEFAULT_WEIGHTS);

        public GraphQl {
            require(maxDepth >= 2, "serve.graphql.max_depth must be >= 2, was " + maxDepth);
            require(maxCost >= 1, "serve.graphql.max_cost must be >= 1, was " + maxCost);
            require(maxAliases >= 0, "serve.graphql.max_aliases must be >= 0, was " + maxAliases);
            require(maxDocumentBytes >= 256, "serve.graphql.max_document_bytes must be >= 256, was "
                    + maxDocumentBytes);
            require(maxIds >= 1, "serve.graphql.max_ids must be >= 1, was " + maxIds);
            require(maxLimit >= 1, "serve.graphql.max_limit must be >= 1, was " + maxLimit);
            require(timeoutMillis >= 10, "serve.graphql.timeout_ms must be >= 10, was " + timeoutMillis);
            weights = java.util.Map.copyOf(weights);
        }

        static GraphQl from(Settings s) {
            java.util.Map<String, Integer> weights = new java.util.HashMap<>(DEFAULT_WEIGHTS);
            for (String pair : s.string("serve.graphql.weights").orElse("").split(",")) {
                if (pair.isBlank()) {
                    continue;
                }
                String[] kv = pair.trim().split("=", 2);
                require(kv.length == 2 && kv[0].matches("[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*")
                        && kv[1].trim().matches("\\d{1,6}"), "serve.graphql.weights must be Type.field=N,..., had '"
                        + pair.trim() + "'");
                weights.put(kv[0], Integer.parseInt(kv[1].trim()));
            }
            String intro = s.string("serve.graphql.introspection").orElse("on");
            require(intro.equals("on") || intro.equals("off"), "serve.graphql.introspection must be on or off, was '"
                    + intro + "'");
            return new GraphQl(s.integer("serve.graphql.max_depth", DEFAULTS.maxDepth),
                    s.integer("serve.graphql.max_cost", DEFAULTS.maxCost),
                    s.integer("serve.graphql.max_aliases", DEFAULTS.maxAliases),
                    s.integer("serve.graphql.max_document_bytes", DEFAULTS.maxDocumentBytes),
                    s.integer("serve.graphql.max_ids", DEFAULTS.maxIds),
                    s.integer("serve.graphql.max_limit", DEFAULTS.maxLimit), intro.equals("on"),
                    s.integer("serve.graphql.timeout_ms", (int) DEFAULTS.timeoutMillis), weights);
        }

        public int weight(String coordinates) {
            return weights.getOrDefault(coordinates, 1);
        }
    }

    /**
     * Bounds on slow clients.
     *
     * @param idleMillis      a connection must send the next request's headers within this of opening or of its
     *                        previous response, and may not go silent longer than this
     * @param requestMillis   a request's body must arrive within this of its headers (else 408)
     * @param bodyBufferBytes bodies being received at once hold at most this many bytes (else 503)
     */
    public record Clients(long idleMillis, long requestMillis, long bodyBufferBytes) {
        public static final Clients DEFAULTS = new Clients(30_000, 10_000, 64L << 20);

        public Clients {
            require(idleMillis >= 100, "serve.idle_timeout_ms must be >= 100, was " + idleMillis);
            require(requestMillis >= 100, "serve.request_timeout_ms must be >= 100, was " + requestMillis);
            require(bodyBufferBytes >= 1024, "serve.body_buffer_bytes must be >= 1024, was " + bodyBufferBytes);
        }

        static Clients from(Settings s) {
            return new Clients(s.integer("serve.idle_timeout_ms", (int) DEFAULTS.idleMillis),
                    s.integer("serve.request_timeout_ms", (int) DEFAULTS.requestMillis),
                    s.integer("serve.body_buffer_bytes", (int) DEFAULTS.bodyBufferBytes));
        }
    }

    /** With the default {@link Clients} bounds. */
    public ServeConfig(String host, int port, String model, String adminToken, int eventLoops, int scoringWorkers,
                       double inlineScoringMaxMicros, int batchMaxRows, long bodyLimitBytes, long lagWarnMillis,
                       int pgPoolSize, Resilience resilience) {
        this(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros, batchMaxRows,
                bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, Clients.DEFAULTS, false, GraphQl.DEFAULTS,
                PredictionLog.DEFAULTS, Drift.DEFAULTS, null, Latency.DEFAULTS, null, null);
    }

    public ServeConfig {
        require(port >= 0 && port <= 65535, "serve.port must be within 0..65535, was " + port);
        require(model != null && !model.isBlank(), "serve.model must be set");
        require(eventLoops >= 1, "serve.event_loops must be >= 1, was " + eventLoops);
        require(scoringWorkers >= 1, "serve.scoring_workers must be >= 1, was " + scoringWorkers);
        require(inlineScoringMaxMicros >= 0, "serve.inline_scoring_max_us must be >= 0, was " + inlineScoringMaxMicros);
        require(batchMaxRows >= 1 && batchMaxRows <= 100_000, "serve.batch_max_rows must be within 1..100000, was "
                + batchMaxRows);
        require(bodyLimitBytes >= 1024, "serve.body_limit_bytes must be >= 1024, was " + bodyLimitBytes);
        require(lagWarnMillis >= 1, "serve.lag_warn_ms must be >= 1, was " + lagWarnMillis);
        require(pgPoolSize >= 1, "serve.pg_pool_size must be >= 1, was " + pgPoolSize);
        require(adminToken == null || adminToken.length() >= 16, "serve.admin_token must be at least 16 characters");
        java.util.Objects.requireNonNull(resilience, "resilience");
        java.util.Objects.requireNonNull(clients, "clients");
        java.util.Objects.requireNonNull(graphql, "graphql");
        java.util.Objects.requireNonNull(predictionLog, "predictionLog");
        java.util.Objects.requireNonNull(drift, "drift");
        java.util.Objects.requireNonNull(latency, "latency");
        require(alertsWebhookUrl == null || alertsWebhookUrl.matches("https?://.+"), "serve.alerts.webhook_url must be"
                + " an http(s) URL, was '" + alertsWebhookUrl + "'");
        require(onlineReadUrl == null || onlineReadUrl.startsWith("jdbc:postgresql://"), "serve.online_read_url must be"
                + " a jdbc:postgresql:// URL (the hot standby), was '" + (onlineReadUrl == null ? null
                : dev.converge.registry.PgEndpoint.redacted(onlineReadUrl)) + "'");
        require(clients.bodyBufferBytes() >= bodyLimitBytes, "serve.body_buffer_bytes (" + clients.bodyBufferBytes()
                + ") must hold at least one body of serve.body_limit_bytes (" + bodyLimitBytes + ")");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public static ServeConfig from(Settings s) {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ServeConfig(
                s.string("serve.host").orElse("127.0.0.1"),
                s.integer("serve.port", 8080),
                s.string("serve.model").orElse("credit_risk"),
                s.string("serve.admin_token").orElse(null),
                s.integer("serve.event_loops", cores),
                s.integer("serve.scoring_workers", Math.max(1, cores)), // docs/decisions/0007, revised
                s.integer("serve.inline_scoring_max_us", 200),
                s.integer("serve.batch_max_rows", 1000),
                s.integer("serve.body_limit_bytes", 1 << 20),
                s.integer("serve.lag_warn_ms", 50),
                s.integer("serve.pg_pool_size", 8),
                Resilience.from(s), Clients.from(s), unseenLevels(s.string("serve.unseen_levels").orElse("warn")),
                GraphQl.from(s), PredictionLog.from(s), Drift.from(s),
                s.string("serve.alerts.webhook_url").orElse(null), Latency.from(s), Tls.from(s),
                s.string("serve.online_read_url").orElse(null));
    }

    private static boolean unseenLevels(String policy) {
        return switch (policy) {
            case "warn" -> false;
            case "refuse" -> true;
            default -> throw new IllegalArgumentException("serve.unseen_levels must be warn (score as missing, say so)"
                    + " or refuse (422), was '" + policy + "'");
        };
    }

    public ServeConfig withPort(int p) {
        return new ServeConfig(host, p, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuseUnseenLevels,
                graphql, predictionLog, drift, alertsWebhookUrl, latency, tls, onlineReadUrl);
    }

    public ServeConfig withResilience(Resilience r) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, r, clients, refuseUnseenLevels,
                graphql, predictionLog, drift, alertsWebhookUrl, latency, tls, onlineReadUrl);
    }

    public ServeConfig withClients(Clients c) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, c, refuseUnseenLevels,
                graphql, predictionLog, drift, alertsWebhookUrl, latency, tls, onlineReadUrl);
    }

    public ServeConfig withUnseenLevelsRefused(boolean refuse) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuse,
                graphql, predictionLog, drift, alertsWebhookUrl, latency, tls, onlineReadUrl);
    }

    public ServeConfig withGraphql(GraphQl g) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuseUnseenLevels, g, predictionLog,
                drift, alertsWebhookUrl, latency, tls, onlineReadUrl);
    }

    public ServeConfig withPredictionLog(PredictionLog l) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuseUnseenLevels,
                graphql, l, drift, alertsWebhookUrl, latency, tls, onlineReadUrl);
    }

    public ServeConfig withDrift(Drift d) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuseUnseenLevels,
                graphql, predictionLog, d, alertsWebhookUrl, latency, tls, onlineReadUrl);
    }

    public ServeConfig withAlertsWebhook(String url) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuseUnseenLevels,
                graphql, predictionLog, drift, url, latency, tls, onlineReadUrl);
    }

    public ServeConfig withLatency(Latency l) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuseUnseenLevels,
                graphql, predictionLog, drift, alertsWebhookUrl, l, tls, onlineReadUrl);
    }

    public ServeConfig withTls(Tls t) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuseUnseenLevels,
                graphql, predictionLog, drift, alertsWebhookUrl, latency, t, onlineReadUrl);
    }

    public ServeConfig withOnlineReadUrl(String url) {
        return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuseUnseenLevels,
                graphql, predictionLog, drift, alertsWebhookUrl, latency, tls, url);
    }

    @Override
    public String toString() {
        return "ServeConfig[" + host + ":" + port + ", model=" + model + ", adminToken=" + (adminToken == null ? "unset"
                : "***") + ", eventLoops=" + eventLoops + ", scoringWorkers=" + scoringWorkers
                + ", inlineScoringMaxMicros=" + inlineScoringMaxMicros + ", tls=" + (tls == null ? "off" : "on") + "]";
    }
}
