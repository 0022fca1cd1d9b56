package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.converge.contracts.FeatureSchema;
import dev.converge.store.PitRow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stored rows the training schema cannot read: an error naming the entity, the feature and the schema version. */
class TrainingTableTest {
    private static List<PitRow> rows(Object x2Of7, int versionOf7) {
        List<PitRow> out = new ArrayList<>(SyntheticData.rows(20, 5));
        PitRow r = out.get(7);
        Map<String, Object> hot = new HashMap<>(r.hot());
        hot.put("x2", x2Of7);
        out.set(7, new PitRow(r.index(), r.entityId(), r.labelTime(), r.featureTime(), r.ingestedAt(), versionOf7, hot,
                null));
        return out;
    }

    @Test
    void aValueOfAnotherTypeNamesEntityFeatureAndSchemaVersion() {
        assertThatThrownBy(() -> TrainingTable.fromPit(rows("twelve", 3), SyntheticData.SCHEMA, "label", List.of(),
                null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("entity 'e7'").hasMessageContaining("feature 'x2'")
                .hasMessageContaining("\"twelve\"").hasMessageContaining("schema version 3");
    }

    @Test
    void aMissingValueTokenKeptByAnOlderVersionIsMissing() {
        FeatureSchema withTokens = SyntheticData.SCHEMA.withMissingValues(FeatureSchema.COMMON_MISSING_VALUES);

        TrainingTable t = TrainingTable.fromPit(rows("NA", 1), withTokens, "label", List.of(), null);

        TrainingTable.Column x2 = t.features().stream().filter(c -> c.name().equals("x2")).findFirst().orElseThrow();
        assertThat(x2.numbers()[7]).isNaN();
    }
}
