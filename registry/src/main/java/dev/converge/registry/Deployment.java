package dev.converge.registry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What takes a model's traffic besides its champion: challengers that answer a share of the requests ({@code split})
 * or score a share of them off the answer's path ({@code shadow}), and whether a request may pin a version. One row
 * of the append-only {@code model_deployments}; {@code id} 0 is the empty deployment of a model that never had one.
 */
public record Deployment(long id, String model, List<Challenger> challengers, boolean allowPinning, String actor,
                         String reason, Instant at) {
    public enum Mode {
        /** Answers its share of the requests, named in the answer. */
        SPLIT,
        /** Scores its share of the requests off the answer's path; its outputs go to the prediction log only. */
        SHADOW;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Mode fromWireName(String s) {
            for (Mode m : values()) {
                if (m.wireName().equals(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("mode must be 'split' or 'shadow'; was '" + s + "'");
        }
    }

    /**
     * A guarded canary: the share climbs {@code steps} (each a share of traffic), one step every {@code stepSeconds}
     * while the challenger's error rate stays within {@code maxErrorRateIncrease} of the champion's and its p99
     * within {@code maxP99Ratio} times the champion's (plus {@code p99SlackMillis}, so sub-millisecond noise is no
     * breach), judged on at least {@code minRequests} of its requests; a breach sets the share to 0.
     */
    public record Canary(List<Double> steps, int stepSeconds, double maxErrorRateIncrease, double maxP99Ratio,
                         double p99SlackMillis, int minRequests) {
        public Canary {
            steps = List.copyOf(steps);
            if (steps.isEmpty()) {
                throw new IllegalArgumentException("a canary needs at least one step");
            }
            double last = 0;
            for (double s : steps) {
                if (!(s > last) || s > 1) {
                    throw new IllegalArgumentException("canary steps must rise, each in (0, 1]; were " + steps);
                }
                last = s;
            }
            if (stepSeconds < 1 || maxErrorRateIncrease < 0 || !(maxP99Ratio >= 1) || p99SlackMillis < 0
                    || minRequests < 1) {
                throw new IllegalArgumentException("canary bounds: step_seconds >= 1, max_error_rate_increase >= 0,"
                        + " max_p99_ratio >= 1, p99_slack_ms >= 0, min_requests >= 1");
            }
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("steps", steps);
            m.put("step_seconds", stepSeconds);
            m.put("max_error_rate_increase", maxErrorRateIncrease);
            m.put("max_p99_ratio", maxP99Ratio);
            m.put("p99_slack_ms", p99SlackMillis);
            m.put("min_requests", minRequests);
            return m;
        }

        @SuppressWarnings("unchecked")
        static Canary fromMap(Map<String, Object> m) {
            return new Canary(((List<Number>) m.get("steps")).stream().map(Number::doubleValue).toList(),
                    ((Number) m.get("step_seconds")).intValue(), ((Number) m.get("max_error_rate_increase"))
                    .doubleValue(), ((Number) m.get("max_p99_ratio")).doubleValue(), ((Number) m.get("p99_slack_ms"))
                    .doubleValue(), ((Number) m.get("min_requests")).intValue());
        }
    }

    /** A challenger version, its mode, its share of the traffic in [0, 1], and its canary (null: a fixed share). */
    public record Challenger(int version, Mode mode, double share, Canary canary) {
        public Challenger {
            if (version < 1) {
                throw new IllegalArgumentException("a challenger's version is 1 or more; was " + version);
            }
            if (!(share >= 0 && share <= 1)) {
                throw new IllegalArgumentException("v" + version + "'s share must be between 0 and 1; was " + share);
            }
            if (canary != null && mode != Mode.SPLIT) {
                throw new IllegalArgumentException("only a split challenger can be a canary (a shadow answers no one)");
            }
        }

        public Challenger withShare(double s) {
            return new Challenger(version, mode, s, canary);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("version", version);
            m.put("mode", mode.wireName());
            m.put("share", share);
            m.put("canary", canary == null ? null : canary.toMap());
            return m;
        }

        @SuppressWarnings("unchecked")
        static Challenger fromMap(Map<String, Object> m) {
            return new Challenger(((Number) m.get("version")).intValue(), Mode.fromWireName((String) m.get("mode")),
                    ((Number) m.get("share")).doubleValue(), m.get("canary") == null ? null
                    : Canary.fromMap((Map<String, Object>) m.get("canary")));
        }
    }

    public Deployment {
        challengers = List.copyOf(challengers);
        Set<Integer> seen = new HashSet<>();
        double split = 0;
        for (Challenger c : challengers) {
            if (!seen.add(c.version())) {
                throw new IllegalArgumentException("v" + c.version() + " is deployed twice");
            }
            if (c.mode() == Mode.SPLIT) {
                split += c.share();
            }
        }
        if (split > 1 + 1e-9) {
            throw new IllegalArgumentException("the split challengers' shares add up to " + split + ", over 1");
        }
    }

    /** The deployment of a model that never had one: the champion takes every request. */
    public static Deployment none(String model) {
        return new Deployment(0, model, List.of(), false, "", "", null);
    }

    public java.util.Optional<Challenger> challenger(int version) {
        return challengers.stream().filter(c -> c.version() == version).findFirst();
    }

    /** The same deployment with one challenger replaced (same version). */
    public List<Challenger> replacing(Challenger changed) {
        List<Challenger> out = new ArrayList<>();
        for (Challenger c : challengers) {
            out.add(c.version() == changed.version() ? changed : c);
        }
        return out;
    }

    static String challengersJson(List<Challenger> cs) {
        return dev.converge.registry.codec.Json.write(cs.stream().map(Challenger::toMap).toList());
    }

    @SuppressWarnings("unchecked")
    static List<Challenger> challengersFromJson(String json) {
        return dev.converge.registry.codec.Json.readList(json).stream()
                .map(o -> Challenger.fromMap((Map<String, Object>) o)).toList();
    }
}
