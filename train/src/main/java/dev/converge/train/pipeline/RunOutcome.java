package dev.converge.train.pipeline;

import dev.converge.train.TaskConfig;
import hex.Model;
import java.util.Map;

/** A task's outcome. {@code model} is the model trained on the last split, kept for export. */
public record RunOutcome(int index, TaskConfig config, String status, Map<String, Object> metrics, long runtimeMs,
                         String error, Model<?, ?, ?> model) {}
