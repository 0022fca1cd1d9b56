package dev.converge.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EntityIdTest {
    @Test
    void validIdsAreOneTo128BytesOfUtf8() {
        assertThat(EntityId.problem("customer-42")).isEmpty();
        assertThat(EntityId.problem("\uD83D\uDE00 emoji, a surrogate pair")).isEmpty();
        assertThat(EntityId.problem("x".repeat(128))).isEmpty();
        assertThat(EntityId.problem("é".repeat(64))).as("64 two-byte characters are 128 bytes").isEmpty();
    }

    @Test
    void eachBrokenRuleIsNamed() {
        assertThat(EntityId.problem("")).hasValue("it is empty");
        assertThat(EntityId.problem(null)).hasValue("it is empty");
        assertThat(EntityId.problem("a\0b")).hasValue("it contains NUL at index 1");
        assertThat(EntityId.problem("ab\uD800")).hasValue("it contains an unpaired surrogate at index 2");
        assertThat(EntityId.problem("\uDE00ab")).hasValue("it contains an unpaired surrogate at index 0");
        assertThat(EntityId.problem("x".repeat(129))).hasValue("it is 129 bytes");
        assertThat(EntityId.problem("é".repeat(65))).hasValue("it is 130 bytes");
    }
}
