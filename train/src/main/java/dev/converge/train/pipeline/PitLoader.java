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

/**
 * {@code pit_loader}: label events with their point-in-time features, in one REPEATABLE READ snapshot.
 * {@code events: latest} (default) takes one per entity, at its latest event time; {@code events: all} takes every
 * stored event of every entity (time series: a single entity with a row per day gives a row per day), optionally
 * from {@code since} on.
 */
public record PitLoader(String label, Set<String> exclude, String entityPrefix, Instant asOf, boolean allEvents,
                        Instant since, String featureSet) implements Block {
    static final BlockType TYPE = BlockType.of("pit_loader", "1.1", Port.NONE, Port.EVENTS, o -> {
        Instant asOf = null;
        if (o.has("as_of")) {
            try {
                asOf = Instant.parse(o.string("as_of"));
            } catch (DateTimeParseException e) {
                throw o.error("as_of", "must be an ISO-8601 instant such as 2024-01-31T00:00:00Z, was '"
                        + o.string("as_of") + "'");
            }
        }
        String events = o.string("events", "latest");
        if (!events.equals("latest") && !events.equals("all")) {
            throw o.error("events", "must be latest (one label event per entity) or all (every stored event), was '"
                    + events + "'");
        }
        Instant since = null;
        if (o.has("since")) {
            try {
                since = Instant.parse(o.string("since"));
            } catch (DateTimeParseException e) {
                throw o.error("since", "must be an ISO-8601 instant, was '" + o.string("since") + "'");
            }
        }
        String featureSet = o.string("feature_set", "");
        if (!featureSet.isEmpty() && !dev.converge.store.IngestOptions.FEATURE_SET.matcher(featureSet).matches()) {
            throw o.error("feature_set", "is not a feature set's name (a-z, 0-9, _ and -), was '" + featureSet + "'");
        }
        return new PitLoader(o.string("label"), new LinkedHashSet<>(o.strings("exclude")),
                o.string("entity_prefix", ""), asOf, events.equals("all"), since, featureSet);
    });

    @Override
    public Values.Events run(BlockContext ctx, Object input) throws Exception {
        FeatureSchema schema = new SchemaRegistry(ctx.db()).latestWith(label, featureSet).orElseThrow(() ->
                new IllegalStateException("no schema " + (featureSet.isEmpty() ? "in the feature store"
                        : "of feature set '" + featureSet + "'") + " defines the label '" + label
                        + "': ingest the data first")).schema();
        String prefix = dev.converge.store.IngestOptions.entityKey(featureSet, entityPrefix);
        PointInTime pit = new PointInTime(ctx.db());
        List<PitRow> rows = new ArrayList<>();
        List<dev.converge.store.LabelEvent> events = allEvents ? pit.allEvents(prefix, since, asOf)
                : pit.latestEvents(prefix);
        pit.extract(events.iterator(), asOf, true, rows::add);
        long entities = rows.stream().map(PitRow::entityId).distinct().count();
        ctx.log().printf("  loaded %,d label events of %,d %s (%s; point-in-time, REPEATABLE READ)%n",
                rows.size(), entities, entities == 1 ? "entity" : "entities",
                allEvents ? "every stored event" : "each entity's latest event");
        return new Values.Events(rows, schema, label, null, exclude, featureSet);
    }
}
