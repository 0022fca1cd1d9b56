package dev.converge.store;

import java.time.Instant;
import java.util.Map;

/**
 * The latest features of one entity.
 *
 * @param hot  hot features as stored (JSON types)
 * @param cold cold features, or null when they were not asked for or there are none
 */
public record OnlineRow(String entityId, Instant eventTimestamp, Instant ingestedAt, int featureVersion,
                        Map<String, Object> hot, Map<String, Object> cold) {}
