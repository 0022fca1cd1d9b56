package dev.converge.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.Temperature;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PointInTimeTest {
    static TestDatabase t;
    static final FeatureSchema SCHEMA = new FeatureSchema(List.of(
            FeatureSpec.of("balance", FeatureType.NUMERIC, Temperature.HOT, false)));

    @BeforeAll
    static void start() {
        t = new TestDatabase();
    }

    @AfterAll
    static void stop() throws Exception {
        t.close();
    }

    private static void ingest(String... lines) throws Exception {
        new Ingestor(t.db).ingest(IngestTest.jsonl("pit.jsonl", List.of(lines)), SCHEMA,
                IngestOptions.of("id", "ts"), null);
    }

    private static Instant dbNow() throws Exception {
        try (Connection c = t.db.connection(); ResultSet rs = c.createStatement().executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
        }
    }

    private static List<PitRow> extract(Instant asOf, LabelEvent... events) throws Exception {
        List<PitRow> out = new ArrayList<>();
        new PointInTime(t.db).extract(List.of(events).iterator(), asOf, true, out::add);
        return out;
    }

    @Test
    void aFeatureWrittenAfterTheLabelTimeNeverReachesTheExtractedRow() throws Exception {
        ingest("{\"id\":\"acct-1\",\"ts\":\"2024-01-10T00:00:00Z\",\"balance\":100}",
               "{\"id\":\"acct-1\",\"ts\":\"2024-02-10T00:00:00Z\",\"balance\":200}",
               "{\"id\":\"acct-1\",\"ts\":\"2024-03-10T00:00:00Z\",\"balance\":300}");

        List<PitRow> rows = extract(null,
                new LabelEvent("acct-1", Instant.parse("2024-02-15T00:00:00Z")),
                new LabelEvent("acct-1", Instant.parse("2024-02-10T00:00:00Z")),
                new LabelEvent("acct-1", Instant.parse("2024-01-01T00:00:00Z")),
                new LabelEvent("nobody", Instant.parse("2024-05-01T00:00:00Z")));

        assertThat(rows).extracting(PitRow::index).containsExactly(0L, 1L, 2L, 3L);
        assertThat(rows.get(0).hot()).containsEntry("balance", 200);
        assertThat(rows.get(0).featureTime()).isEqualTo("2024-02-10T00:00:00Z");
        assertThat(rows.get(1).hot()).as("a feature at exactly the label time is known").containsEntry("balance", 200);
        assertThat(rows.get(2).hot()).as("nothing was known yet").isNull();
        assertThat(rows.get(3).featureTime()).isNull();
        for (PitRow r : rows) {
            if (r.featureTime() != null) {
                assertThat(r.featureTime()).isBeforeOrEqualTo(r.labelTime());
            }
        }
    }

    @Test
    void aLateCorrectionIsExcludedWhenAsOfIsBeforeItsIngestion() throws Exception {
        ingest("{\"id\":\"acct-2\",\"ts\":\"2024-01-10T00:00:00Z\",\"balance\":10}");
        Instant betweenIngests = dbNow();
        Thread.sleep(5);
        ingest("{\"id\":\"acct-2\",\"ts\":\"2024-01-10T00:00:00Z\",\"balance\":11}");
        LabelEvent label = new LabelEvent("acct-2", Instant.parse("2024-01-20T00:00:00Z"));

        List<PitRow> asKnownThen = extract(betweenIngests, label);
        List<PitRow> asKnownNow = extract(null, label);

        assertThat(asKnownThen.get(0).hot()).containsEntry("balance", 10);
        assertThat(asKnownThen.get(0).ingestedAt()).isBeforeOrEqualTo(betweenIngests);
        assertThat(asKnownNow.get(0).hot()).containsEntry("balance", 11);
    }

    @Test
    void extractionStreamsLargeLabelSetsInInputOrder() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            lines.add("{\"id\":\"s-" + i + "\",\"ts\":\"2024-06-01T00:00:00Z\",\"balance\":" + i + "}");
        }
        ingest(lines.toArray(String[]::new));
        List<LabelEvent> labels = new ArrayList<>();
        for (int i = 2999; i >= 0; i--) {
            labels.add(new LabelEvent("s-" + i, Instant.parse("2024-07-01T00:00:00Z")));
        }
        List<PitRow> out = new ArrayList<>();

        long n = new PointInTime(t.db).extract(labels.iterator(), null, false, out::add);

        assertThat(n).isEqualTo(3000);
        assertThat(out.get(0).entityId()).isEqualTo("s-2999");
        assertThat(out.get(0).hot()).containsEntry("balance", 2999);
        assertThat(out.get(2999).hot()).containsEntry("balance", 0);
        for (int i = 0; i < out.size(); i++) { // every row, in the labels' order, with its own features
            assertThat(out.get(i).index()).isEqualTo(i);
            assertThat(out.get(i).entityId()).isEqualTo("s-" + (2999 - i));
            assertThat(out.get(i).hot()).containsEntry("balance", 2999 - i);
        }
    }
}
