package dev.converge.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ApiKeysParseTest {
    private static final String SECRET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234";

    @Test
    void aKeyHasItsFormOrIsNotAKey() {
        assertThat(SECRET).hasSize(43);
        assertThat(ApiKeys.parse("cvk_abc123def456_" + SECRET)).hasValueSatisfying(p -> {
            assertThat(p[0]).isEqualTo("abc123def456");
            assertThat(p[1]).isEqualTo(SECRET);
        });
        for (String bad : new String[] {null, "", "cvk_", "cvx_abc123def456_" + SECRET, "cvk_ABC123def456_" + SECRET,
                "cvk_abc123def456-" + SECRET, "cvk_abc123def456_" + SECRET.substring(1) + "!",
                "cvk_abc123def456_" + SECRET + "x", "cvk_abc123def45_" + SECRET + "x"}) {
            assertThat(ApiKeys.parse(bad)).as(String.valueOf(bad)).isEmpty();
        }
    }
}
