package dev.converge.serve.experiment;

import dev.converge.registry.Deployment;
import dev.converge.serve.model.ModelHandle;
import dev.converge.serve.predict.ModelRef;
import java.util.Locale;

/**
 * Guards canaries: once a second, for each split challenger with a canary and a share above 0, compares its window
 * (since the deployment last changed) with the champion's. A breach (error rate above the champion's by more than
 * the bound, or p99 above the bound's multiple of the champion's plus its slack), judged on at least the canary's
 * minimum of requests, sets the share to 0 at once; a clean window as long as a step raises the share to the next
 * step. The server writes the decision to the registry, conditional on the deployment being unchanged (so with
 * several replicas judging, the first decision wins and the others re-judge the new step), and every replica follows.
 */
public final class CanaryJudge {
    /** What to write: the deployment judged, the challenger as it should be, and why. */
    public record Decision(Deployment from, Deployment.Challenger changed, String reason, boolean rollback) {}

    private final Variants variants;
    private long deploymentId = -1;
    private long stepStartedAt;

    public CanaryJudge(Variants variants) {
        this.variants = variants;
    }

    /** The decision due now, if any. */
    public synchronized Decision judge(ModelHandle champion, long nowMillis) {
        Variants.Live live = variants.live();
        Deployment d = live.deployment();
        if (champion == null || live.splits().stream().noneMatch(a -> a.challenger().canary() != null)) {
            deploymentId = -1; // judged afresh when a canary appears
            return null;
        }
        VariantStats base = variants.stats(ModelRef.CHAMPION, champion);
        if (d.id() != deploymentId) { // a new step (or a new experiment): windows start over
            deploymentId = d.id();
            stepStartedAt = nowMillis;
            base.restart();
            live.splits().forEach(a -> a.stats().restart());
            return null;
        }
        for (Variants.Arm a : live.splits()) {
            Deployment.Canary c = a.challenger().canary();
            if (c == null || a.challenger().share() == 0) {
                continue;
            }
            VariantStats.Window ch = a.stats().window();
            if (ch.requests() < c.minRequests()) {
                continue;
            }
            VariantStats.Window b = base.window();
            String figures = String.format(Locale.ROOT, "error rate %.2f%% against the champion's %.2f%%, p99 %.1f ms"
                    + " against %.1f ms, over %d requests (champion %d)", 100 * ch.errorRate(), 100 * b.errorRate(),
                    ch.p99Millis(), b.p99Millis(), ch.requests(), b.requests());
            int v = a.model().version();
            if (ch.errorRate() > b.errorRate() + c.maxErrorRateIncrease()) {
                return new Decision(d, a.challenger().withShare(0), "canary of v" + v + " rolled back to 0%: its "
                        + figures + " (bound: the champion's error rate + " + pct(c.maxErrorRateIncrease()) + ")", true);
            }
            if (b.requests() > 0 && ch.p99Millis() > b.p99Millis() * c.maxP99Ratio() + c.p99SlackMillis()) {
                return new Decision(d, a.challenger().withShare(0), "canary of v" + v + " rolled back to 0%: its "
                        + figures + String.format(Locale.ROOT, " (bound: %.2fx the champion's p99 + %.1f ms)",
                        c.maxP99Ratio(), c.p99SlackMillis()), true);
            }
            if (nowMillis - stepStartedAt >= c.stepSeconds() * 1000L) {
                for (double step : c.steps()) {
                    if (step > a.challenger().share() + 1e-9) {
                        return new Decision(d, a.challenger().withShare(step), "canary of v" + v + " raised to "
                                + pct(step) + " after " + c.stepSeconds() + " s within bounds: " + figures, false);
                    }
                }
            }
        }
        return null;
    }

    private static String pct(double share) {
        return java.math.BigDecimal.valueOf(100 * share).round(new java.math.MathContext(4)).stripTrailingZeros()
                .toPlainString() + "%";
    }
}
