package dev.converge.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.contracts.RawText;
import dev.converge.store.impl.CsvSource;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CsvSourceTest {
    private static List<SourceRow> read(String csv) throws Exception {
        byte[] b = csv.getBytes(StandardCharsets.UTF_8);
        List<SourceRow> out = new ArrayList<>();
        try (CsvSource s = new CsvSource(new ByteArrayInputStream(b), "t.csv", b.length)) {
            SourceRow r;
            while ((r = s.next()) != null) {
                out.add(r);
            }
        }
        return out;
    }

    @Test
    void quotedFieldsMayHoldCommasQuotesAndNewlines() throws Exception {
        List<SourceRow> rows = read("a,b\r\n\"x,1\",\"say \"\"hi\"\"\nthere\"\r\n3,\n");

        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).cells()).containsEntry("a", new RawText("x,1"))
                .containsEntry("b", new RawText("say \"hi\"\nthere"));
        assertThat(rows.get(1).lineNumber()).isEqualTo(4);
        assertThat(rows.get(1).cells()).containsEntry("b", new RawText(""));
    }

    @Test
    void raggedAndUnterminatedRowsAreBrokenButReadingGoesOn() throws Exception {
        List<SourceRow> rows = read("a,b\n1,2,3\n4,5\n\"open,6\n");

        assertThat(rows.get(0).parseError()).contains("3 fields, the header has 2");
        assertThat(rows.get(1).cells()).containsEntry("a", new RawText("4"));
        assertThat(rows.get(2).parseError()).contains("never closed");
        assertThat(rows.get(2).raw()).isEqualTo("\"open,6\n");
    }

    @Test
    void invalidUtf8IsABrokenRowNotAFailedFile() throws Exception {
        byte[] good = "a\n1\n".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[good.length + 2];
        System.arraycopy(good, 0, bytes, 0, good.length);
        bytes[good.length] = (byte) 0xC3;
        bytes[good.length + 1] = '\n';
        List<SourceRow> rows = new ArrayList<>();
        try (CsvSource s = new CsvSource(new ByteArrayInputStream(bytes), "t.csv", bytes.length)) {
            SourceRow r;
            while ((r = s.next()) != null) {
                rows.add(r);
            }
        }

        assertThat(rows).hasSize(2);
        assertThat(rows.get(1).parseError()).contains("UTF-8");
    }
}
