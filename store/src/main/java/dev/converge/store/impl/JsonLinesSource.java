package dev.converge.store.impl;

import dev.converge.registry.codec.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.converge.store.SourceRow;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** JSON Lines: one JSON object per line, values keep their JSON types. Broken JSON becomes a broken row. */
public final class JsonLinesSource extends TextSource {
    private long line;

    public JsonLinesSource(Path file) throws IOException {
        this(Files.newInputStream(file), file.getFileName().toString(), Files.size(file));
    }

    public JsonLinesSource(InputStream stream, String name, long totalBytes) {
        super(stream, name, totalBytes);
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
        if (hasMalformedUtf8(text)) {
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
}
