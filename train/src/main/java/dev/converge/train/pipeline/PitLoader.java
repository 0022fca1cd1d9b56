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
        if (rows.isEmpty()) {
            throw new IllegalStateException("no label event to load: " + (prefix.isEmpty() ? "the store has no entity"
                    : "no stored entity id starts with '" + prefix + "'" + (featureSet.isEmpty()
                    ? " (entity_prefix); the store's feature sets are " + new SchemaRegistry(ctx.db()).featureSets()
                    + ", and an entity of set s is stored as s/<id>: pit_loader's feature_set: s reads one"
                    : " (feature set '" + featureSet + "'" + (entityPrefix.isEmpty() ? ")"
                    : " and entity_prefix '" + entityPrefix + "')"))));
        }
        String set = featureSet.isEmpty() ? setOfLabelledEvents(ctx, rows) : featureSet;
        return new Values.Events(rows, schema, label, null, exclude, set);
    }

    /**
     * Without {@code feature_set}, every set's events are loaded, and those without this label (other data sets)
     * are left out later: says how many, from which sets, and, when every event with the label is in one set, takes
     * that set as the model's (so serving looks an id up in it), saying so. Otherwise no set, and why.
     */
    private String setOfLabelledEvents(BlockContext ctx, List<PitRow> rows) throws Exception {
        java.util.SortedSet<String> sets = new SchemaRegistry(ctx.db()).featureSets();
        java.util.Map<String, long[]> bySet = new java.util.TreeMap<>(); // set -> {events, with features and label}
        for (PitRow r : rows) {
            int slash = r.entityId().indexOf('/');
            String s = slash > 0 && sets.contains(r.entityId().substring(0, slash)) ? r.entityId().substring(0, slash)
                    : "";
            long[] n = bySet.computeIfAbsent(s, k -> new long[2]);
            n[0]++;
            if (r.hot() != null && (r.hot().get(label) != null || r.cold() != null && r.cold().get(label) != null)) {
                n[1]++;
            }
        }
        long left = bySet.values().stream().mapToLong(n -> n[0] - n[1]).sum();
        if (left > 0) {
            StringBuilder where = new StringBuilder();
            bySet.forEach((s, n) -> {
                if (n[0] > n[1]) {
                    where.append(where.length() == 0 ? "" : ", ").append(s.isEmpty() ? "(no feature set)" : s)
                            .append(String.format(" %,d", n[0] - n[1]));
                }
            });
            ctx.log().printf("  %,d of %,d events have no features or no '%s' at their time and are left out (by"
                    + " feature set: %s)%n", left, rows.size(), label, where);
        }
        List<String> labelled = bySet.entrySet().stream().filter(e -> e.getValue()[1] > 0).map(
                java.util.Map.Entry::getKey).toList();
        if (labelled.size() == 1 && !labelled.get(0).isEmpty()) {
            ctx.log().printf("  every event with '%s' is in feature set '%s': the model records it, so serving looks"
                    + " an id up as %s/<id> (pit_loader's feature_set: %s reads only that set)%n", label,
                    labelled.get(0), labelled.get(0), labelled.get(0));
            return labelled.get(0);
        }
        if (labelled.size() > 1) {
            ctx.log().printf("  the events with '%s' are in %s: the model records no feature set, so a by-id request"
                    + " must send the stored key (set/id)%n", label, labelled.stream().map(s -> s.isEmpty()
                    ? "(no feature set)" : s).toList());
        }
        return "";
    }
}
