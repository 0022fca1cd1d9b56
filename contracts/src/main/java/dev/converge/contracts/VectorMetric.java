package dev.converge.contracts;

import java.util.Locale;

/**
 * How two vectors of a feature are compared in similarity search. Each metric has pgvector's operator and operator
 * class, and an exact formula the store uses where the extension is absent; both give the same distances.
 */
public enum VectorMetric {
    /** 1 - cos(a, b), in [0, 2]; pgvector's {@code <=>}. The default: embeddings are usually compared by angle. */
    COSINE("<=>", "vector_cosine_ops"),
    /** Euclidean distance; pgvector's {@code <->}. */
    L2("<->", "vector_l2_ops"),
    /** The negated inner product (smaller is closer), as pgvector's {@code <#>} orders. */
    INNER_PRODUCT("<#>", "vector_ip_ops");

    private final String operator;
    private final String operatorClass;

    VectorMetric(String operator, String operatorClass) {
        this.operator = operator;
        this.operatorClass = operatorClass;
    }

    public String operator() {
        return operator;
    }

    public String operatorClass() {
        return operatorClass;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static VectorMetric fromWireName(String name) {
        for (VectorMetric m : values()) {
            if (m.wireName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown vector metric '" + name
                + "'; expected one of cosine, l2, inner_product");
    }

    /** The distance of two vectors of equal length, computed as this metric defines it (what the index orders by). */
    public double distance(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        double sq = 0;
        for (int i = 0; i < a.length; i++) {
            double x = a[i];
            double y = b[i];
            dot += x * y;
            na += x * x;
            nb += y * y;
            sq += (x - y) * (x - y);
        }
        return switch (this) {
            case COSINE -> na == 0 || nb == 0 ? Double.NaN : 1 - dot / (Math.sqrt(na) * Math.sqrt(nb));
            case L2 -> Math.sqrt(sq);
            case INNER_PRODUCT -> -dot;
        };
    }
}
