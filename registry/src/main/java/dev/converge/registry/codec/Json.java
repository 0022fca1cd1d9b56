package dev.converge.registry.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON for the store: strict parsing (duplicate keys are errors) and one normal form for feature values. Integral
 * doubles within 2^53 are written as integers, non-finite doubles as the strings "NaN", "Infinity" and
 * "-Infinity" (JSON has no such numbers), and instants as ISO-8601 UTC strings.
 */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .addModule(new com.fasterxml.jackson.databind.module.SimpleModule("converge-values").addSerializer(
                    dev.converge.contracts.FeatureVector.class,
                    new com.fasterxml.jackson.databind.ser.std.StdSerializer<>(dev.converge.contracts.FeatureVector.class) {
                        @Override
                        public void serialize(dev.converge.contracts.FeatureVector v,
                                              com.fasterxml.jackson.core.JsonGenerator g,
                                              com.fasterxml.jackson.databind.SerializerProvider p) throws IOException {
                            g.writeStartArray();
                            for (int i = 0; i < v.dimension(); i++) {
                                g.writeNumber(v.get(i)); // a vector's value is its floats, as the store keeps them
                            }
                            g.writeEndArray();
                        }
                    }))
            .build();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};
    private static final double MAX_EXACT = 9007199254740992.0; // 2^53

    private Json() {}

    /** Parses one JSON object; throws IOException with the parser's location on anything else. */
    public static LinkedHashMap<String, Object> parseObject(String text) throws IOException {
        try (JsonParser p = MAPPER.createParser(text)) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                throw new IOException("expected a JSON object, found " + p.currentToken());
            }
            return MAPPER.readValue(p, MAP);
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes validated feature values as a JSON object in the store's normal form. */
    public static String writeFeatures(Map<String, Object> values) {
        StringWriter out = new StringWriter(64 + values.size() * 24);
        try (JsonGenerator g = MAPPER.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, Object> e : values.entrySet()) {
                g.writeFieldName(e.getKey());
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Double d) {
            if (Double.isNaN(d)) {
                g.writeString("NaN");
            } else if (Double.isInfinite(d)) {
                g.writeString(d > 0 ? "Infinity" : "-Infinity");
            } else if (d == Math.rint(d) && Math.abs(d) <= MAX_EXACT) {
                g.writeNumber((long) (double) d);
            } else {
                g.writeNumber(d);
            }
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Instant i) {
            g.writeString(i.toString());
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof dev.converge.contracts.FeatureVector vec) {
            g.writeStartArray();
            for (int i = 0; i < vec.dimension(); i++) {
                g.writeNumber(vec.get(i));
            }
            g.writeEndArray();
        } else {
            throw new IllegalArgumentException("not a normalized feature value: " + v.getClass().getName());
        }
    }

    public static java.util.List<Object> readList(String text) {
        try {
            return MAPPER.readValue(text, new TypeReference<java.util.List<Object>>() {});
        } catch (IOException e) {
            throw new UncheckedIOException("the store returned JSON it cannot read: " + e.getMessage(), e);
        }
    }

    public static Map<String, Object> readMap(String text) {
        if (text == null) {
            return null;
        }
        try {
            return MAPPER.readValue(text, MAP);
        } catch (IOException e) {
            throw new UncheckedIOException("the store returned JSON it cannot read: " + e.getMessage(), e);
        }
    }
}
