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
        assertThat(rows.get(2).raw()).isEqualTo("\"open,6");
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

    @Test
    void aStrayQuoteCostsItsOwnRowNotTheRestOfTheFile() throws Exception {
        StringBuilder csv = new StringBuilder("id,amount,note\n");
        for (int i = 0; i < 3000; i++) {
            csv.append(i).append(',').append(i).append(',').append(i == 10 ? "\"stray" : "plain").append('\n');
        }

        List<SourceRow> rows = read(csv.toString());

        assertThat(rows).hasSize(3000);
        assertThat(rows.get(10).parseError()).contains("quoted field opened on line 12").contains("stray quote");
        assertThat(rows.get(10).raw()).isEqualTo("10,10,\"stray");
        assertThat(rows.stream().filter(r -> r.parseError() != null)).hasSize(1);
        assertThat(rows.get(11).lineNumber()).isEqualTo(13);
        assertThat(rows.get(2999).cells()).containsEntry("id", new RawText("2999"));
    }

    @Test
    void aRecordSpanningLinesWithTheWrongFieldCountIsCutAtItsFirstLine() throws Exception {
        List<SourceRow> rows = read("a,b\n1,\"x\n2,y\n3,\"z\"\n4,w\n");

        // The quote opened on line 2 closes on line 4: one record of 3 lines and 3 fields. Only line 2 is broken.
        assertThat(rows.get(0).parseError()).as(rows.toString()).isNotNull();
        assertThat(rows.get(2).parseError()).as(rows.toString()).isNull();
        assertThat(rows.get(0).raw()).isEqualTo("1,\"x");
        assertThat(rows.get(1).cells()).containsEntry("a", new RawText("2")).containsEntry("b", new RawText("y"));
        assertThat(rows.get(2).cells()).containsEntry("b", new RawText("z"));
        assertThat(rows.get(3).cells()).containsEntry("a", new RawText("4"));
    }
}
