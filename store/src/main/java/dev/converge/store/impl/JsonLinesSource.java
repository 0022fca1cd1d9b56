package dev.converge.store.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.converge.store.IngestSource;
import dev.converge.store.SourceRow;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** JSON Lines: one JSON object per line, values keep their JSON types. Broken JSON becomes a broken row. */
public final class JsonLinesSource implements IngestSource {
    private final BufferedReader in;
    private final CountingReader counter;
    private final String name;
    private final long total;
    private long line;

    public JsonLinesSource(Path file) throws IOException {
        this(Files.newInputStream(file), file.getFileName().toString(), Files.size(file));
    }

    public JsonLinesSource(InputStream stream, String name, long totalBytes) {
        this.counter = new CountingReader(stream);
        this.in = new BufferedReader(new InputStreamReader(counter, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)), 1 << 16);
        this.name = name;
        this.total = totalBytes;
    }

    @Override
    public SourceRow next() throws IOException {
        String text;
        do {
            text = in.readLine();
            line++;
            if (text == null) {
                return null;
            }
        } while (text.isBlank());
        if (text.indexOf('\uFFFD') >= 0) {
            return SourceRow.broken(line, text, "the line is not valid UTF-8");
        }
        try {
            return new SourceRow(line, text, Json.parseObject(text), null);
        } catch (JsonProcessingException e) {
            return SourceRow.broken(line, text, "broken JSON: " + e.getOriginalMessage()
                    + " at column " + e.getLocation().getColumnNr());
        } catch (IOException e) {
            return SourceRow.broken(line, text, "broken JSON: " + e.getMessage());
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long bytesRead() {
        return counter.count();
    }

    @Override
    public long totalBytes() {
        return total;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
