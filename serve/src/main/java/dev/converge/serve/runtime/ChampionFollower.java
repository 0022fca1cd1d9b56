package dev.converge.serve.runtime;

import dev.converge.registry.ChampionNotice;
import dev.converge.serve.model.ModelHandle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one model's runtime on the registry's champion: on every notice on the registry's channel, on every
 * (re)subscription (notices sent while the subscriber was reconnecting are lost) and every {@link #POLL_MILLIS} as a
 * backstop, the champion is re-read and the runtime converges to it. A notice is only a hint: its version is never
 * trusted over the registry's (a rollback sent while the promoted version was still loading would otherwise be
 * dropped), and the channel being database-wide, a notice from another schema's registry costs one re-read and
 * changes nothing.
 */
public final class ChampionFollower {
    private static final Logger LOG = LoggerFactory.getLogger(ChampionFollower.class);

    /** How often the champion is re-read even when no notice came. */
    public static final long POLL_MILLIS = 30_000;

    private final ModelRuntime runtime;
    private final Vertx vertx;
    private final AtomicBoolean following = new AtomicBoolean();
    private final AtomicLong noticesSeen = new AtomicLong();
    private volatile boolean followAgain;
    /** The registry's champion as last followed (null before the first load). */
    private volatile Integer followed;
    private long poll = -1;

    ChampionFollower(ModelRuntime runtime, Vertx vertx) {
        this.runtime = runtime;
        this.vertx = vertx;
    }

    /**
     * A notice on the registry's channel ({@link ModelSet} subscribes once for every model): counted, and followed
     * when it names this model or cannot be read.
     */
    void notice(String payload) {
        noticesSeen.incrementAndGet();
        ChampionNotice notice = ChampionNotice.decode(payload).orElse(null);
        if (notice == null || notice.model().equals(runtime.name())) {
            follow("notice '" + payload + "'");
        }
    }

    /** Records the champion the first load found, so that an unchanged registry does not load it again. */
    void followed(int version) {
        followed = version;
    }

    /** Turns the periodic re-read on or off (tests: a reconnect must pick a change up without it). */
    public synchronized void polling(boolean on) {
        if (poll >= 0) {
            vertx.cancelTimer(poll);
            poll = -1;
        }
        if (on) {
            poll = vertx.setPeriodic(POLL_MILLIS, POLL_MILLIS, id -> follow("periodic check"));
        }
    }

    /** Champion notices received on the channel (tests: which notices the server has seen). */
    public long noticesSeen() {
        return noticesSeen.get();
    }

    /**
     * Completes once at least {@code notices} notices have been received and the passes they started have ended,
     * with none pending (tests: "the last word wins" is then observable without sleeping, and without a pass of the
     * test's own that would do the server's work for it).
     */
    public Future<Void> awaitFollowed(long notices) {
        Promise<Void> done = Promise.promise();
        vertx.setPeriodic(0, 20, id -> {
            if (noticesSeen.get() >= notices && !following.get() && !followAgain) {
                vertx.cancelTimer(id);
                done.tryComplete();
            }
        });
        return done.future();
    }

    /**
     * Converges the runtime on the registry's champion, one pass at a time: a request that comes while a pass (and
     * the load it started) runs makes one more pass run after it, so the last word always wins.
     */
    public void follow(String why) {
        followAgain = true;
        if (following.compareAndSet(false, true)) {
            pass(why);
        }
    }

    private void pass(String why) {
        followAgain = false;
        runtime.championVersion().<Void>compose(champion -> {
            ModelHandle active = runtime.active();
            if (champion.isEmpty() || active != null && (champion.get().equals(followed)
                    || active.version() == champion.get())) {
                // Unchanged since we last followed it (an operator's /admin activation stands until the registry
                // moves), or already served. With nothing served (the first load found no champion, or it was
                // refused), a champion is loaded.
                champion.ifPresent(v -> followed = v);
                return Future.succeededFuture();
            }
            int v = champion.get();
            followed = v;
            LOG.info("registry's champion of {} is v{} ({}), serving {}; swapping", runtime.name(), v, why,
                    active == null ? "nothing" : "v" + active.version());
            return runtime.activate(v).<Void>mapEmpty().onFailure(e -> LOG.error("champion v{} refused: {}", v,
                    e.getMessage()));
        }).compose(v -> runtime.deployments().follow(why)).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("could not re-read the champion of {} ({}): {}", runtime.name(), why,
                        ar.cause().getMessage());
            }
            following.set(false);
            if (followAgain && following.compareAndSet(false, true)) {
                pass("a notice during the last pass");
            }
        });
    }

    void close() {
        polling(false);
    }
}
