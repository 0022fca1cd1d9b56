package dev.converge.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureValidatorTest {
    private static final FeatureSchema SCHEMA = new FeatureSchema(List.of(
            new FeatureSpec("amount", FeatureType.NUMERIC, Temperature.HOT, false, 0.0, 1e6, List.of(), false),
            new FeatureSpec("grade", FeatureType.CATEGORICAL, Temperature.HOT, false, null, null,
                    List.of("A", "B"), false),
            FeatureSpec.of("verified", FeatureType.BOOLEAN, Temperature.HOT, true),
            FeatureSpec.of("opened", FeatureType.TIMESTAMP, Temperature.COLD, true),
            FeatureSpec.of("note", FeatureType.TEXT, Temperature.COLD, true)));
    private final FeatureValidator strict = new FeatureValidator(SCHEMA, UnknownFeaturePolicy.REJECT);

    @Test
    void timestampsOutsideFourDigitYearsAreRefusedNotOverflowedLater() {
        ValidationResult far = strict.validate(Map.of("amount", 1.0, "grade", "A", "opened",
                "+300000000-01-01T00:00:00Z"));
        ValidationResult edge = strict.validate(Map.of("amount", 1.0, "grade", "A", "opened", "9999-12-31T23:59:59Z"));

        assertThat(far.violations()).singleElement().satisfies(v -> {
            assertThat(v.feature()).isEqualTo("opened");
            assertThat(v.reason()).isEqualTo("timestamp_out_of_range");
        });
        assertThat(edge.valid()).isTrue();
        assertThat(FeatureEncoding.encode(FeatureType.TIMESTAMP, edge.values().get("opened"))).isInstanceOf(Double.class);
        assertThat(strict.validate(Map.of("amount", 1.0, "grade", "A", "opened",
                java.time.Instant.parse("-0001-01-01T00:00:00Z"))).violations()).extracting(Violation::reason)
                .containsExactly("timestamp_out_of_range");
    }

    @Test
    void nonFiniteNumbersHaveOneSpellingFromCsvToStoreToServing() {
        FeatureSchema lenient = new FeatureSchema(List.of(new FeatureSpec("ratio", FeatureType.NUMERIC,
                Temperature.HOT, true, null, null, List.of(), true)));
        FeatureValidator v = new FeatureValidator(lenient, UnknownFeaturePolicy.REJECT);

        // As the store keeps them (strings, since JSON has none), as CSV spells them, as a Java double.
        assertThat(v.validate(Map.of("ratio", "NaN")).values().get("ratio")).isEqualTo(Double.NaN);
        assertThat(v.validate(Map.of("ratio", new RawText("-Infinity"))).values().get("ratio"))
                .isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(v.validate(Map.of("ratio", Double.POSITIVE_INFINITY)).valid()).isTrue();
        assertThat(v.validate(Map.of("ratio", "nan")).violations()).extracting(Violation::reason)
                .containsExactly("wrong_type");
        // Where the spec does not allow them, the text is refused as before.
        assertThat(strict.validate(Map.of("amount", "NaN", "grade", "A")).violations()).extracting(Violation::reason)
                .containsExactly("wrong_type");
    }

    @Test
    void stringTwelveIsNotANumber() {
        ValidationResult r = strict.validate(Map.of("amount", "12", "grade", "A"));

        assertThat(r.valid()).isFalse();
        assertThat(r.violations()).singleElement().satisfies(v -> {
            assertThat(v.feature()).isEqualTo("amount");
            assertThat(v.value()).isEqualTo("\"12\"");
            assertThat(v.reason()).isEqualTo("wrong_type");
            assertThat(v.message()).contains("amount", "number", "\"12\"");
        });
    }

    @Test
    void nanAndInfinityAreRejectedUnlessAllowed() {
        assertThat(strict.validate(Map.of("amount", Double.NaN, "grade", "A")).violations())
                .extracting(Violation::reason).containsExactly("non_finite");
        assertThat(strict.validate(Map.of("amount", Double.POSITIVE_INFINITY, "grade", "A")).violations())
                .extracting(Violation::reason).containsExactly("non_finite");

        FeatureSchema lenient = new FeatureSchema(List.of(
                new FeatureSpec("x", FeatureType.NUMERIC, Temperature.HOT, false, null, null, List.of(), true)));
        ValidationResult r = new FeatureValidator(lenient, UnknownFeaturePolicy.REJECT).validate(Map.of("x", Double.NaN));
        assertThat(r.valid()).isTrue();
        assertThat((Double) r.values().get("x")).isNaN();
    }

    @Test
    void rawTextIsParsedWithTheStrictGrammarOfItsType() {
        Map<String, Object> row = new HashMap<>();
        row.put("amount", new RawText("1.5e3"));
        row.put("grade", new RawText("B"));
        row.put("verified", new RawText("TRUE"));
        row.put("opened", new RawText("1990-01-08"));
        row.put("note", new RawText(""));

        ValidationResult r = strict.validate(row);

        assertThat(r.violations()).isEmpty();
        assertThat(r.values()).containsEntry("amount", 1500.0).containsEntry("grade", "B")
                .containsEntry("verified", true).containsEntry("opened", Instant.parse("1990-01-08T00:00:00Z"))
                .containsEntry("note", null);
    }

    @Test
    void malformedTextTokensAreNotCoerced() {
        for (String bad : List.of("12abc", " 12", "0x10", "1,000", "NaN", "Infinity", "007", "+1", ".5")) {
            ValidationResult r = strict.validate(Map.of("amount", new RawText(bad), "grade", "A"));
            assertThat(r.violations()).as(bad).extracting(Violation::feature).containsExactly("amount");
        }
        assertThat(strict.validate(Map.of("amount", 1, "grade", "A", "verified", new RawText("1"))).violations())
                .extracting(Violation::reason).containsExactly("wrong_type");
    }

    @Test
    void everyViolationOfARowIsReportedWithItsFeature() {
        Map<String, Object> row = new HashMap<>();
        row.put("amount", -5);
        row.put("grade", "Z");
        row.put("verified", "yes");
        row.put("opened", "2024-05-01T10:00:00");
        row.put("colour", "red");

        ValidationResult r = strict.validate(row);

        assertThat(r.values()).isEmpty();
        assertThat(r.violations()).extracting(Violation::feature, Violation::reason).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("colour", "unknown_feature"),
                org.assertj.core.groups.Tuple.tuple("amount", "out_of_range"),
                org.assertj.core.groups.Tuple.tuple("grade", "unknown_level"),
                org.assertj.core.groups.Tuple.tuple("verified", "wrong_type"),
                org.assertj.core.groups.Tuple.tuple("opened", "bad_timestamp"));
    }

    @Test
    void missingRequiredAndNullNotAllowedAreDistinct() {
        Map<String, Object> row = new HashMap<>();
        row.put("amount", null);

        ValidationResult r = strict.validate(row);

        assertThat(r.violations()).extracting(Violation::feature, Violation::reason).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("amount", "null_not_allowed"),
                org.assertj.core.groups.Tuple.tuple("grade", "missing"));
    }

    @Test
    void theStoreRefusesAMissingTokenOnAFeatureThatIsNeverMissingAndQuotesWhatWasSent() {
        FeatureValidator store = new FeatureValidator(SCHEMA.withMissingValues(List.of("NA")),
                UnknownFeaturePolicy.REJECT);

        ValidationResult r = store.validate(Map.of("amount", new RawText("NA"), "grade", "A"));

        assertThat(r.violations()).singleElement().satisfies(v -> {
            assertThat(v.reason()).isEqualTo("null_not_allowed");
            assertThat(v.value()).isEqualTo("NA");
            assertThat(v.message()).contains("'amount'", "\"NA\"").doesNotContain("was null");
        });
    }

    @Test
    void scoringTakesASentMissingValueForAnyFeatureAndNamesItButRefusesAnOmittedOne() {
        FeatureValidator scoring = FeatureValidator.forScoring(SCHEMA.withMissingValues(List.of("NA")));
        Map<String, Object> row = new HashMap<>();
        row.put("amount", "NA");
        row.put("grade", null);

        ValidationResult r = scoring.validate(row);

        assertThat(r.valid()).as("%s", r.violations()).isTrue();
        assertThat(r.values()).containsEntry("amount", null).containsEntry("grade", null);
        assertThat(r.missingNotSeen()).containsExactly(Map.entry("amount", "NA"), Map.entry("grade", "null"));
        assertThat(r.readAsMissing()).containsExactly(Map.entry("amount", "NA"));
        assertThat(scoring.validate(Map.of("amount", 2.0)).violations()).extracting(Violation::feature,
                Violation::reason).containsExactly(org.assertj.core.groups.Tuple.tuple("grade", "missing"));
        assertThat(scoring.validate(Map.of("amount", 2.0, "grade", "A")).missingNotSeen()).isEmpty();
    }

    @Test
    void unknownFeaturesAreReportedButKeptOutUnderReportPolicy() {
        FeatureValidator reporting = new FeatureValidator(SCHEMA, UnknownFeaturePolicy.REPORT);

        ValidationResult r = reporting.validate(Map.of("amount", 3, "grade", "A", "colour", "red"));

        assertThat(r.valid()).isTrue();
        assertThat(r.unknown()).containsExactly("colour");
        assertThat(r.values()).doesNotContainKey("colour").containsEntry("amount", 3.0);
    }

    @Test
    void partialValidationSkipsAbsentFeatures() {
        ValidationResult r = strict.validate(Map.of("verified", false), false);

        assertThat(r.valid()).isTrue();
        assertThat(r.values()).containsOnlyKeys("verified");
    }

    @Test
    void booleansAreNotNumbersAndNumbersAreNotStrings() {
        assertThat(strict.validate(Map.of("amount", true, "grade", "A")).violations())
                .extracting(Violation::reason).containsExactly("wrong_type");
        assertThat(strict.validate(Map.of("amount", 1, "grade", 1)).violations())
                .extracting(Violation::feature).containsExactly("grade");
    }

    @Test
    void specsRefuseContradictions() {
        assertThatThrownBy(() -> new FeatureSpec("x", FeatureType.TEXT, Temperature.HOT, false, 1.0, null, null, false))
                .hasMessageContaining("'x'").hasMessageContaining("numeric");
        assertThatThrownBy(() -> new FeatureSpec("x", FeatureType.NUMERIC, Temperature.HOT, false, 2.0, 1.0, null, false))
                .hasMessageContaining("min must be <= max");
        assertThatThrownBy(() -> new FeatureSchema(List.of(FeatureSpec.of("a", FeatureType.TEXT, Temperature.COLD, true),
                FeatureSpec.of("a", FeatureType.TEXT, Temperature.COLD, true)))).hasMessageContaining("'a' appears twice");
        assertThatThrownBy(() -> FeatureSpec.of("bad\nname", FeatureType.TEXT, Temperature.COLD, true))
                .hasMessageContaining("control characters");
    }

    @Test
    void anUnknownFeatureIsToldTheFeaturesThereAre() {
        Violation v = strict.validate(Map.of("amount", 1.0, "grade", "A", "colour", "red")).violations().get(0);

        assertThat(v.reason()).isEqualTo("unknown_feature");
        assertThat(v.message()).contains("'colour'").contains("5 features (amount, grade, verified, opened, note)")
                .doesNotContain("fingerprint");
    }

    @Test
    void theHandWrittenNumberScannerAcceptsExactlyWhatTheJsonNumberPatternAccepts() {
        // Every string of up to six characters over the grammar's alphabet (and one outsider): 600,000 strings.
        char[] alphabet = {'-', '+', '0', '1', '9', '.', 'e', 'E', ' ', 'x'};
        int compared = 0;
        int accepted = 0;
        for (int len = 0; len <= 6; len++) {
            int[] idx = new int[len];
            while (true) {
                char[] cs = new char[len];
                for (int k = 0; k < len; k++) {
                    cs[k] = alphabet[idx[k]];
                }
                String s = new String(cs);
                boolean expected = FeatureValidator.matchesNumberPattern(s);
                assertThat(FeatureValidator.isNumberToken(s)).as("'%s'", s).isEqualTo(expected);
                compared++;
                accepted += expected ? 1 : 0;
                int k = len - 1;
                while (k >= 0 && ++idx[k] == alphabet.length) {
                    idx[k--] = 0;
                }
                if (k < 0) {
                    break;
                }
            }
        }
        assertThat(compared).isEqualTo(1_111_111);
        assertThat(accepted).as("the comparison is not vacuous: many strings are numbers").isGreaterThan(1000);
    }
}
