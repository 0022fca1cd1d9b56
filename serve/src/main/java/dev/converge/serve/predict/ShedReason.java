package dev.converge.serve.predict;

/** The bound that refused a request for overload; {@link #tag()} is its label on {@code converge_shed_total}. */
public enum ShedReason {
    IN_FLIGHT("in_flight"),
    QUEUE_LENGTH("queue_length"),
    QUEUE_WAIT("queue_wait"),
    LOOP_LAG("loop_lag"),
    /** A scoring that waited past serve.queue_deadline_ms for a worker and was not run. */
    DEADLINE("deadline"),
    /** No connection of the feature store's pool came free within serve.pg_pool_wait_ms. */
    PG_POOL("pg_pool"),
    /** A dependency's reply came late while this server was saturated: ours to shed, not the dependency's fault. */
    SATURATED("saturated");

    private final String tag;

    ShedReason(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
