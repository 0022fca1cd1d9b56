package dev.converge.train.pipeline;

import dev.converge.contracts.FeatureSchema;
import dev.converge.store.PitRow;
import dev.converge.store.PointInTime;
import dev.converge.store.SchemaRegistry;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** {@code pit_loader}: one label event per entity at its latest event time, point-in-time, one REPEATABLE READ snapshot. */
public record PitLoader(String label, Set<String> exclude, String entityPrefix, Instant asOf) implements Block {
    static final BlockType TYPE = BlockType.of("pit_loader", "1.0", Port.NONE, Port.EVENTS, o -> {
        Instant asOf = null;
        if (o.has("as_of")) {
            try {
                asOf = Instant.parse(o.string("as_of"));
            } catch (DateTimeParseException e) {
                throw o.error("as_of", "must be an ISO-8601 instant such as 2024-01-31T00:00:00Z, was '"
                        + o.string("as_of") + "'");
            }
        }
        return new PitLoader(o.string("label"), new LinkedHashSet<>(o.strings("exclude")),
                o.string("entity_prefix", ""), asOf);
    });

    @Override
    public Values.Events run(BlockContext ctx, Object input) throws Exception {
        FeatureSchema schema = new SchemaRegistry(ctx.db()).latestWith(label).orElseThrow(() ->
                new IllegalStateException("no schema in the feature store defines the label '" + label
                        + "': ingest the data first")).schema();
        PointInTime pit = new PointInTime(ctx.db());
        List<PitRow> rows = new ArrayList<>();
        pit.extract(pit.latestEvents(entityPrefix).iterator(), asOf, true, rows::add);
        ctx.log().printf("  loaded %,d label events (point-in-time, REPEATABLE READ)%n", rows.size());
        return new Values.Events(rows, schema, label, null, exclude);
    }
}
