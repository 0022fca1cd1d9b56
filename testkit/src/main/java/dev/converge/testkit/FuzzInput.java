package dev.converge.testkit;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Hostile input for the fuzz properties: JSON trees (objects, arrays, numbers from 0 to 1e308, strings with NUL,
 * unpaired surrogates, emoji, quotes and line breaks) whose keys are mostly the names the code looks for, and
 * text that is nearly CSV. Run briefly in CI ({@code jqwik.tries.default} in each module's
 * junit-platform.properties); longer by hand with {@code -Djqwik.tries.default=100000}.
 */
public final class FuzzInput {
    private FuzzInput() {}

    /** Strings of any char (surrogates and controls included), weighted towards the troublesome ones. */
    public static Arbitrary<String> text() {
        Arbitrary<Character> awkward = Arbitraries.of('\0', '\ud800', '\udc00', '"', '\\', '\n', '\r', ',', ' ',
                '\u2028', '\ufeff', 'é', '0', '-', '.', 'e', 'E', '+');
        Arbitrary<Character> any = Arbitraries.chars().all();
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(3, Arbitraries.strings().withChars("abcXYZ019_-.").ofMaxLength(12)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.strings().withCharRange('\u0000', '\uffff')
                                .ofMaxLength(20)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, any),
                                net.jqwik.api.Tuple.of(2, awkward)).list().ofMaxSize(16).map(FuzzInput::join)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.of("\ud83d\ude00", "x".repeat(200), "", "NaN",
                                "Infinity", "1e400", "-0", "9999-12-31T23:59:59Z", "+300000000-01-01T00:00:00Z",
                                "true", "12")))
                .map(s -> s);
    }

    private static String join(List<Character> cs) {
        StringBuilder b = new StringBuilder(cs.size());
        cs.forEach(b::append);
        return b.toString();
    }

    /** A JSON value: null, booleans, numbers, strings, and nested arrays and objects (depth at most 4). */
    public static Arbitrary<Object> json(List<String> likelyKeys) {
        Arbitrary<String> keys = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, Arbitraries.of(likelyKeys)),
                net.jqwik.api.Tuple.of(1, text()));
        return Arbitraries.recursive(FuzzInput::scalar, inner -> Arbitraries.oneOf(
                inner.list().ofMaxSize(5).map(l -> (Object) l),
                Arbitraries.maps(keys, inner).ofMaxSize(6).map(m -> (Object) m),
                inner), 0, 4);
    }

    private static Arbitrary<Object> scalar() {
        return Arbitraries.oneOf(
                Arbitraries.just(null),
                Arbitraries.of(true, false).map(b -> (Object) b),
                Arbitraries.integers().map(i -> (Object) i),
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.doubles().between(-1e308, 1e308).map(d -> (Object) d),
                Arbitraries.bigIntegers().between(java.math.BigInteger.TEN.pow(30).negate(),
                        java.math.BigInteger.TEN.pow(30)).map(b -> (Object) b),
                text().map(s -> (Object) s));
    }

    /** Text that is nearly CSV: fields with quotes, separators and line breaks in the wrong places. */
    public static Arbitrary<String> nearlyCsv() {
        Arbitrary<String> field = Arbitraries.oneOf(text(), Arbitraries.of("\"", "\"\"", "\"a,b\"", "\"open", "x\"y",
                "\r\n", "\n", "1", "2.5", "A"));
        return field.list().ofMaxSize(40).map(fs -> {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < fs.size(); i++) {
                b.append(fs.get(i)).append(i % 3 == 2 ? "\n" : ",");
            }
            return b.toString();
        });
    }
}
