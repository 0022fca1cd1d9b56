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

    /**
     * A quoted field may span lines, but no record may exceed these: a stray quote would otherwise swallow the rest
     * of the file into one record held in memory. A record over either bound, one whose quote never closes, and
     * one that spans lines yet has the wrong number of fields are each cut at their first line's end: that line is
     * the broken row, and the text after it is read again as rows of its own.
     */
    static final int MAX_RECORD_CHARS = 1 << 20;
    static final int MAX_RECORD_LINES = 1_000;

    private static final class Record {
        final List<String> fields = new ArrayList<>();
        String raw;
        String error;
        boolean quoted;
        long lines;
        /** Read up to and including a line break that is not in {@link #raw}. */
        boolean endedAtLineBreak;
    }

    /** Text given back to be read again (the rest of a record cut at its first line), read before {@link #in}. */
    private final StringBuilder again = new StringBuilder();
    private int againPos;

    private int read() throws IOException {
        if (againPos < again.length()) {
            char c = again.charAt(againPos++);
            if (againPos == again.length()) {
                again.setLength(0);
                againPos = 0;
            }
            return c;
        }
        if (bufPos == bufLen && !fill()) {
            return -1;
        }
        return buf[bufPos++];
    }

    private int peek() throws IOException {
        if (againPos < again.length()) {
            return again.charAt(againPos);
        }
        if (bufPos == bufLen && !fill()) {
            return -1;
        }
        return buf[bufPos];
    }

    /**
     * The decoded text, read a block at a time: a character at a time through {@link java.io.BufferedReader}'s
     * synchronized {@code read()} (and {@code mark}/{@code reset} for every peek) was a fifth of the ingestion
     * reader's CPU, and that thread bounds the ingestion rate on a small machine (docs/perf.md).
     */
    private final char[] buf = new char[1 << 16];
    private int bufPos;
    private int bufLen;

    private boolean fill() throws IOException {
        int n;
        do {
            n = in.read(buf, 0, buf.length);
        } while (n == 0);
        bufPos = 0;
        bufLen = Math.max(n, 0);
        return n > 0;
    }

    private Record readRecord() throws IOException {
        int c = read();
        if (c < 0) {
            return null;
        }
        long startLine = line;
        Record rec = new Record();
        StringBuilder raw = new StringBuilder(256);
        StringBuilder field = new StringBuilder(32);
        boolean inQuotes = false;
        boolean fieldWasQuoted = false;
        while (true) {
            if (c < 0) {
                if (inQuotes) {
                    rec.error = "a quoted field opened on line " + startLine + " is never closed";
                    return cut(rec, raw, startLine);
                }
                break;
            }
            char ch = (char) c;
            if (inQuotes) {
                raw.append(ch);
                if (ch == '"') {
                    if (peek() == '"') {
                        read();
                        raw.append('"');
                        field.append('"');
                    } else {
                        inQuotes = false;
                    }
                } else {
                    if (ch == '\n') {
                        line++;
                    }
                    field.append(ch);
                }
                if (raw.length() > MAX_RECORD_CHARS || line - startLine >= MAX_RECORD_LINES) {
                    rec.error = "a quoted field opened on line " + startLine + " runs past " + (raw.length()
                            > MAX_RECORD_CHARS ? MAX_RECORD_CHARS + " characters" : MAX_RECORD_LINES + " lines")
                            + " (a stray quote?)";
                    return cut(rec, raw, startLine);
                }
            } else if (ch == ',') {
                raw.append(ch);
                rec.fields.add(field.toString());
                field.setLength(0);
                fieldWasQuoted = false;
            } else if (ch == '\n' || ch == '\r') {
                if (ch == '\r' && peek() == '\n') {
                    read();
                }
                line++;
                rec.endedAtLineBreak = true;
                break;
            } else if (ch == '"' && field.length() == 0 && !fieldWasQuoted) {
                raw.append(ch);
                inQuotes = true;
                fieldWasQuoted = true;
                rec.quoted = true;
            } else {
                raw.append(ch);
                if (raw.length() > MAX_RECORD_CHARS) {
                    rec.error = "the record on line " + startLine + " is longer than " + MAX_RECORD_CHARS
                            + " characters";
                    skipLine(raw);
                    break;
                }
                if (fieldWasQuoted && rec.error == null) {
                    rec.error = "text after a closing quote in field " + (rec.fields.size() + 1);
                }
                field.append(ch);
            }
            c = read();
        }
        rec.fields.add(field.toString());
        rec.raw = raw.toString();
        rec.lines = line - startLine;
        if (rec.error == null && hasMalformedUtf8(rec.raw)) {
            rec.error = "the record is not valid UTF-8";
        }
        if (rec.lines > 1 && header != null && (rec.error != null || rec.fields.size() != header.size())) {
            if (rec.error == null) {
                rec.error = "the record starting on line " + startLine + " spans " + rec.lines + " lines and has "
                        + rec.fields.size() + " fields, the header has " + header.size() + " (a stray quote?)";
            }
            return cut(rec, raw, startLine);
        }
        return rec;
    }

    /** Reads and drops the rest of an over-long line (it is the broken row), keeping a bounded prefix of it. */
    private void skipLine(StringBuilder raw) throws IOException {
        int c;
        while ((c = read()) >= 0 && c != '\n') {
            // dropped: the row is reported broken with its first MAX_RECORD_CHARS characters
        }
        line++;
    }

    /**
     * The broken record is its first line only; what followed that line is given back to be read as rows again
     * (and the line count with it).
     */
    private Record cut(Record rec, StringBuilder raw, long startLine) {
        int nl = raw.indexOf("\n");
        Record broken = new Record();
        broken.error = rec.error;
        if (nl < 0) {
            broken.raw = raw.toString();
            return broken;
        }
        broken.raw = raw.substring(0, nl > 0 && raw.charAt(nl - 1) == '\r' ? nl - 1 : nl);
        String rest = raw.substring(nl + 1) + (rec.endedAtLineBreak ? "\n" : "");
        again.insert(againPos, rest);
        line = startLine + 1;
        return broken;
    }
}
