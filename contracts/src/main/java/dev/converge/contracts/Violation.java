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

    /**
     * A key as a field name a person can see: itself, or, when it is blank or holds control characters, quoted
     * and escaped as JSON writes it ({@code ""}, {@code "\n"}), so that an error never points at nothing.
     */
    public static String fieldName(String key) {
        boolean plain = !key.isBlank();
        for (int i = 0; plain && i < key.length(); i++) {
            plain = !Character.isISOControl(key.charAt(i));
        }
        if (plain) {
            return key;
        }
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    @Override
    public String toString() {
        return feature + ": " + message;
    }
}
