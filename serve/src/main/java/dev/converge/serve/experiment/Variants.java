package dev.converge.serve.experiment;

import dev.converge.contracts.Violation;
import dev.converge.registry.Deployment;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.ModelSlot;
import dev.converge.serve.predict.ModelRef;
import dev.converge.serve.predict.PredictionRequest;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Variant choice: which loaded model answers a request, before its features are assembled (each variant validates
 * against its own contract). Without an experiment, the champion (the slot's active model). With one, a request
 * with an entity id goes by a stable hash of the model and the id to a point in [0, 1): the split challengers hold
 * consecutive ranges from 0 ({@code [0, s1)}, {@code [s1, s1 + s2)}, ...) and the champion the rest, so an entity
 * always sees the same variant, and raising a share from 20% to 30% moves only the entities in [0.2, 0.3), all into
 * the challenger. A request without an id draws its point at random. A request may pin a deployed version
 * ({@code model_version}) when the deployment allows it.
 */
public final class Variants {
    public static final String NOT_READY = "no verified model is loaded yet";

    /** A loaded challenger of the current deployment. */
    public record Arm(ModelHandle model, Deployment.Challenger challenger, ModelRef ref, VariantStats stats) {}

    /** The deployment as served: its loaded split and shadow challengers. */
    public record Live(Deployment deployment, List<Arm> splits, List<Arm> shadows) {
        boolean experimenting() {
            return !splits.isEmpty() || !shadows.isEmpty();
        }
    }

    /** The chosen model and how it answers ({@code ref} names the variant), or why a pinned request is refused. */
    public record Choice(ModelHandle model, ModelRef ref, Violation refused) {}

    private final ModelSlot slot;
    private final MeterRegistry metrics;
    private final Map<String, VariantStats> stats = new ConcurrentHashMap<>();
    private volatile Live live;
    /** The champion's choice without an experiment, made once per champion. */
    private volatile Choice plain;

    public Variants(ModelSlot slot, MeterRegistry metrics) {
        this.slot = slot;
        this.metrics = metrics;
        this.live = new Live(Deployment.none(""), List.of(), List.of());
    }

    /** The model for this request ({@code null} request: the champion), or null when none is loaded. */
    public Choice choose(PredictionRequest request) {
        ModelHandle champion = slot.active();
        if (champion == null) {
            return null;
        }
        Live l = live;
        if (request != null && request.modelVersion() != null) {
            return pinned(champion, l, request.modelVersion());
        }
        if (l.splits().isEmpty() || request == null) {
            if (!l.experimenting()) { // the common case: no allocation per request
                Choice c = plain;
                if (c == null || c.model() != champion) {
                    plain = c = new Choice(champion, champion.ref(), null);
                }
                return c;
            }
            return new Choice(champion, champion.ref(), null);
        }
        double point = request.entityId() != null ? point(champion.name(), request.entityId())
                : ThreadLocalRandom.current().nextDouble();
        double upTo = 0;
        for (Arm a : l.splits()) {
            upTo += a.challenger().share();
            if (point < upTo) {
                return new Choice(a.model(), a.ref(), null);
            }
        }
        return new Choice(champion, champion.ref(), null);
    }

    private Choice pinned(ModelHandle champion, Live l, int version) {
        if (!l.deployment().allowPinning()) {
            return refused(version, "pinning_not_allowed", "model '" + champion.name() + "''s deployment does not"
                    + " let a request choose its version (converge experiment start ... --allow-pinning)");
        }
        if (version == champion.version()) {
            return new Choice(champion, champion.ref().as(ModelRef.PINNED), null);
        }
        for (List<Arm> arms : List.of(l.splits(), l.shadows())) {
            for (Arm a : arms) {
                if (a.model().version() == version) {
                    return new Choice(a.model(), a.ref().as(ModelRef.PINNED), null);
                }
            }
        }
        List<Integer> deployed = new ArrayList<>(List.of(champion.version()));
        l.splits().forEach(a -> deployed.add(a.model().version()));
        l.shadows().forEach(a -> deployed.add(a.model().version()));
        return refused(version, "not_deployed", "v" + version + " of model '" + champion.name() + "' is not deployed"
                + " here; deployed versions: " + deployed);
    }

    private static Choice refused(int version, String reason, String message) {
        return new Choice(null, null, new Violation("model_version", Integer.toString(version), reason,
                message));
    }

    /** The shadows a request is mirrored to, each drawn at its share. */
    public List<Arm> shadowsFor() {
        List<Arm> shadows = live.shadows();
        if (shadows.isEmpty()) {
            return List.of();
        }
        List<Arm> out = new ArrayList<>(shadows.size());
        for (Arm a : shadows) {
            if (a.challenger().share() >= 1 || ThreadLocalRandom.current().nextDouble() < a.challenger().share()) {
                out.add(a);
            }
        }
        return out;
    }

    /** Serves a deployment whose challengers have been loaded ({@code loaded}: version to model; missing: refused). */
    public void deploy(Deployment d, Map<Integer, ModelHandle> loaded) {
        ModelHandle champion = slot.active();
        List<Arm> splits = new ArrayList<>();
        List<Arm> shadows = new ArrayList<>();
        for (Deployment.Challenger c : d.challengers()) {
            ModelHandle m = loaded.get(c.version());
            if (m == null || champion != null && champion.version() == c.version()) {
                continue; // refused at load, or promoted to champion since
            }
            String variant = c.mode() == Deployment.Mode.SHADOW ? ModelRef.SHADOW : ModelRef.CHALLENGER;
            Arm arm = new Arm(m, c, m.ref().as(variant), stats(variant, m));
            (c.mode() == Deployment.Mode.SHADOW ? shadows : splits).add(arm);
        }
        live = new Live(d, List.copyOf(splits), List.copyOf(shadows));
    }

    public Live live() {
        return live;
    }

    /**
     * The running figures of the variant that answered {@code ref}, while an experiment runs; null without one, and
     * for a request that pinned its version (it chose its model: it is not a sample of the split).
     */
    public VariantStats statsOf(ModelRef ref, ModelHandle model) {
        if (!live.experimenting() || ModelRef.PINNED.equals(ref.variant())) {
            return null;
        }
        return stats(ref.variant(), model);
    }

    /** One variant's running figures (kept for the server's life; a handful of versions at most). */
    VariantStats stats(String variant, ModelHandle m) {
        return stats.computeIfAbsent(variant + "/" + m.version(), k -> {
            VariantStats s = new VariantStats();
            FunctionCounter.builder("converge.variant.answers", s, VariantStats::answered).tag("model", m.name())
                    .tag("variant", variant).tag("version", Integer.toString(m.version())).register(metrics);
            FunctionCounter.builder("converge.variant.errors", s, VariantStats::errors).tag("model", m.name())
                    .tag("variant", variant).tag("version", Integer.toString(m.version())).register(metrics);
            return s;
        });
    }

    /** A stable point in [0, 1) for an entity of a model: FNV-1a 64 of "model/entity", top 53 bits. */
    static double point(String model, String entityId) {
        long h = 0xcbf29ce484222325L;
        for (byte b : (model + "/" + entityId).getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33; // FNV's low bits mix poorly for short keys that differ only at the end
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return (h >>> 11) * 0x1.0p-53;
    }
}
