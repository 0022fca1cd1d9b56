package dev.converge.train;

import water.H2O;
import water.H2ONode;

/**
 * A member of this JVM's H2O cloud gone silent: H2O has no recovery for it (a cloud is fixed once formed, and work on
 * the lost member's chunks waits for it forever), so the training that needs it can only fail, say which node, and
 * leave re-forming the cloud (restarting its nodes) to the next run. Thrown by the fan-out once it has recorded the
 * sweep's tasks as failed.
 */
public final class CloudLost extends RuntimeException {
    /** Heartbeats come every second; a member silent this long is gone, not slow. */
    public static final long SILENT_MILLIS = 10_000;

    public CloudLost(String message) {
        super(message);
    }

    /** The first member other than this node not heard from for {@code silentMillis}, described, or null. */
    public static String silentMember(long silentMillis) {
        H2O cloud = H2O.CLOUD;
        if (cloud == null || cloud.size() <= 1) {
            return null;
        }
        long now = System.currentTimeMillis();
        for (H2ONode n : cloud.members()) {
            if (n != H2O.SELF && n._last_heard_from > 0 && now - n._last_heard_from > silentMillis) {
                return "H2O node " + n.getIpPortString() + " (not heard from for " + (now - n._last_heard_from) / 1000
                        + " s)";
            }
        }
        return null;
    }
}
