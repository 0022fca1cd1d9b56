package dev.converge.store;

import java.time.Instant;
import java.util.Map;

/**
 * One label event joined with the features that were known at its time.
 *
 * @param index         the event's 0-based position in the input
 * @param featureTime   event time of the feature row used, or null when none qualified
 * @param hot           hot features, or null when none qualified
 * @param cold          cold features, or null when not asked for, absent, or none qualified
 */
public record PitRow(long index, String entityId, Instant labelTime, Instant featureTime, Instant ingestedAt,
                     Integer featureVersion, Map<String, Object> hot, Map<String, Object> cold) {}
