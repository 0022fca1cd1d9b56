package dev.converge.serve.similarity;

import dev.converge.contracts.FeatureValidator;
import dev.converge.contracts.Violation;
import dev.converge.serve.http.PredictionJson;
import dev.converge.serve.http.Responses;
import dev.converge.serve.module.ServeModule;
import dev.converge.serve.predict.OverloadedException;
import dev.converge.serve.resilience.Failures;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The REST routes of similarity search: {@code GET /v1/entities/:id/similar?feature=F&k=10} (the neighbours of an
 * entity's own stored vector) and {@code POST /v1/similar} with {@code {"feature", "vector", "k"}} (of a given
 * vector). Both take {@code feature_set}, {@code filter} (a JSON object the neighbours' features contain) and
 * {@code ef_search}. Every parameter is checked and a bad one named (400/422); the store being down is a 503.
 */
public final class SimilarityRoutes implements ServeModule {
    private static final Set<String> BODY_FIELDS = Set.of("feature", "vector", "k", "feature_set", "filter",
            "ef_search");
    private static final Set<String> QUERY_PARAMS = Set.of("feature", "k", "feature_set", "filter", "ef_search");

    private final Similarity similarity;
    private final long shedDelayMillis;

    public SimilarityRoutes(Similarity similarity, long shedDelayMillis) {
        this.similarity = similarity;
        this.shedDelayMillis = shedDelayMillis;
    }

    @Override
    public String name() {
        return "similarity";
    }

    @Override
    public void mount(io.vertx.core.Vertx vertx, Router router) {
        router.get("/v1/entities/:id/similar").handler(this::ofEntity);
        router.post("/v1/similar").handler(this::ofVector);
    }

    private void ofEntity(RoutingContext ctx) {
        List<Violation> bad = new ArrayList<>();
        for (String p : ctx.queryParams().names()) {
            if (!QUERY_PARAMS.contains(p)) {
                bad.add(new Violation(p, null, "unknown_parameter", "unknown query parameter '" + p + "'; known are "
                        + new java.util.TreeSet<>(QUERY_PARAMS)));
            }
        }
        JsonObject q = new JsonObject();
        for (String p : QUERY_PARAMS) {
            List<String> all = ctx.queryParam(p);
            if (all.size() > 1) {
                bad.add(new Violation(p, null, "repeated_parameter", "query parameter '" + p + "' is given "
                        + all.size() + " times"));
            } else if (all.size() == 1) {
                String v = all.get(0);
                if (p.equals("k") || p.equals("ef_search")) {
                    try {
                        q.put(p, Integer.parseInt(v));
                    } catch (NumberFormatException e) {
                        q.put(p, v); // reported as not a whole number below
                    }
                } else if (p.equals("filter")) {
                    try {
                        q.put(p, new JsonObject(v));
                    } catch (DecodeException | ClassCastException e) {
                        bad.add(new Violation("filter", FeatureValidator.render(v), "bad_filter",
                                "filter must be a JSON object of feature values, e.g. {\"region\": \"north\"}"));
                    }
                } else {
                    q.put(p, v);
                }
            }
        }
        Similarity.Query query = query(q, bad);
        if (!bad.isEmpty()) {
            Responses.json(ctx, 400, PredictionJson.error("bad_request", "the search's parameters are wrong", bad));
            return;
        }
        answer(ctx, similarity.ofEntity(ctx.pathParam("id"), query));
    }

    private void ofVector(RoutingContext ctx) {
        Responses.withJsonBody(ctx, body -> {
            if (!(body instanceof JsonObject o)) {
                Responses.error(ctx, 400, "bad_request", "the body must be a JSON object with \"feature\", \"vector\""
                        + " and optionally \"k\", \"feature_set\", \"filter\", \"ef_search\"");
                return;
            }
            List<Violation> bad = new ArrayList<>();
            for (String f : o.fieldNames()) {
                if (!BODY_FIELDS.contains(f)) {
                    bad.add(new Violation(f, null, "unknown_field", "unknown field '" + f + "'; known are "
                            + new java.util.TreeSet<>(BODY_FIELDS)));
                }
            }
            if (!o.containsKey("vector")) {
                bad.add(new Violation("vector", null, "missing", "\"vector\" is required: the array to search near"));
            }
            if (o.containsKey("filter") && !(o.getValue("filter") instanceof JsonObject)) {
                bad.add(new Violation("filter", FeatureValidator.render(o.getValue("filter")), "bad_filter",
                        "filter must be a JSON object of feature values, e.g. {\"region\": \"north\"}"));
            }
            Similarity.Query query = query(o, bad);
            if (!bad.isEmpty()) {
                Responses.json(ctx, 400, PredictionJson.error("bad_request", "the search is not well formed", bad));
                return;
            }
            answer(ctx, similarity.ofVector(o.getValue("vector"), query));
        });
    }

    /** The query from parameters or a body, adding what is wrong to {@code bad}. */
    private static Similarity.Query query(JsonObject o, List<Violation> bad) {
        Object feature = o.getValue("feature");
        if (!(feature instanceof String f) || f.isEmpty()) {
            bad.add(new Violation("feature", FeatureValidator.render(feature), feature == null ? "missing" : "wrong_type",
                    "\"feature\" must name a vector feature of the store"));
        }
        int k = whole(o, "k", 10, 1, Similarity.MAX_K, bad);
        int ef = whole(o, "ef_search", -1, 1, 1000, bad);
        Object set = o.getValue("feature_set", "");
        if (!(set instanceof String)) {
            bad.add(new Violation("feature_set", FeatureValidator.render(set), "wrong_type",
                    "\"feature_set\" must be a string"));
        }
        return new Similarity.Query(feature instanceof String f ? f : null, k, set instanceof String s ? s : "",
                o.getValue("filter") instanceof JsonObject j ? j : null, ef < 0 ? null : ef);
    }

    private static int whole(JsonObject o, String field, int dflt, int min, int max, List<Violation> bad) {
        Object v = o.getValue(field);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min
                || ((Number) v).longValue() > max) {
            bad.add(new Violation(field, FeatureValidator.render(v), "out_of_range", "\"" + field
                    + "\" must be a whole number within [" + min + ", " + max + "], was " + FeatureValidator.render(v)));
            return dflt;
        }
        return ((Number) v).intValue();
    }

    private void answer(RoutingContext ctx, Future<JsonObject> f) {
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                Responses.json(ctx, 200, ar.result());
            } else if (ar.cause() instanceof Similarity.Refused r) {
                Responses.json(ctx, r.status, PredictionJson.error(r.code, r.getMessage(),
                        r.violations.isEmpty() ? null : r.violations));
            } else if (ar.cause() instanceof OverloadedException e) {
                Responses.overloaded(ctx, e.getMessage(), shedDelayMillis);
            } else {
                // The store failed (down, breaker open, timed out): no answer can be made up for a search.
                Responses.error(ctx, 503, "store_unavailable", "similarity search needs the feature store, which "
                        + "failed: " + Failures.describe(ar.cause()));
            }
        });
    }
}
