package dev.converge.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DerivedFeatureTest {
    private static final Instant SATURDAY_NOON = Instant.parse("2024-06-01T12:30:00Z");

    @Test
    void datePartsOfTheEventTimeOrOfATimestampFeature() {
        Map<String, Object> row = Map.of("opened", "2023-12-25T08:00:00Z");
        assertThat(new DerivedFeature("dow", DerivedFeature.Op.DAY_OF_WEEK, "event_time", null)
                .apply(row, SATURDAY_NOON)).isEqualTo("sat");
        assertThat(new DerivedFeature("m", DerivedFeature.Op.MONTH, "opened", null).apply(row, SATURDAY_NOON))
                .isEqualTo("dec");
        assertThat(new DerivedFeature("h", DerivedFeature.Op.HOUR, "event_time", null).apply(row, SATURDAY_NOON))
                .isEqualTo(12.0);
        assertThat(new DerivedFeature("d", DerivedFeature.Op.DAY_OF_YEAR, "opened", null).apply(Map.of("opened",
                Instant.parse("2024-12-31T00:00:00Z")), SATURDAY_NOON)).isEqualTo(366.0);
    }

    @Test
    void datePartsInALocalZoneAcrossMidnightAndTheZoneIsRecordedWithTheFeature() {
        Instant saturdayNightInChicago = Instant.parse("2024-06-02T03:30:00Z"); // Sat 22:30 CDT, Sun 03:30 UTC
        DerivedFeature local = DerivedFeature.fromMap(Map.of("name", "dow", "op", "day_of_week", "source",
                "event_time", "zone", "America/Chicago"));
        DerivedFeature utc = DerivedFeature.fromMap(Map.of("name", "dow", "op", "day_of_week", "source",
                "event_time"));

        assertThat(local.apply(Map.of(), saturdayNightInChicago)).isEqualTo("sat");
        assertThat(utc.apply(Map.of(), saturdayNightInChicago)).as("a version recorded without a zone: UTC")
                .isEqualTo("sun");
        assertThat(new DerivedFeature("h", DerivedFeature.Op.HOUR, "event_time", null,
                java.time.ZoneId.of("America/Chicago")).apply(Map.of(), saturdayNightInChicago)).isEqualTo(22.0);
        assertThat(local.toMap()).containsEntry("zone", "America/Chicago");
        assertThat(utc.toMap()).doesNotContainKey("zone");
        assertThat(DerivedFeature.fromMap(local.toMap())).isEqualTo(local);
        assertThat(local.describe()).isEqualTo("day_of_week of event_time in America/Chicago");
        assertThatThrownBy(() -> DerivedFeature.fromMap(Map.of("name", "dow", "op", "day_of_week", "source",
                "event_time", "zone", "Mars/Olympus"))).hasMessageContaining("zone 'Mars/Olympus' is not a time zone");
        assertThatThrownBy(() -> DerivedFeature.fromMap(Map.of("name", "li", "op", "log1p", "source", "income",
                "zone", "America/Chicago"))).hasMessageContaining("a time zone applies to date parts");
    }

    @Test
    void logAndBuckets() {
        DerivedFeature log = new DerivedFeature("li", DerivedFeature.Op.LOG1P, "income", null);
        DerivedFeature bucket = new DerivedFeature("b", DerivedFeature.Op.BUCKET, "income", List.of(100.0, 1000.0));
        assertThat(log.apply(Map.of("income", 0.0), null)).isEqualTo(0.0);
        assertThat(log.apply(Map.of("income", -5.0), null)).as("no log: missing").isNull();
        assertThat(bucket.apply(Map.of("income", 50), null)).isEqualTo("<100");
        assertThat(bucket.apply(Map.of("income", 100.0), null)).isEqualTo("100..1000");
        assertThat(bucket.apply(Map.of("income", 1e6), null)).isEqualTo(">=1000");
        assertThat(bucket.apply(Map.of(), null)).isNull();
        assertThat(DerivedFeature.fromMap(bucket.toMap())).isEqualTo(bucket);
    }

    @Test
    void badDeclarationsAreRefusedByName() {
        assertThatThrownBy(() -> DerivedFeature.fromMap(Map.of("name", "x", "op", "sqrt", "source", "a")))
                .hasMessageContaining("unknown transform 'sqrt'");
        assertThatThrownBy(() -> new DerivedFeature("x", DerivedFeature.Op.BUCKET, "a", List.of(5.0, 1.0)))
                .hasMessageContaining("ascend");
        assertThatThrownBy(() -> new DerivedFeature("x", DerivedFeature.Op.LOG1P, "event_time", null))
                .hasMessageContaining("reads a number");
        FeatureSchema schema = new FeatureSchema(List.of(FeatureSpec.of("income", FeatureType.NUMERIC,
                Temperature.HOT, true)));
        assertThatThrownBy(() -> new DerivedFeature("m", DerivedFeature.Op.MONTH, "income", null).checkAgainst(schema))
                .hasMessageContaining("reads a timestamp feature");
    }
}
