package dev.converge.train.pipeline;

import dev.converge.contracts.DerivedFeature;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code derive}: features computed from stored ones by declared transforms ({@link DerivedFeature}: date parts of a
 * timestamp feature or of the event time, log1p, buckets), e.g.
 * {@code features: [{name: dow, op: day_of_week, source: event_time}]}, with {@code zone: America/Chicago} for date
 * parts in local time (block-wide, or per feature; UTC otherwise). They become columns of the table, are
 * recorded with the model, and serving computes them from each request with the same code.
 */
public record Derive(List<DerivedFeature> features) implements Block {
    static final BlockType TYPE = BlockType.of("derive", "1.0", Port.EVENTS, Port.EVENTS, o -> {
        List<DerivedFeature> out = new ArrayList<>();
        Object raw = o.raw("features");
        if (!(raw instanceof List<?> list) || list.isEmpty()) {
            throw o.error("features", "must be a non-empty list of {name, op, source, bounds?}");
        }
        Object zone = o.has("zone") ? o.string("zone") : null; // the block's zone, for every date part in it
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> m)) {
                throw o.error("features", "each item must be an object {name, op, source, bounds?, zone?}, was "
                        + item);
            }
            try {
                Map<Object, Object> withZone = new java.util.LinkedHashMap<>(m);
                if (zone != null && !m.containsKey("zone")
                        && DerivedFeature.Op.fromWireName(String.valueOf(m.get("op"))).datePart()) {
                    withZone.put("zone", zone);
                }
                out.add(DerivedFeature.fromMap(withZone));
            } catch (IllegalArgumentException e) {
                throw o.error(o.has("zone") && e.getMessage().contains("zone") ? "zone" : "features", e.getMessage());
            }
        }
        return new Derive(out);
    });

    @Override
    public Values.Events run(BlockContext ctx, Object input) {
        Values.Events e = (Values.Events) input;
        List<DerivedFeature> all = new ArrayList<>(e.derived());
        for (DerivedFeature d : features) {
            d.checkAgainst(e.schema());
            all.add(d);
            ctx.log().printf("  derived: %s = %s%n", d.name(), d.describe());
        }
        return new Values.Events(e.rows(), e.schema(), e.label(), e.rule(), e.exclude(), e.featureSet(),
                List.copyOf(all));
    }
}
