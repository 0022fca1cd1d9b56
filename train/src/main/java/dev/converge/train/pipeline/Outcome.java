package dev.converge.train.pipeline;

import dev.converge.registry.ModelVersion;
import dev.converge.train.DeployabilityGate;
import dev.converge.train.Governor;
import dev.converge.train.Metric;
import java.util.List;
import java.util.UUID;

/**
 * REGISTERED: what a whole run did. {@code registered} is null when the gate refused the champion, and with
 * {@code gate} when the run was a sweep (a dry run, or a pipeline ending at best_run); {@code promotion} says why
 * the registered version was promoted or not, or why nothing was registered (null when the gate refused).
 */
public record Outcome(UUID sweepId, List<RunOutcome> runs, RunOutcome champion, Metric metric,
                      DeployabilityGate.Result gate, ModelVersion registered, boolean promoted, Governor.Plan plan,
                      String promotion) {}
