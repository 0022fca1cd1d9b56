package dev.converge.model;

import java.util.Map;

/** One prediction: the label (classifiers) or the value (regression), and class probabilities for classifiers. */
public record Prediction(Object value, Map<String, Double> probabilities) {}
