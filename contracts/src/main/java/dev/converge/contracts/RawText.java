package dev.converge.contracts;

import java.util.Objects;

/**
 * An untyped lexical token from a text format such as CSV, whose type comes from the schema alone. The validator
 * parses it with the strict grammar of the feature's type ({@code 12} is a number, {@code 12abc} and {@code " 12"}
 * are not). Values from typed formats such as JSON are never wrapped: there the JSON type must match.
 */
public record RawText(String text) {
    public RawText {
        Objects.requireNonNull(text, "text");
    }

    @Override
    public String toString() {
        return text;
    }
}
