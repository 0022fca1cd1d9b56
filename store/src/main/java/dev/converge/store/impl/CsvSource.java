package dev.converge.store.impl;

import dev.converge.contracts.RawText;
import dev.converge.store.SourceRow;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An RFC 4180 CSV reader: a header row, comma separators, double-quote quoting with {@code ""} escapes, fields
 * that span lines, LF or CRLF. Cells become {@link RawText}, typed later by the schema. A record with the wrong
 * number of fields, or a quote left open at the end of the file, becomes a broken row; reading goes on.
 */
public final class CsvSource extends TextSource {
    private final List<String> header;
    private long line = 1;

    public CsvSource(Path file) throws IOException {
        this(Files.newInputStream(file), file.getFileName().toString(), Files.size(file));
    }

    public CsvSource(InputStream stream, String name, long totalBytes) throws IOException {
        super(stream, name, totalBytes);
        try {
            this.header = readHeader(name);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    private List<String> readHeader(String name) throws IOException {
        Record h = readRecord();
        if (h == null || h.error != null) {
            throw new IOException(name + ": the first line must be a CSV header"
                    + (h == null ? ", but the file is empty" : " (" + h.error + ")"));
        }
        if (!h.fields.isEmpty() && h.fields.get(0).startsWith("\uFEFF")) {
            h.fields.set(0, h.fields.get(0).substring(1));
        }
        var seen = new HashSet<String>();
        for (String col : h.fields) {
            if (col.isEmpty() || !seen.add(col)) {
                throw new IOException(name + ": header column " + (col.isEmpty() ? "names must not be empty"
                        : "'" + col + "' appears twice"));
            }
        }
        return List.copyOf(h.fields);
    }

    @Override
    public java.util.Optional<List<String>> columns() {
        return java.util.Optional.of(header);
    }

    @Override
    public SourceRow next() throws IOException {
        while (true) {
            long start = line;
            Record r = readRecord();
            if (r == null) {
                return null;
            }
            if (r.error != null) {
                return SourceRow.broken(start, r.raw, r.error);
            }
            if (r.fields.size() == 1 && r.fields.get(0).isEmpty() && !r.quoted) {
                continue; // blank line
            }
            if (r.fields.size() != header.size()) {
                return SourceRow.broken(start, r.raw, "row has " + r.fields.size() + " fields, the header has "
                        + header.size());
            }
            Map<String, Object> cells = new LinkedHashMap<>(header.size() * 2);
            for (int i = 0; i < header.size(); i++) {
                cells.put(header.get(i), new RawText(r.fields.get(i)));
            }
            return new SourceRow(start, r.raw, cells, null);
        }
    }

    private static final class Record {
        final List<String> fields = new ArrayList<>();
        String raw;
        String error;
        boolean quoted;
    }

    private Record readRecord() throws IOException {
        int c = in.read();
        if (c < 0) {
            return null;
        }
        Record rec = new Record();
        StringBuilder raw = new StringBuilder(256);
        StringBuilder field = new StringBuilder(32);
        boolean inQuotes = false;
        boolean fieldWasQuoted = false;
        while (true) {
            if (c < 0) {
                if (inQuotes) {
                    rec.error = "a quoted field opened on line " + line + " is never closed";
                }
                break;
            }
            char ch = (char) c;
            if (inQuotes) {
                raw.append(ch);
                if (ch == '"') {
                    in.mark(1);
                    int n = in.read();
                    if (n == '"') {
                        raw.append('"');
                        field.append('"');
                    } else {
                        inQuotes = false;
                        if (n >= 0) {
                            in.reset();
                        }
                    }
                } else {
                    if (ch == '\n') {
                        line++;
                    }
                    field.append(ch);
                }
            } else if (ch == ',') {
                raw.append(ch);
                rec.fields.add(field.toString());
                field.setLength(0);
                fieldWasQuoted = false;
            } else if (ch == '\n' || ch == '\r') {
                if (ch == '\r') {
                    in.mark(1);
                    if (in.read() != '\n') {
                        in.reset();
                    }
                }
                line++;
                break;
            } else if (ch == '"' && field.length() == 0 && !fieldWasQuoted) {
                raw.append(ch);
                inQuotes = true;
                fieldWasQuoted = true;
                rec.quoted = true;
            } else {
                raw.append(ch);
                if (fieldWasQuoted && rec.error == null) {
                    rec.error = "text after a closing quote in field " + (rec.fields.size() + 1);
                }
                field.append(ch);
            }
            c = in.read();
        }
        rec.fields.add(field.toString());
        rec.raw = raw.toString();
        if (rec.error == null && hasMalformedUtf8(rec.raw)) {
            rec.error = "the record is not valid UTF-8";
        }
        return rec;
    }
}
