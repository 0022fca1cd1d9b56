package dev.converge.serve.oip;

import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.model.Readiness;
import dev.converge.serve.predict.PredictionService;
import java.util.List;
import java.util.Optional;

/** The models this server serves, by name, as the Open Inference Protocol's routes see them. */
public interface OipModels {
    Optional<Served> find(String name);

    List<String> names();

    /** Whether every served model takes traffic. */
    boolean ready();

    /** One served model as this protocol sees it. */
    interface Served {
        ModelHandle active();

        Readiness readiness();

        PredictionService service();
    }

    /** A served model from its parts. */
    static Served served(java.util.function.Supplier<ModelHandle> active,
                         java.util.function.Supplier<Readiness> readiness, PredictionService service) {
        return new Served() {
            @Override
            public ModelHandle active() {
                return active.get();
            }

            @Override
            public Readiness readiness() {
                return readiness.get();
            }

            @Override
            public PredictionService service() {
                return service;
            }
        };
    }

    /** The models {@code names}, found by {@code find}; the server ready when {@code ready} says so. */
    static OipModels of(List<String> names, java.util.function.Function<String, Optional<Served>> find,
                        java.util.function.BooleanSupplier ready) {
        return new OipModels() {
            @Override
            public Optional<Served> find(String n) {
                return find.apply(n);
            }

            @Override
            public List<String> names() {
                return names;
            }

            @Override
            public boolean ready() {
                return ready.getAsBoolean();
            }
        };
    }
}
