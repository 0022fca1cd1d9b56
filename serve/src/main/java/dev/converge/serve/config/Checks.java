package dev.converge.serve.config;

import dev.converge.contracts.config.Settings;

/** The checks every setting's record makes as it is built: a wrong value stops the start with the setting's name. */
final class Checks {
    private Checks() {
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    static double number(Settings s, String key, double def) {
        String v = s.string(key).orElse(null);
        if (v == null) {
            return def;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, was '" + v + "'");
        }
    }
}
