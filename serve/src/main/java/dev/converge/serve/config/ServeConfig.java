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
 * @param models                 every model served ({@code serve.models}, names separated by commas), the default
 *                               model ({@code model}, answered at {@code /v1/predict}) first; just {@code model} when
 *                               not set
 * @param auth                   access control ({@code serve.auth}): {@code auto} (keys enforced when any exists,
 *                               open on a loopback address when none does, and a refusal to start on any other),
 *                               {@code keys} (always enforced) or {@code off} (open, said at start); docs/security.md
 * @param jwt                    bearer JWTs from an identity provider, beside API keys; null for none
 */
public record ServeConfig(String host, int port, String model, String adminToken, int eventLoops, int scoringWorkers,
                          double inlineScoringMaxMicros, int batchMaxRows, long bodyLimitBytes, long lagWarnMillis,
                          int pgPoolSize, Resilience resilience, ClientSettings clients, boolean refuseUnseenLevels,
                          GraphQlSettings graphql, PredictionLogSettings predictionLog, DriftSettings drift, String alertsWebhookUrl,
                          LatencySettings latency, TlsSettings tls, String onlineReadUrl, java.util.List<String> models,
                          String auth, JwtSettings jwt) {
    public ServeConfig {
        Checks.require(port >= 0 && port <= 65535, "serve.port must be within 0..65535, was " + port);
        Checks.require(model != null && !model.isBlank(), "serve.model must be set");
        Checks.require(eventLoops >= 1, "serve.event_loops must be >= 1, was " + eventLoops);
        Checks.require(scoringWorkers >= 1, "serve.scoring_workers must be >= 1, was " + scoringWorkers);
        Checks.require(inlineScoringMaxMicros >= 0, "serve.inline_scoring_max_us must be >= 0, was " + inlineScoringMaxMicros);
        Checks.require(batchMaxRows >= 1 && batchMaxRows <= 100_000, "serve.batch_max_rows must be within 1..100000, was "
                + batchMaxRows);
        Checks.require(bodyLimitBytes >= 1024, "serve.body_limit_bytes must be >= 1024, was " + bodyLimitBytes);
        Checks.require(lagWarnMillis >= 1, "serve.lag_warn_ms must be >= 1, was " + lagWarnMillis);
        Checks.require(pgPoolSize >= 1, "serve.pg_pool_size must be >= 1, was " + pgPoolSize);
        Checks.require(adminToken == null || adminToken.length() >= 16, "serve.admin_token must be at least 16 characters");
        java.util.Objects.requireNonNull(resilience, "resilience");
        java.util.Objects.requireNonNull(clients, "clients");
        java.util.Objects.requireNonNull(graphql, "graphql");
        java.util.Objects.requireNonNull(predictionLog, "predictionLog");
        java.util.Objects.requireNonNull(drift, "drift");
        java.util.Objects.requireNonNull(latency, "latency");
        Checks.require(alertsWebhookUrl == null || alertsWebhookUrl.matches("https?://.+"), "serve.alerts.webhook_url must be"
                + " an http(s) URL, was '" + alertsWebhookUrl + "'");
        Checks.require(onlineReadUrl == null || onlineReadUrl.startsWith("jdbc:postgresql://"), "serve.online_read_url must be"
                + " a jdbc:postgresql:// URL (the hot standby), was '" + (onlineReadUrl == null ? null
                : dev.converge.registry.PgEndpoint.redacted(onlineReadUrl)) + "'");
        models = java.util.List.copyOf(models);
        Checks.require(!models.isEmpty() && models.get(0).equals(model), "serve.models must start with the default"
                + " model (serve.model=" + model + "), was " + models);
        Checks.require(new java.util.HashSet<>(models).size() == models.size(), "serve.models names a model twice: "
                + models);
        for (String m : models) {
            Checks.require(m.matches("[A-Za-z0-9*][A-Za-z0-9_.*-]{0,127}"), "serve.models: '" + m + "' is not a"
                    + " model name (letters, digits, _ . -) nor a pattern of one (* for any characters)");
        }
        Checks.require(auth.equals("auto") || auth.equals("keys") || auth.equals("off"), "serve.auth must be auto,"
                + " keys or off, was '" + auth + "'");
        Checks.require(clients.bodyBufferBytes() >= bodyLimitBytes, "serve.body_buffer_bytes (" + clients.bodyBufferBytes()
                + ") must hold at least one body of serve.body_limit_bytes (" + bodyLimitBytes + ")");
    }

    /** The settings read from {@code s}; a setting not given has the default the builder starts from. */
    public static ServeConfig from(Settings s) {
        Builder d = builder();
        // serve.models alone names the default model too: its first.
        String defaultModel = s.string("serve.model").orElse(s.string("serve.models").map(m -> names(m).get(0))
                .orElse(d.model));
        return d.host(s.string("serve.host").orElse(d.host))
                .port(s.integer("serve.port", d.port))
                .model(defaultModel)
                .adminToken(s.string("serve.admin_token").orElse(null))
                .eventLoops(s.integer("serve.event_loops", d.eventLoops))
                .scoringWorkers(s.integer("serve.scoring_workers", d.scoringWorkers))
                .inlineScoringMaxMicros(s.integer("serve.inline_scoring_max_us", (int) d.inlineScoringMaxMicros))
                .batchMaxRows(s.integer("serve.batch_max_rows", d.batchMaxRows))
                .bodyLimitBytes(s.integer("serve.body_limit_bytes", (int) d.bodyLimitBytes))
                .lagWarnMillis(s.integer("serve.lag_warn_ms", (int) d.lagWarnMillis))
                .pgPoolSize(s.integer("serve.pg_pool_size", d.pgPoolSize))
                .resilience(Resilience.from(s)).clients(ClientSettings.from(s))
                .refuseUnseenLevels(unseenLevels(s.string("serve.unseen_levels").orElse("warn")))
                .graphql(GraphQlSettings.from(s)).predictionLog(PredictionLogSettings.from(s)).drift(DriftSettings.from(s))
                .alertsWebhookUrl(s.string("serve.alerts.webhook_url").orElse(null)).latency(LatencySettings.from(s))
                .tls(TlsSettings.from(s)).onlineReadUrl(s.string("serve.online_read_url").orElse(null))
                .models(s.string("serve.models").map(ServeConfig::names).orElse(null))
                .auth(s.string("serve.auth").orElse(d.auth)).jwt(JwtSettings.from(s)).build();
    }

    private static boolean unseenLevels(String policy) {
        return switch (policy) {
            case "warn" -> false;
            case "refuse" -> true;
            default -> throw new IllegalArgumentException("serve.unseen_levels must be warn (score as missing, say so)"
                    + " or refuse (422), was '" + policy + "'");
        };
    }

    /** Model names separated by commas, the default model's first. */
    private static java.util.List<String> names(String list) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String n : list.split(",")) {
            if (!n.isBlank()) {
                out.add(n.trim());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("serve.models must name at least one model, was '" + list + "'");
        }
        return out;
    }

    /** These settings with port 0 replaced by a port free now (tests, and several servers on one machine). */
    public ServeConfig freePortChosen() {
        if (port != 0) {
            return this;
        }
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return toBuilder().port(s.getLocalPort()).build();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

    /** A builder with every setting at its default (those of {@link #from} when nothing is set). */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to change some of them. */
    public Builder toBuilder() {
        return builder().host(host).port(port).model(model).adminToken(adminToken).eventLoops(eventLoops)
                .scoringWorkers(scoringWorkers).inlineScoringMaxMicros(inlineScoringMaxMicros)
                .batchMaxRows(batchMaxRows).bodyLimitBytes(bodyLimitBytes).lagWarnMillis(lagWarnMillis)
                .pgPoolSize(pgPoolSize).resilience(resilience).clients(clients).refuseUnseenLevels(refuseUnseenLevels)
                .graphql(graphql).predictionLog(predictionLog).drift(drift).alertsWebhookUrl(alertsWebhookUrl)
                .latency(latency).tls(tls).onlineReadUrl(onlineReadUrl).models(models).auth(auth).jwt(jwt);
    }

    /** Settings by name; {@link #build} validates them as the record does. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private String model = "credit_risk";
        private String adminToken;
        private int eventLoops = Runtime.getRuntime().availableProcessors();
        private int scoringWorkers = Math.max(1, Runtime.getRuntime().availableProcessors()); // decision 0007, revised
        private double inlineScoringMaxMicros = 200;
        private int batchMaxRows = 1000;
        private long bodyLimitBytes = 1 << 20;
        private long lagWarnMillis = 50;
        private int pgPoolSize = 8;
        private Resilience resilience = Resilience.defaults();
        private ClientSettings clients = ClientSettings.DEFAULTS;
        private boolean refuseUnseenLevels;
        private GraphQlSettings graphql = GraphQlSettings.DEFAULTS;
        private PredictionLogSettings predictionLog = PredictionLogSettings.DEFAULTS;
        private DriftSettings drift = DriftSettings.DEFAULTS;
        private String alertsWebhookUrl;
        private LatencySettings latency = LatencySettings.DEFAULTS;
        private TlsSettings tls;
        private String onlineReadUrl;
        private String auth = "auto";
        private JwtSettings jwt;
        private java.util.List<String> models;

        private Builder() {
        }

        public Builder host(String v) {
            host = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder model(String v) {
            model = v;
            return this;
        }

        public Builder adminToken(String v) {
            adminToken = v;
            return this;
        }

        public Builder eventLoops(int v) {
            eventLoops = v;
            return this;
        }

        public Builder scoringWorkers(int v) {
            scoringWorkers = v;
            return this;
        }

        public Builder inlineScoringMaxMicros(double v) {
            inlineScoringMaxMicros = v;
            return this;
        }

        public Builder batchMaxRows(int v) {
            batchMaxRows = v;
            return this;
        }

        public Builder bodyLimitBytes(long v) {
            bodyLimitBytes = v;
            return this;
        }

        public Builder lagWarnMillis(long v) {
            lagWarnMillis = v;
            return this;
        }

        public Builder pgPoolSize(int v) {
            pgPoolSize = v;
            return this;
        }

        public Builder resilience(Resilience v) {
            resilience = v;
            return this;
        }

        public Builder clients(ClientSettings v) {
            clients = v;
            return this;
        }

        public Builder refuseUnseenLevels(boolean v) {
            refuseUnseenLevels = v;
            return this;
        }

        public Builder graphql(GraphQlSettings v) {
            graphql = v;
            return this;
        }

        public Builder predictionLog(PredictionLogSettings v) {
            predictionLog = v;
            return this;
        }

        public Builder drift(DriftSettings v) {
            drift = v;
            return this;
        }

        public Builder alertsWebhookUrl(String v) {
            alertsWebhookUrl = v;
            return this;
        }

        public Builder latency(LatencySettings v) {
            latency = v;
            return this;
        }

        public Builder tls(TlsSettings v) {
            tls = v;
            return this;
        }

        public Builder onlineReadUrl(String v) {
            onlineReadUrl = v;
            return this;
        }

        /** Every model served, the default first; null (the default): the default model alone. */
        public Builder models(java.util.List<String> v) {
            models = v;
            return this;
        }

        public Builder auth(String v) {
            auth = v;
            return this;
        }

        public Builder jwt(JwtSettings v) {
            jwt = v;
            return this;
        }

        public ServeConfig build() {
            return new ServeConfig(host, port, model, adminToken, eventLoops, scoringWorkers, inlineScoringMaxMicros,
                    batchMaxRows, bodyLimitBytes, lagWarnMillis, pgPoolSize, resilience, clients, refuseUnseenLevels,
                    graphql, predictionLog, drift, alertsWebhookUrl, latency, tls, onlineReadUrl,
                    models == null ? java.util.List.of(model) : models, auth, jwt);
        }
    }

    @Override
    public String toString() {
        return "ServeConfig[" + host + ":" + port + ", model=" + model + ", adminToken=" + (adminToken == null ? "unset"
                : "***") + ", eventLoops=" + eventLoops + ", scoringWorkers=" + scoringWorkers
                + ", inlineScoringMaxMicros=" + inlineScoringMaxMicros + ", tls=" + (tls == null ? "off" : "on") + "]";
    }
}
