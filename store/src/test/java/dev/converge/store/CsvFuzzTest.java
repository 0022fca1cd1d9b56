package dev.converge.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.store.impl.CsvSource;
import dev.converge.testkit.FuzzInput;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The CSV reader on text that is nearly CSV: it never throws, every record is either a row with one cell per
 * column or a broken row naming why, and no text is lost: the rows' raw texts, in order, are the input's text
 * (line breaks aside, which end records and are not part of a row's text).
 */
class CsvFuzzTest {
    @Provide
    Arbitrary<String> nearlyCsv() {
        return FuzzInput.nearlyCsv();
    }

    @Property
    void everyRecordIsARowOrABrokenRowWithItsReason(@ForAll("nearlyCsv") String body) throws Exception {
        byte[] bytes = ("a,b,c\n" + body).getBytes(StandardCharsets.UTF_8);
        try (CsvSource src = new CsvSource(new ByteArrayInputStream(bytes), "fuzz.csv", bytes.length)) {
            SourceRow row;
            long lastLine = 1;
            int rows = 0;
            StringBuilder rebuilt = new StringBuilder();
            while ((row = src.next()) != null) {
                rows++;
                assertThat(row.raw()).isNotNull();
                rebuilt.append(row.raw());
                assertThat(row.lineNumber()).isGreaterThan(lastLine - 1);
                lastLine = row.lineNumber();
                if (row.parseError() == null) {
                    assertThat(row.cells()).hasSize(3);
                } else {
                    assertThat(row.parseError()).isNotBlank();
                    assertThat(row.cells()).isNull();
                }
                assertThat(rows).isLessThanOrEqualTo(body.length() + 1); // it ends
            }
            // What the reader saw is the decoded bytes (an unpaired surrogate was written as '?').
            String read = new String(bytes, StandardCharsets.UTF_8).substring("a,b,c\n".length());
            assertThat(withoutLineBreaks(rebuilt)).as("every character of the input is in exactly one row, in order")
                    .isEqualTo(withoutLineBreaks(read));
        }
    }

    private static String withoutLineBreaks(CharSequence s) {
        return s.toString().replace("\r", "").replace("\n", "");
    }
}
