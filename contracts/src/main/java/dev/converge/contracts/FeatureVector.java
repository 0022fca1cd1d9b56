package dev.converge.contracts;

import java.util.Arrays;

/**
 * The normalized value of a {@link FeatureType#VECTOR} feature: its components as 32-bit floats, the precision the
 * store keeps (pgvector's, and {@code real[]}'s), so training and serving read the same numbers. Immutable.
 */
public final class FeatureVector {
    private final float[] values;

    private FeatureVector(float[] values) {
        this.values = values;
    }

    /** A copy of {@code values}. */
    public static FeatureVector of(float... values) {
        return new FeatureVector(values.clone());
    }

    static FeatureVector wrap(float[] values) {
        return new FeatureVector(values);
    }

    public int dimension() {
        return values.length;
    }

    public float get(int i) {
        return values[i];
    }

    /** A copy of the components. */
    public float[] toArray() {
        return values.clone();
    }

    /** The components as the literal both {@code vector} and JSON read: {@code [0.5,-1.25,3.0E-5]}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(values.length * 10 + 2).append('[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(values[i]);
        }
        return b.append(']').toString();
    }

    /** PostgreSQL's array literal of the components, {@code {0.5,-1.25}}, for a {@code real[]} parameter. */
    public String toArrayLiteral() {
        String s = toString();
        return '{' + s.substring(1, s.length() - 1) + '}';
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureVector v && Arrays.equals(values, v.values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }
}
