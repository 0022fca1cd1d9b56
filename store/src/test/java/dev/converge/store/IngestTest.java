package dev.converge.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.contracts.FeatureSchema;
import dev.converge.contracts.FeatureSpec;
import dev.converge.contracts.FeatureType;
import dev.converge.contracts.Temperature;
import dev.converge.store.impl.CsvSource;
import dev.converge.store.impl.JsonLinesSource;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IngestTest {
    static TestDatabase t;
    static final FeatureSchema SCHEMA = new FeatureSchema(List.of(
            FeatureSpec.of("amount", FeatureType.NUMERIC, Temperature.HOT, false),
            FeatureSpec.of("grade", FeatureType.CATEGORICAL, Temperature.HOT, false),
            FeatureSpec.of("memo", FeatureType.TEXT, Temperature.HOT, true),
            FeatureSpec.of("notes", FeatureType.TEXT, Temperature.COLD, true)));

    @BeforeAll
    static void start() {
        t = new TestDatabase();
    }

    @AfterAll
    static void stop() throws Exception {
        t.close();
    }

    static JsonLinesSource jsonl(String name, List<String> lines) {
        byte[] bytes = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        return new JsonLinesSource(new ByteArrayInputStream(bytes), name, bytes.length);
    }

    @Test
    void aFileWithTenPercentMalformedRowsLandsEveryGoodRowAndQuarantinesEveryBadOne() throws Exception {
        List<String> lines = new ArrayList<>();
        int bad = 0;
        for (int i = 0; i < 1000; i++) {
            String ts = String.format("2023-%02d-10T12:00:00Z", i % 12 + 1);
            if (i % 10 != 7) {
                lines.add("{\"id\":\"good-" + i + "\",\"ts\":\"" + ts + "\",\"amount\":" + i + ",\"grade\":\"A\","
                        + "\"notes\":\"fine\"}");
                continue;
            }
            bad++;
            lines.add(switch ((i / 10) % 4) {
                case 0 -> "{\"id\":\"bad-" + i + "\",\"ts\":\"" + ts + "\",\"amount\":\"12\",\"grade\":\"A\"}";
                case 1 -> "{\"ts\":\"" + ts + "\",\"amount\":1,\"grade\":\"A\"}";
                case 2 -> "{\"id\":\"bad-" + i + "\",\"ts\":\"" + ts + "\",\"amount\":1,\"grade\":";
                default -> "{\"id\":\"bad-" + i + "\",\"ts\":\"" + ts + "\",\"amount\":1,\"grade\":\"A\",\"memo\":\""
                        + "x".repeat(3000) + "\"}";
            });
        }

        IngestReport r = new Ingestor(t.db).ingest(jsonl("mixed.jsonl", lines), SCHEMA,
                IngestOptions.of("id", "ts").withBatchSize(128), null);

        assertThat(r.rowsRead()).isEqualTo(1000);
        assertThat(r.rowsRejected()).isEqualTo(bad).isEqualTo(100);
        assertThat(r.rowsAccepted() + r.rowsRejected()).isEqualTo(r.rowsRead());
        assertThat(r.rejectReasons()).containsOnlyKeys("wrong_type", "missing_entity_id", "parse_error",
                "hot_too_large");
        assertThat(t.count("SELECT count(*) FROM feature_history WHERE entity_id LIKE 'good-%'")).isEqualTo(900);
        assertThat(t.count("SELECT count(*) FROM feature_history WHERE entity_id LIKE 'bad-%'")).isZero();
        assertThat(t.count("SELECT count(*) FROM feature_online WHERE entity_id LIKE 'good-%'")).isEqualTo(900);
        assertThat(t.count("SELECT count(*) FROM ingest_rejects WHERE ingest_id = '" + r.ingestId() + "'"))
                .isEqualTo(100);
        assertThat(t.count("SELECT count(*) FROM ingest_rejects WHERE ingest_id = '" + r.ingestId()
                + "' AND jsonb_array_length(reasons) > 0 AND raw <> ''")).isEqualTo(100);
        assertThat(t.count("SELECT count(*) FROM ingest_rejects WHERE ingest_id = '" + r.ingestId()
                + "' AND reasons @> '[{\"feature\":\"amount\",\"reason\":\"wrong_type\"}]'")).isEqualTo(25);
        assertThat(t.count("SELECT rows_read - rows_accepted - rows_rejected FROM ingest_runs WHERE id = '"
                + r.ingestId() + "'")).isZero();
    }

    @Test
    void aFeatureNeverSeenBeforeIsIngestedAndReadBackWithoutAMigration() throws Exception {
        FeatureSchema grown = SCHEMA.with(FeatureSpec.of("brand_new_score", FeatureType.NUMERIC, Temperature.HOT, false))
                .with(FeatureSpec.of("brand_new_blurb", FeatureType.TEXT, Temperature.COLD, false));
        int migrationsBefore = (int) t.count("SELECT count(*) FROM flyway_schema_history");

        IngestReport r = new Ingestor(t.db).ingest(jsonl("new.jsonl", List.of(
                "{\"id\":\"fresh-1\",\"ts\":\"2024-02-01T00:00:00Z\",\"amount\":5,\"grade\":\"B\","
                        + "\"brand_new_score\":0.25,\"brand_new_blurb\":\"hello\"}")), grown,
                IngestOptions.of("id", "ts"), null);

        assertThat(r.rowsAccepted()).isEqualTo(1);
        OnlineRow row = new OnlineStore(t.db).read("fresh-1", true).orElseThrow();
        assertThat(row.hot()).containsEntry("brand_new_score", 0.25).containsEntry("amount", 5);
        assertThat(row.cold()).containsEntry("brand_new_blurb", "hello");
        assertThat(row.featureVersion()).isEqualTo(r.schemaVersion());
        assertThat(t.count("SELECT count(*) FROM flyway_schema_history")).isEqualTo(migrationsBefore);
        assertThat(t.count("SELECT count(*) FROM feature_definitions WHERE name = 'brand_new_score'")).isEqualTo(1);
    }

    @Test
    void anOutOfOrderUpsertNeverOverwritesNewerOnlineFeatures() throws Exception {
        Ingestor ingestor = new Ingestor(t.db);
        ingestor.ingest(jsonl("newer.jsonl", List.of(
                "{\"id\":\"ooo\",\"ts\":\"2024-03-02T00:00:00Z\",\"amount\":2,\"grade\":\"new\"}")),
                SCHEMA, IngestOptions.of("id", "ts"), null);

        ingestor.ingest(jsonl("older.jsonl", List.of(
                "{\"id\":\"ooo\",\"ts\":\"2024-03-01T00:00:00Z\",\"amount\":1,\"grade\":\"old\"}",
                "{\"id\":\"ooo\",\"ts\":\"2023-01-01T00:00:00Z\",\"amount\":0,\"grade\":\"older\"}")),
                SCHEMA, IngestOptions.of("id", "ts"), null);

        OnlineRow row = new OnlineStore(t.db).read("ooo", false).orElseThrow();
        assertThat(row.hot()).containsEntry("grade", "new");
        assertThat(row.eventTimestamp()).isEqualTo("2024-03-02T00:00:00Z");
        assertThat(t.count("SELECT count(*) FROM feature_history WHERE entity_id = 'ooo'")).isEqualTo(3);
    }

    @Test
    void withinOneBatchTheNewestEventWinsOnline() throws Exception {
        new Ingestor(t.db).ingest(jsonl("same-batch.jsonl", List.of(
                "{\"id\":\"dup\",\"ts\":\"2024-05-02T00:00:00Z\",\"amount\":2,\"grade\":\"newest\"}",
                "{\"id\":\"dup\",\"ts\":\"2024-05-01T00:00:00Z\",\"amount\":1,\"grade\":\"older\"}")),
                SCHEMA, IngestOptions.of("id", "ts"), null);

        assertThat(new OnlineStore(t.db).read("dup", false).orElseThrow().hot()).containsEntry("grade", "newest");
    }

    @Test
    void batchReadsManyEntitiesInOneRoundTrip() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            lines.add("{\"id\":\"many-" + i + "\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":" + i
                    + ",\"grade\":\"A\",\"notes\":\"n" + i + "\"}");
        }
        new Ingestor(t.db).ingest(jsonl("many.jsonl", lines), SCHEMA, IngestOptions.of("id", "ts"), null);

        Map<String, OnlineRow> rows = new OnlineStore(t.db).readMany(List.of("many-3", "many-40", "nobody"), false);

        assertThat(rows).containsOnlyKeys("many-3", "many-40");
        assertThat(rows.get("many-40").hot()).containsEntry("amount", 40);
        assertThat(rows.get("many-40").cold()).isNull();
        assertThat(new OnlineStore(t.db).readMany(List.of("many-3"), true).get("many-3").cold())
                .containsEntry("notes", "n3");
    }

    @Test
    void aContainmentQueryOnColdUsesTheGinIndex() throws Exception {
        StringBuilder csv = new StringBuilder("id,ts,amount,grade,memo,notes\n");
        for (int i = 0; i < 20_000; i++) {
            csv.append("gin-").append(i).append(",2022-06-15,").append(i).append(",A,,\"tag-").append(i)
                    .append("\"\n");
        }
        byte[] bytes = csv.toString().getBytes(StandardCharsets.UTF_8);
        new Ingestor(t.db).ingest(new CsvSource(new ByteArrayInputStream(bytes), "gin.csv", bytes.length), SCHEMA,
                IngestOptions.of("id", "ts"), null);
        t.execute("ANALYZE feature_history");

        StringBuilder plan = new StringBuilder();
        try (Connection c = t.db.connection(); ResultSet rs = c.createStatement().executeQuery(
                "EXPLAIN SELECT entity_id FROM feature_history WHERE cold @> '{\"notes\":\"tag-777\"}'")) {
            while (rs.next()) {
                plan.append(rs.getString(1)).append('\n');
            }
        }

        assertThat(plan.toString()).containsPattern("Bitmap Index Scan on feature_history_p202206_cold_idx");
        assertThat(t.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'feature_history_p202206_cold_idx'"
                + " AND indexdef LIKE '%gin (cold jsonb_path_ops)%'")).isEqualTo(1);
        assertThat(t.count("SELECT count(*) FROM feature_history WHERE cold @> '{\"notes\":\"tag-777\"}'"))
                .isEqualTo(1);
    }

    @Test
    void aHeaderThatWouldRejectEveryRowFailsBeforeAnyRowIsRead() throws Exception {
        byte[] bytes = "key,ts,amount\nk1,2024-01-01,3\n".getBytes(StandardCharsets.UTF_8);
        long runsBefore = t.count("SELECT count(*) FROM ingest_runs");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Ingestor(t.db).ingest(
                        new CsvSource(new ByteArrayInputStream(bytes), "h.csv", bytes.length), SCHEMA,
                        IngestOptions.of("id", "ts"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("h.csv has no column [id, grade]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Ingestor(t.db).ingest(
                        new CsvSource(new ByteArrayInputStream(bytes), "h.csv", bytes.length), SCHEMA,
                        IngestOptions.of("amount", "ts"), null))
                .hasMessageContaining("'amount' is an identity column and also a feature");
        assertThat(t.count("SELECT count(*) FROM ingest_runs")).isEqualTo(runsBefore);
    }

    @Test
    void reportPolicyDropsUnknownColumnsAndNamesThem() throws Exception {
        IngestReport r = new Ingestor(t.db).ingest(jsonl("extra.jsonl", List.of(
                        "{\"id\":\"x-1\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\",\"colour\":\"red\"}")),
                SCHEMA, IngestOptions.of("id", "ts").withUnknownPolicy(dev.converge.contracts.UnknownFeaturePolicy.REPORT),
                null);

        assertThat(r.rowsAccepted()).isEqualTo(1);
        assertThat(r.unknownFeatures()).containsExactly("colour");
        assertThat(new OnlineStore(t.db).read("x-1", true).orElseThrow().hot()).doesNotContainKey("colour");
    }

    @Test
    void nulCharactersAndFutureEventsAreRejectedNotFatal() throws Exception {
        IngestReport r = new Ingestor(t.db).ingest(jsonl("weird.jsonl", List.of(
                        "{\"id\":\"w-1\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\\u0000B\"}",
                        "{\"id\":\"w-2\",\"ts\":\"2999-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\"}",
                        "{\"id\":\"w-3\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\"}",
                        "{\"id\":\"w-4\",\"id\":\"dup\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\"}",
                        "[1,2,3]")),
                SCHEMA, IngestOptions.of("id", "ts"), null);

        assertThat(r.rowsAccepted()).isEqualTo(1);
        assertThat(r.rejectReasons()).containsOnlyKeys("nul_character", "event_timestamp_out_of_range", "parse_error");
        assertThat(r.rejectReasons().get("parse_error")).isEqualTo(2);
        assertThat(t.count("SELECT count(*) FROM ingest_rejects WHERE ingest_id = '" + r.ingestId() + "'")).isEqualTo(4);
    }

    @Test
    void textOutsideTheBasicPlaneSurvivesEveryCopySliceAndLoneSurrogatesAreRefused() throws Exception {
        // ~40 characters per row and 3,000 rows: the COPY text is far past pgjdbc's 65,536-character slices, and
        // with emoji at every offset some surrogate pair straddles a slice boundary.
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            lines.add("{\"id\":\"bmp-" + i + "-\ud83d\ude00\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,"
                    + "\"grade\":\"\ud842\udfb7\",\"memo\":\"" + "\ud83c\udf4e".repeat(i % 7 + 1) + "\"}");
        }
        lines.add("{\"id\":\"lone-1\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\",\"memo\":\"x\\ud800y\"}");

        IngestReport r = new Ingestor(t.db).ingest(jsonl("emoji.jsonl", lines), SCHEMA,
                IngestOptions.of("id", "ts").withBatchSize(5000), null);

        assertThat(r.rowsAccepted()).isEqualTo(3000);
        assertThat(r.rejectReasons()).containsOnlyKeys("invalid_unicode");
        for (int i = 0; i < 3000; i++) {
            OnlineRow row = new OnlineStore(t.db).read("bmp-" + i + "-\ud83d\ude00", false).orElseThrow();
            assertThat(row.hot()).containsEntry("grade", "\ud842\udfb7")
                    .containsEntry("memo", "\ud83c\udf4e".repeat(i % 7 + 1));
        }
        assertThat(t.count("SELECT count(*) FROM feature_history WHERE entity_id LIKE 'bmp-%' AND hot->>'memo' LIKE '%?%'"))
                .isZero();
    }

    @Test
    void aRejectedCellHoldingTheTextOfAnEscapedNulDoesNotAbortTheIngestion() throws Exception {
        // The cell holds the six characters \u0000 (not a NUL) in a row rejected for another reason; then a real NUL.
        IngestReport r = new Ingestor(t.db).ingest(jsonl("nul-text.jsonl", List.of(
                "{\"id\":\"nt-1\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":\"\\\\u0000\",\"grade\":\"A\"}",
                "{\"id\":\"nt-2\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\\u0000\"}",
                "{\"id\":\"nt-3\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\"}")),
                SCHEMA, IngestOptions.of("id", "ts"), null);

        assertThat(r.rowsRead()).isEqualTo(3);
        assertThat(r.rowsAccepted()).isEqualTo(1);
        assertThat(r.rowsRejected()).isEqualTo(2);
        assertThat(t.count("SELECT count(*) FROM ingest_runs WHERE id = '" + r.ingestId() + "' AND finished_at IS NOT NULL"
                + " AND rows_read = 3 AND rows_accepted = 1 AND rows_rejected = 2")).isEqualTo(1);
        assertThat(t.count("SELECT count(*) FROM ingest_rejects WHERE ingest_id = '" + r.ingestId() + "'")).isEqualTo(2);
    }

    @Test
    void aFailedRunSaysSoAndHowFarItGot() throws Exception {
        t.execute("CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " IF NEW.entity_id = 'poison' THEN RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW; END $$");
        t.execute("CREATE TRIGGER refuse_poison BEFORE INSERT ON feature_online FOR EACH ROW EXECUTE FUNCTION refuse_poison()");
        try {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                lines.add("{\"id\":\"" + (i == 22 ? "poison" : "fr-" + i) + "\",\"ts\":\"2024-01-01T00:00:00Z\","
                        + "\"amount\":1,\"grade\":\"A\"}");
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Ingestor(t.db).ingest(jsonl("fails.jsonl",
                    lines), SCHEMA, IngestOptions.of("id", "ts").withBatchSize(10), null)).hasMessageContaining("poisoned");

            try (Connection c = t.db.connection(); ResultSet rs = c.createStatement().executeQuery("SELECT rows_read,"
                    + " rows_accepted, finished_at, failed_at, failure FROM ingest_runs WHERE source = 'fails.jsonl'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).as("two batches of 10 committed before the third failed").isEqualTo(20);
                assertThat(rs.getLong(2)).isEqualTo(20);
                assertThat(rs.getTimestamp(3)).isNull();
                assertThat(rs.getTimestamp(4)).isNotNull();
                assertThat(rs.getString(5)).contains("poisoned row").contains("after 20 rows committed");
            }
            assertThat(t.count("SELECT count(*) FROM feature_history WHERE entity_id LIKE 'fr-%'")).isEqualTo(20);
        } finally {
            t.execute("DROP TRIGGER refuse_poison ON feature_online");
            t.execute("DROP FUNCTION refuse_poison()");
        }
    }

    @Test
    void aSchemaIsRegisteredWithItsDefinitionsOrNotAtAll() throws Exception {
        t.execute("CREATE FUNCTION refuse_definition() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " IF NEW.name = 'doomed_feature' THEN RAISE EXCEPTION 'definition refused'; END IF; RETURN NEW; END $$");
        t.execute("CREATE TRIGGER refuse_definition BEFORE INSERT ON feature_definitions FOR EACH ROW"
                + " EXECUTE FUNCTION refuse_definition()");
        FeatureSchema doomed = SCHEMA.with(FeatureSpec.of("doomed_feature", FeatureType.NUMERIC, Temperature.HOT, true));
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Ingestor(t.db).ingest(jsonl("doomed.jsonl",
                    List.of("{\"id\":\"d-1\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\"}")),
                    doomed, IngestOptions.of("id", "ts"), null)).hasMessageContaining("definition refused");
            assertThat(t.count("SELECT count(*) FROM feature_schemas WHERE fingerprint = '" + doomed.fingerprint() + "'"))
                    .as("no schema left without its feature definitions").isZero();
        } finally {
            t.execute("DROP TRIGGER refuse_definition ON feature_definitions");
            t.execute("DROP FUNCTION refuse_definition()");
        }
    }

    @Test
    void onlineAndPointInTimePickTheSameRowOfATie() throws Exception {
        Ingestor ingestor = new Ingestor(t.db);
        // A tie inside one file (the later line wins), then a tie across two ingestions (the later one wins).
        ingestor.ingest(jsonl("tie-1.jsonl", List.of(
                "{\"id\":\"tie\",\"ts\":\"2024-06-01T00:00:00Z\",\"amount\":1,\"grade\":\"first\"}",
                "{\"id\":\"tie\",\"ts\":\"2024-06-01T00:00:00Z\",\"amount\":2,\"grade\":\"second\"}",
                "{\"id\":\"tie2\",\"ts\":\"2024-06-01T00:00:00Z\",\"amount\":1,\"grade\":\"early\"}")),
                SCHEMA, IngestOptions.of("id", "ts"), null);
        assertThat(new OnlineStore(t.db).read("tie", false).orElseThrow().hot()).containsEntry("grade", "second");
        assertThat(pit("tie")).isEqualTo("second");

        ingestor.ingest(jsonl("tie-2.jsonl", List.of(
                "{\"id\":\"tie2\",\"ts\":\"2024-06-01T00:00:00Z\",\"amount\":9,\"grade\":\"late\"}")),
                SCHEMA, IngestOptions.of("id", "ts"), null);
        assertThat(new OnlineStore(t.db).read("tie2", false).orElseThrow().hot()).containsEntry("grade", "late");
        assertThat(pit("tie2")).isEqualTo("late");
    }

    private static String pit(String entity) throws Exception {
        List<String> grades = new ArrayList<>();
        new PointInTime(t.db).extract(List.of(new LabelEvent(entity, java.time.Instant.parse("2024-07-01T00:00:00Z")))
                .iterator(), null, false, row -> grades.add(String.valueOf(row.hot().get("grade"))));
        assertThat(grades).hasSize(1);
        return grades.get(0);
    }

    @Test
    void naCellsAreMissingValuesNotTextAndTheReportCountsThem(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path csv = dir.resolve("na.csv");
        StringBuilder b = new StringBuilder("id,income,state\n");
        for (int i = 0; i < 200; i++) {
            b.append("na-").append(i).append(',').append(i % 20 == 0 ? "NA" : Integer.toString(30_000 + i)).append(',')
                    .append(i % 50 == 0 ? "N/A" : "CA").append('\n');
        }
        java.nio.file.Files.writeString(csv, b.toString());
        IngestOptions options = IngestOptions.of("id", null);

        FeatureSchema proposed = SchemaProposal.propose(csv, options, 1000);
        IngestReport r;
        try (CsvSource src = new CsvSource(csv)) {
            r = new Ingestor(t.db).ingest(src, proposed, options, null);
        }

        assertThat(proposed.feature("income").orElseThrow().type()).isEqualTo(FeatureType.NUMERIC);
        assertThat(r.rowsAccepted()).isEqualTo(200);
        assertThat(r.readAsMissing()).containsEntry("income (NA)", 10L).containsEntry("state (N/A)", 4L);
        OnlineRow row = new OnlineStore(t.db).read("na-0", false).orElseThrow();
        assertThat(row.hot()).containsEntry("income", null);
        assertThat(new SchemaRegistry(t.db).latest().orElseThrow().schema().missingValues())
                .as("the tokens are stored with the schema").containsExactly("NA", "NaN", "null", "N/A");
    }

    @Test
    void aWideFileOfShortNumbersGetsAProposalWhoseHotDocumentsFitAsJsonb(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        // As MNIST's 784 pixel columns: short numbers, many keys. Sized by their JSON text, the proposal's hot part
        // took 2,408 bytes as jsonb, over the 1,800 limit, and every row was refused.
        java.nio.file.Path csv = dir.resolve("wide.csv");
        StringBuilder b = new StringBuilder("id");
        for (int c = 0; c < 400; c++) {
            b.append(",p").append(c);
        }
        b.append('\n');
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        for (int i = 0; i < 100; i++) {
            b.append("wide-").append(i);
            for (int c = 0; c < 400; c++) {
                b.append(',').append(rnd.nextInt(3) == 0 ? "0" : String.format(java.util.Locale.ROOT, "%.3f",
                        rnd.nextDouble()));
            }
            b.append('\n');
        }
        java.nio.file.Files.writeString(csv, b.toString());
        IngestOptions options = IngestOptions.of("id", null);
        FeatureSchema proposed = SchemaProposal.propose(csv, options, 1000);
        IngestReport r;
        try (CsvSource src = new CsvSource(csv)) {
            r = new Ingestor(t.db).ingest(src, proposed, options, null);
        }
        assertThat(r.rowsRejected()).as(String.valueOf(r.rejectReasons())).isZero();
        assertThat(proposed.features(dev.converge.contracts.Temperature.HOT)).as("some columns stay hot").hasSizeGreaterThan(20);
        assertThat(t.count("SELECT max(pg_column_size(hot)) FROM feature_online WHERE entity_id LIKE 'wide-%'"))
                .isLessThanOrEqualTo(StoreLimits.HOT_MAX_BYTES);
    }

    @Test
    void ingestingTheSameRowsAgainDoesNotDoubleHistoryAndSaysSo() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            lines.add("{\"id\":\"again-" + (i % 10) + "\",\"ts\":\"2024-02-0" + (1 + i / 10) + "T00:00:00Z\","
                    + "\"amount\":" + i + ",\"grade\":\"A\"}");
        }
        List<String> withCopy = new ArrayList<>(lines);
        withCopy.add(lines.get(3)); // the same row twice in one file
        IngestReport first = new Ingestor(t.db).ingest(jsonl("again.jsonl", withCopy), SCHEMA,
                IngestOptions.of("id", "ts"), null);
        lines.set(5, lines.get(5).replace("\"grade\":\"A\"", "\"grade\":\"B\"")); // one row corrected
        IngestReport second = new Ingestor(t.db).ingest(jsonl("again.jsonl", lines), SCHEMA,
                IngestOptions.of("id", "ts"), null);

        assertThat(first.rowsAccepted()).isEqualTo(30);
        assertThat(first.rowsDuplicate()).as("a row repeated within the file is stored once").isEqualTo(1);
        assertThat(first.distinctEntities()).isEqualTo(10);
        assertThat(second.rowsAccepted()).isEqualTo(1);
        assertThat(second.rowsDuplicate()).isEqualTo(29);
        assertThat(t.count("SELECT count(*) FROM feature_history WHERE entity_id LIKE 'again-%'")).isEqualTo(31);
        assertThat(t.count("SELECT rows_read - rows_accepted - rows_rejected - rows_duplicate FROM ingest_runs"
                + " WHERE id = '" + second.ingestId() + "'")).isZero();
        assertThat(t.count("SELECT count(*) FROM feature_history WHERE entity_id = 'again-5'"
                + " AND event_timestamp = '2024-02-01T00:00:00Z'")).as("the corrected row is stored beside the old")
                .isEqualTo(2);
    }

    @Test
    void aFileWithNoTimeColumnIngestedAgainIsRecognisedByItsContentAndAChangeIsStored() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            lines.add("{\"id\":\"timeless-" + i + "\",\"amount\":" + i + ",\"grade\":\"A\"}");
        }
        IngestReport first = new Ingestor(t.db).ingest(jsonl("timeless.jsonl", lines), SCHEMA,
                IngestOptions.of("id", null), null);
        IngestReport again = new Ingestor(t.db).ingest(jsonl("timeless.jsonl", lines), SCHEMA,
                IngestOptions.of("id", null), null);
        List<String> changed = new ArrayList<>(lines);
        changed.set(4, changed.get(4).replace("\"grade\":\"A\"", "\"grade\":\"B\""));
        IngestReport third = new Ingestor(t.db).ingest(jsonl("timeless.jsonl", changed), SCHEMA,
                IngestOptions.of("id", null), null);
        IngestReport back = new Ingestor(t.db).ingest(jsonl("timeless.jsonl", lines), SCHEMA,
                IngestOptions.of("id", null), null);

        assertThat(first.rowsAccepted()).isEqualTo(10);
        assertThat(again.rowsAccepted()).as("the same file again stores nothing").isZero();
        assertThat(again.rowsDuplicate()).isEqualTo(10);
        assertThat(third.rowsAccepted()).as("the one row that changed").isEqualTo(1);
        assertThat(third.rowsDuplicate()).isEqualTo(9);
        assertThat(back.rowsAccepted()).as("a change back is a change: compared with the latest row, not any")
                .isEqualTo(1);
        assertThat(t.count("SELECT count(*) FROM feature_history WHERE entity_id LIKE 'timeless-%'")).isEqualTo(12);
    }

    @Test
    void featureSetsKeepDataSetsApartAndResolveTheirSchemaByColumns() throws Exception {
        FeatureSchema other = new FeatureSchema(List.of(FeatureSpec.of("ridership", FeatureType.NUMERIC,
                Temperature.HOT, false)));
        new Ingestor(t.db).ingest(jsonl("a.jsonl", List.of(
                "{\"id\":\"1\",\"ts\":\"2024-01-01T00:00:00Z\",\"amount\":1,\"grade\":\"A\"}")), SCHEMA,
                IngestOptions.of("id", "ts").withFeatureSet("loans"), null);
        new Ingestor(t.db).ingest(jsonl("b.jsonl", List.of(
                "{\"id\":\"1\",\"ts\":\"2024-01-01T00:00:00Z\",\"ridership\":17}")), other,
                IngestOptions.of("id", "ts").withFeatureSet("transit"), null);

        assertThat(new OnlineStore(t.db).read("loans/1", false).orElseThrow().hot()).containsEntry("amount", 1);
        assertThat(new OnlineStore(t.db).read("transit/1", false).orElseThrow().hot()).containsEntry("ridership", 17);
        SchemaRegistry registry = new SchemaRegistry(t.db);
        assertThat(registry.forColumns("transit", List.of("ridership")).orElseThrow().schema()).isEqualTo(other);
        assertThat(registry.forColumns("loans", List.of("amount", "grade")).orElseThrow().schema().names())
                .contains("amount", "grade");
        assertThat(registry.forColumns("loans", List.of("ridership"))).as("another set's schema is not used").isEmpty();
        assertThat(registry.inFeatureSet("transit")).hasSize(1);
        assertThat(t.count("SELECT count(*) FROM ingest_runs WHERE feature_set = 'transit'")).isEqualTo(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> IngestOptions.of("id", "ts").withFeatureSet("Bad Name"))
                .hasMessageContaining("feature set");
    }
}
