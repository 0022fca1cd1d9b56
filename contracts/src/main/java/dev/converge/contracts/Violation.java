package dev.converge.contracts;

/**
 * Why one value was refused: the feature, the offending value as received, and the reason.
 *
 * @param feature the feature (or identity column) name
 * @param value   the value as received, rendered for humans; null when absent
 * @param reason  a short machine-stable code, such as {@code wrong_type}
 * @param message a sentence for people
 */
public record Violation(String feature, String value, String reason, String message) {

    @Override
    public String toString() {
        return feature + ": " + message;
    }
}
