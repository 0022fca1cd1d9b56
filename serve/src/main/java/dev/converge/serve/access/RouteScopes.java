package dev.converge.serve.access;

import java.util.List;

/**
 * Every route of the server and the scope it needs, in one table: the access check reads it, docs/security.md
 * prints it and {@code AccessControlIT} checks it covers every route the server mounts. {@link #OPEN} routes need
 * no key (health, the API description, the dashboard's static page). The first matching row wins; a path no row
 * matches needs nothing (it is answered 404).
 */
public final class RouteScopes {
    public static final String OPEN = "open";

    /** One row: a method ({@code *}: any), a path ({@code {x}}: one segment, a trailing {@code *}: any rest). */
    public record Rule(String method, String path, String scope) {
        boolean matches(String m, String p) {
            return matches(m, p.split("/", -1));
        }

        boolean matches(String m, String[] segments) {
            return (method.equals("*") || method.equals(m)) && RouteScopes.matches(parts(), segments);
        }

        private String[] parts() {
            return PARTS.computeIfAbsent(path, x -> x.split("/", -1));
        }
    }

    /** Each row's path split once. */
    private static final java.util.Map<String, String[]> PARTS = new java.util.concurrent.ConcurrentHashMap<>();

    public static final List<Rule> RULES = List.of(
            new Rule("*", "/health/live", OPEN),
            new Rule("*", "/health/ready", OPEN),
            new Rule("*", "/v2/health/live", OPEN),
            new Rule("*", "/v2/health/ready", OPEN),
            new Rule("*", "/openapi.json", OPEN),
            new Rule("*", "/ui", OPEN),
            new Rule("*", "/ui/api/*", "read"),
            new Rule("*", "/ui/*", OPEN),
            new Rule("*", "/graphql/ui", OPEN),
            new Rule("*", "/graphql/ui/*", OPEN),
            new Rule("*", "/graphql/schema", OPEN),
            new Rule("POST", "/v1/predict", "predict"),
            new Rule("POST", "/v1/predict/batch", "predict"),
            new Rule("POST", "/v1/models/{name}/predict", "predict"),
            new Rule("POST", "/v1/models/{name}/predict/batch", "predict"),
            new Rule("POST", "/v1/feedback", "feedback"),
            new Rule("POST", "/v1/similar", "features:read"),
            new Rule("GET", "/v1/entities/{id}/similar", "features:read"),
            new Rule("*", "/v2", "read"),
            new Rule("*", "/v2/models/{name}", "predict"),
            new Rule("*", "/v2/models/{name}/*", "predict"),
            // The same protocol over gRPC: liveness and readiness open, the server's metadata read, and the model
            // calls a key's predict scope for the model the message names (checked by OipGrpc once it is read).
            new Rule("POST", "/inference.GRPCInferenceService/ServerLive", OPEN),
            new Rule("POST", "/inference.GRPCInferenceService/ServerReady", OPEN),
            new Rule("POST", "/inference.GRPCInferenceService/ServerMetadata", "read"),
            new Rule("POST", "/inference.GRPCInferenceService/*", "predict"),
            // GraphQL: any key; each field then needs its own scope (GraphScopes).
            new Rule("*", "/graphql", "any"),
            new Rule("*", "/metrics", "read"),
            new Rule("*", "/admin/*", "admin"));

    private RouteScopes() {
    }

    /** Rows without parameters or wildcards, by path: the hot routes are found without splitting their path. */
    private static final java.util.Map<String, List<Rule>> EXACT = exact();

    private static java.util.Map<String, List<Rule>> exact() {
        java.util.Map<String, List<Rule>> m = new java.util.HashMap<>();
        for (Rule r : RULES) {
            if (!r.path().contains("{") && !r.path().contains("*")) {
                m.computeIfAbsent(r.path(), k -> new java.util.ArrayList<>()).add(r);
            }
        }
        return m;
    }

    /** The rule for a request, or null when no row matches. */
    public static Rule of(String method, String path) {
        List<Rule> exact = EXACT.get(path);
        if (exact != null) {
            for (Rule r : exact) {
                if (r.method().equals("*") || r.method().equals(method)) {
                    return r; // an exact row comes before any pattern that could match the same path in RULES
                }
            }
        }
        String[] segments = path.split("/", -1);
        for (Rule r : RULES) {
            if (r.matches(method, segments)) {
                return r;
            }
        }
        return null;
    }

    static boolean matches(String pattern, String path) {
        return matches(pattern.split("/", -1), path.split("/", -1));
    }

    private static boolean matches(String[] p, String[] s) {
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals("*") && i == p.length - 1) {
                return s.length >= p.length;
            }
            if (i >= s.length) {
                return false;
            }
            if (p[i].startsWith("{") ? s[i].isEmpty() : !p[i].equals(s[i])) {
                return false;
            }
        }
        return p.length == s.length;
    }

    /** The model a predict route is for: the path's {@code {name}}, else null (the server's default model). */
    static String modelOf(String path) {
        String prefix = path.startsWith("/v2/models/") ? "/v2/models/" : path.startsWith("/v1/models/")
                ? "/v1/models/" : null;
        if (prefix != null) {
            String rest = path.substring(prefix.length());
            int slash = rest.indexOf('/');
            return slash < 0 ? rest : rest.substring(0, slash);
        }
        return null;
    }
}
