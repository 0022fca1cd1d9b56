package dev.converge.serve.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.registry.ApiKeys;
import org.junit.jupiter.api.Test;

/** Every resolver has a scope (one without is refused to everyone), and every scope named is a real one. */
class GraphQlScopesTest {
    @Test
    void everyResolverHasADeclaredScope() {
        assertThat(FieldScopes.SCOPES.keySet())
                .containsAll(new GraphResolvers(null, null, null, "m").fetchers().keySet());
        assertThat(ApiKeys.SCOPES).containsAll(FieldScopes.SCOPES.values());
    }
}
