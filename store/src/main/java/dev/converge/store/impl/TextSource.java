package dev.converge.store.impl;

import dev.converge.store.IngestSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What the text formats share: a UTF-8 reader that counts bytes for progress. Malformed UTF-8 becomes U+FFFD,
 * which the formats turn into a broken row, so one bad byte costs one row, not the file.
 */
abstract class TextSource implements IngestSource {
    protected final BufferedReader in;
    private final CountingReader counter;
    private final String name;
    private final long total;

    TextSource(InputStream stream, String name, long totalBytes) {
        this.counter = new CountingReader(stream);
        this.in = new BufferedReader(new InputStreamReader(counter, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE)),
                1 << 16);
        this.name = name;
        this.total = totalBytes;
    }

    static boolean hasMalformedUtf8(String text) {
        return text.indexOf('\uFFFD') >= 0;
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
