package dev.converge.serve.access;

import java.util.Set;

/**
 * Who a request comes from: a key's public id and name, what it may do, and the models its {@code predict} scope is
 * limited to (null: every model).
 */
public record Principal(String id, String name, Set<String> scopes, Set<String> models, RateLimit rate) {
    public Principal(String id, String name, Set<String> scopes, Set<String> models) {
        this(id, name, scopes, models, null);
    }

    /** Everyone, when access control is off or open: every scope, every model. */
    public static final Principal ANYONE = new Principal("anyone", "anyone (access control off)",
            Set.of("predict", "features:read", "feedback", "read", "admin"), null);

    public boolean has(String scope) {
        return scopes.contains(scope);
    }

    /** Whether the key may predict with {@code model}. */
    public boolean mayPredict(String model) {
        return has("predict") && (models == null || model == null || models.contains(model));
    }
}
