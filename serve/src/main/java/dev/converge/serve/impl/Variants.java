package dev.converge.serve.impl;

import dev.converge.serve.predict.PredictionRequest;

/**
 * Variant choice: which loaded model answers a request. One variant for now, the active model of the slot; A/B
 * splits, pinned versions and canaries will choose here, by request, before features are assembled (each variant
 * validates against its own contract).
 */
final class Variants {
    static final String NOT_READY = "no verified model is loaded yet";

    private final ModelSlot slot;

    Variants(ModelSlot slot) {
        this.slot = slot;
    }

    /** The model for this request ({@code null} request: for a whole batch), or null when none is loaded. */
    ModelHandle choose(PredictionRequest request) {
        return slot.active();
    }
}
