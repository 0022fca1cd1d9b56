package dev.converge.serve.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.contracts.Violation;
import dev.converge.model.Prediction;
import dev.converge.serve.predict.Degradation;
import dev.converge.serve.predict.ModelRef;
import dev.converge.serve.predict.PredictionOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The answer written straight to text is byte for byte the answer built as a JsonObject and encoded by Jackson. */
class PredictionJsonTest {
    @Property(tries = 2000)
    void theWrittenAnswerIsTheEncodedOne(@ForAll("outcomes") PredictionOutcome o, @ForAll("latencies") double latency) {
        assertThat(PredictionJson.answerText(o, latency)).isEqualTo(PredictionJson.answer(o, latency).encode());
    }

    @Test
    void hardStringsAndNumbersAreWrittenAsJacksonWritesThem() {
        Map<String, Double> probs = new LinkedHashMap<>();
        probs.put("a\"b\\c\n\r\t\b\f\u0001\u001f\u007f é 😀 \ud800", 1e-300);
        probs.put("", Double.NaN);
        probs.put("inf", Double.NEGATIVE_INFINITY);
        probs.put("zero", -0.0);
        ModelRef m = new ModelRef("m/\u2028\u2029", Integer.MAX_VALUE, 1e21, null, "pinned");
        for (Object value : new Object[] {null, "</script>", true, 7, Long.MIN_VALUE, 123456789.125, Double.NaN}) {
            PredictionOutcome o = new PredictionOutcome.Degraded(m, new Prediction(value, probs), true, List.of(
                    new Degradation(Degradation.Kind.DEFAULT_ANSWER, "why \u0000 not")), List.of(new Violation(null,
                    null, "r", "m")), "id");

            assertThat(PredictionJson.answerText(o, 0.0)).isEqualTo(PredictionJson.answer(o, 0.0).encode());
        }
    }

    @Test
    void aValueOfAnotherTypeIsEncodedTheSlowWay() {
        PredictionOutcome o = new PredictionOutcome.Scored(new ModelRef("m", 1), new Prediction(
                new java.math.BigDecimal("1.50"), null), false, List.of(), "id");

        assertThat(PredictionJson.answerText(o, 1.5)).isEqualTo(PredictionJson.answer(o, 1.5).encode());
    }

    @Provide
    Arbitrary<Double> latencies() {
        return Arbitraries.oneOf(Arbitraries.doubles().between(0, 1e6).ofScale(3), Arbitraries.of(0.0, 1e-7, 1e7));
    }

    private static Arbitrary<String> text() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(12),
                Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMaxLength(12),
                Arbitraries.strings().withCharRange('\ud700', '\ue000').ofMaxLength(6),
                Arbitraries.of("good", "bad", "\"", "\\", "/"));
    }

    private static Arbitrary<Double> doubles() {
        return Arbitraries.oneOf(Arbitraries.doubles(), Arbitraries.doubles().between(0, 1),
                Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE, -0.0, 1e-5));
    }

    @Provide
    Arbitrary<PredictionOutcome> outcomes() {
        Arbitrary<Object> value = Arbitraries.oneOf(text().map(s -> (Object) s), doubles().map(d -> (Object) d),
                Arbitraries.integers().map(i -> (Object) i), Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.of(true, false).map(b -> (Object) b), Arbitraries.just(null));
        Arbitrary<Map<String, Double>> probs = Arbitraries.maps(text(), doubles()).ofMaxSize(4)
                .map(mp -> (Map<String, Double>) new LinkedHashMap<>(mp)).injectNull(0.3);
        Arbitrary<ModelRef> model = Combinators.combine(text(), Arbitraries.integers().between(1, 1000),
                doubles().injectNull(0.4), text().injectNull(0.2), Arbitraries.of("champion", "challenger", "pinned"))
                .as(ModelRef::new);
        Arbitrary<List<Violation>> warnings = Combinators.combine(text().injectNull(0.1), text().injectNull(0.2),
                text(), text()).as(Violation::new).list().ofMaxSize(3).map(ArrayList::new);
        Arbitrary<PredictionOutcome> scored = Combinators.combine(model, value, probs, Arbitraries.of(true, false),
                warnings, text()).as((m, v, p, c, w, id) -> new PredictionOutcome.Scored(m, new Prediction(v, p), c,
                w, id));
        Arbitrary<PredictionOutcome> degraded = Combinators.combine(model.injectNull(0.2), value, probs,
                Arbitraries.of(true, false), warnings, text()).as((m, v, p, c, w, reason) ->
                new PredictionOutcome.Degraded(m, new Prediction(v, p), c, List.of(new Degradation(
                        Degradation.Kind.ONLINE_FEATURES_UNAVAILABLE, reason)), w, "id-" + reason.length()));
        return Arbitraries.oneOf(scored, degraded);
    }
}
