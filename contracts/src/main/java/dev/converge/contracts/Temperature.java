package dev.converge.contracts;

import java.util.Locale;

/** Where a feature lives: hot features are small and read on every online request; cold ones are kept apart. */
public enum Temperature {
    HOT,
    COLD;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Temperature fromWireName(String name) {
        for (Temperature t : values()) {
            if (t.wireName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown temperature '" + name + "'; expected hot or cold");
    }
}
