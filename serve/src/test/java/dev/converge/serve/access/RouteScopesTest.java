package dev.converge.serve.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.registry.ApiKeys;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteScopesTest {
    private static RouteScopes.Rule linear(String method, String path) {
        for (RouteScopes.Rule r : RouteScopes.RULES) {
            if (r.matches(method, path)) {
                return r;
            }
        }
        return null;
    }

    @Test
    void theExactPathShortcutFindsWhatTheTableInOrderWould() {
        List<String> paths = List.of("/v1/predict", "/v1/predict/batch", "/v1/feedback", "/metrics", "/ui", "/ui/",
                "/ui/index.html", "/ui/api/live", "/v2", "/v2/health/ready", "/v2/models/a", "/v2/models/a/infer",
                "/v2/models/a/versions/3/ready", "/admin/models/3/activate", "/graphql", "/graphql/ui",
                "/graphql/ui/index.html", "/v1/entities/42/similar", "/v1/models/a/predict", "/nowhere", "/");
        for (String path : paths) {
            for (String method : List.of("GET", "POST", "HEAD", "DELETE")) {
                assertThat(RouteScopes.of(method, path)).as("%s %s", method, path).isEqualTo(linear(method, path));
            }
        }
    }

    @Test
    void patternsMatchWholeSegments() {
        assertThat(RouteScopes.of("POST", "/v1/predict").scope()).isEqualTo("predict");
        assertThat(RouteScopes.of("GET", "/v1/predict")).as("only POST is a prediction").isNull();
        assertThat(RouteScopes.of("GET", "/v1/entities/7/similar").scope()).isEqualTo("features:read");
        assertThat(RouteScopes.of("GET", "/v1/entities//similar")).as("an empty id is no id").isNull();
        assertThat(RouteScopes.of("GET", "/ui/api/model").scope()).isEqualTo("read");
        assertThat(RouteScopes.of("GET", "/ui/app.js").scope()).isEqualTo(RouteScopes.OPEN);
        assertThat(RouteScopes.of("POST", "/admin/registry/promote").scope()).isEqualTo("admin");
        assertThat(RouteScopes.of("POST", "/v2/models/m/versions/2/infer").scope()).isEqualTo("predict");
        assertThat(RouteScopes.modelOf("/v2/models/m/versions/2/infer")).isEqualTo("m");
        assertThat(RouteScopes.modelOf("/v1/models/churn/predict")).isEqualTo("churn");
        assertThat(RouteScopes.modelOf("/v1/predict")).isNull();
    }

    @Test
    void everyScopeNamedIsAKeysScope() {
        for (RouteScopes.Rule r : RouteScopes.RULES) {
            assertThat(r.scope().equals(RouteScopes.OPEN) || r.scope().equals("any")
                    || ApiKeys.SCOPES.contains(r.scope())).as(r.toString()).isTrue();
        }
    }

    @Test
    void theModeAtStart() {
        assertThat(AccessControl.decide("off", false, false, "0.0.0.0")).isEqualTo(AccessControl.Mode.OFF);
        assertThat(AccessControl.decide("keys", false, true, "127.0.0.1")).isEqualTo(AccessControl.Mode.KEYS);
        assertThat(AccessControl.decide("auto", true, true, "127.0.0.1")).isEqualTo(AccessControl.Mode.KEYS);
        assertThat(AccessControl.decide("auto", false, true, "127.0.0.1"))
                .isEqualTo(AccessControl.Mode.OPEN_LOOPBACK);
        assertThat(AccessControl.loopback("127.0.0.1")).isTrue();
        assertThat(AccessControl.loopback("::1")).isTrue();
        assertThat(AccessControl.loopback("0.0.0.0")).isFalse();
    }
}
