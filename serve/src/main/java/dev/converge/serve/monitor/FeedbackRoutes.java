package dev.converge.serve.monitor;

import dev.converge.contracts.Violation;
import dev.converge.serve.http.PredictionJson;
import dev.converge.serve.http.Responses;
import dev.converge.serve.module.ServeModule;
import dev.converge.serve.resilience.Failures;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /v1/feedback {"prediction_id", "label", "observed_at"}}: the ground truth of a prediction, once known,
 * for live metrics per model version. One label per prediction (a second is 409); an {@code observed_at} left out
 * is now, and the answer says so. The write is one statement through the store's pool and breaker.
 */
public final class FeedbackRoutes implements ServeModule {
    private static final Set<String> KEYS = Set.of("prediction_id", "label", "observed_at");

    private final FeedbackStore store;

    public FeedbackRoutes(FeedbackStore store) {
        this.store = store;
    }

    @Override
    public String name() {
        return "feedback";
    }

    @Override
    public void mount(Vertx vertx, Router router) {
        router.post("/v1/feedback").handler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        Responses.withJsonBody(ctx, body -> handle(ctx, body));
    }

    private void handle(RoutingContext ctx, Object body) {
        if (!(body instanceof JsonObject o)) {
            Responses.error(ctx, 400, "bad_request", "the body must be an object with prediction_id, label and"
                    + " optionally observed_at");
            return;
        }
        List<Violation> problems = new ArrayList<>();
        for (String k : o.fieldNames()) {
            if (!KEYS.contains(k)) {
                problems.add(new Violation(k, null, "unknown_field", "'" + k + "' is not a feedback field; they are"
                        + " prediction_id, label and observed_at"));
            }
        }
        UUID id = null;
        Object rawId = o.getValue("prediction_id");
        try {
            id = rawId instanceof String s ? UUID.fromString(s) : null;
        } catch (IllegalArgumentException e) {
            id = null;
        }
        if (id == null) {
            problems.add(new Violation("prediction_id", String.valueOf(rawId), rawId == null ? "missing" : "bad_id",
                    "prediction_id must be the id an answer gave (a UUID string)"));
        }
        Object label = o.getValue("label");
        if (!(label instanceof String || label instanceof Number || label instanceof Boolean)) {
            problems.add(new Violation("label", label == null ? null : String.valueOf(label), label == null
                    ? "missing" : "bad_type", "label must be the observed class (a string) or value (a number)"));
        }
        Instant observed = Instant.now();
        boolean defaulted = !o.containsKey("observed_at");
        if (!defaulted) {
            Object t = o.getValue("observed_at");
            try {
                observed = OffsetDateTime.parse((String) t).toInstant();
            } catch (RuntimeException e) {
                problems.add(new Violation("observed_at", String.valueOf(t), "bad_time", "observed_at must be an"
                        + " ISO-8601 instant with an offset, like 2026-01-31T12:00:00Z"));
            }
        }
        if (!problems.isEmpty()) {
            Responses.json(ctx, 400, PredictionJson.error("bad_request", "the feedback is not valid", problems));
            return;
        }
        UUID pid = id;
        Instant at = observed;
        store.record(pid, label, at).onComplete(ar -> {
            if (ar.failed()) {
                Responses.error(ctx, 503, "unavailable", "the feedback could not be stored ("
                        + Failures.describe(ar.cause()) + "); send it again");
                return;
            }
            FeedbackStore.Recorded r = ar.result();
            if (!r.stored()) {
                Responses.error(ctx, 409, "already_labelled", "prediction " + pid + " already has a label");
                return;
            }
            JsonObject answer = new JsonObject().put("prediction_id", pid.toString()).put("recorded", true)
                    .put("logged", r.logged()).put("observed_at", at.toString());
            if (defaulted) {
                answer.put("warnings", PredictionJson.violations(List.of(new Violation("observed_at", null,
                        "observed_at_defaulted", "no observed_at was sent; the time of receipt was used"))));
            }
            if (!r.logged()) {
                answer.put("note", "the prediction is not in the log (sampled out, not yet written, or older than"
                        + " the retention); the label is kept for when it is");
            }
            Responses.json(ctx, 201, answer);
        });
    }
}
