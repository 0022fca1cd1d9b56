package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.converge.serve.cache.PredictionCache;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** XFetch's arithmetic, with an injected random source. */
class PredictionCacheTest {
    private final AtomicReference<Double> u = new AtomicReference<>(0.5);
    private final PredictionCache cache = new PredictionCache(null, null, 60_000, 1.0, u::get,
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry());

    @Test
    void refreshesEarlyWithAProbabilityThatRisesAsExpiryNears() {
        PredictionCache.Entry e = new PredictionCache.Entry(new JsonObject(), 10.0, 100_000);

        u.set(1.0); // ln(1) = 0: refresh exactly at expiry
        assertThat(cache.refreshEarly(e, 99_999)).isFalse();
        assertThat(cache.refreshEarly(e, 100_000)).isTrue();

        u.set(0.5); // -10 ms x ln(0.5) = 6.9 ms early
        assertThat(cache.refreshEarly(e, 99_990)).isFalse();
        assertThat(cache.refreshEarly(e, 99_994)).isTrue();

        u.set(1e-9); // rare draws refresh long before expiry: -10 x ln(1e-9) = 207 ms
        assertThat(cache.refreshEarly(e, 99_800)).isTrue();
        assertThat(cache.refreshEarly(e, 90_000)).isFalse();
    }

    @Test
    void aCostlierComputationRefreshesEarlier() {
        u.set(0.5);
        PredictionCache.Entry cheap = new PredictionCache.Entry(new JsonObject(), 1.0, 100_000);
        PredictionCache.Entry costly = new PredictionCache.Entry(new JsonObject(), 100.0, 100_000);

        assertThat(cache.refreshEarly(cheap, 99_950)).isFalse();
        assertThat(cache.refreshEarly(costly, 99_950)).isTrue();
    }
}
