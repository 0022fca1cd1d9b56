package dev.converge.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import water.H2O;
import water.H2OStarter;

/**
 * The embedded H2O node of this JVM, alone or as a member of a multi-node cloud formed over a flatfile. H2O can
 * start once per JVM; later calls with the same settings return the running node.
 *
 * <p>The RPC port binds to {@code bindAddress} (loopback by default). H2O's REST API and Flow are not started
 * ({@code -disable_web}): converge drives H2O in-process, and the bundled Jetty dates from 2018. A node bound to
 * an address other hosts can reach runs H2O's internode TLS ({@code -internal_security_conf}: every member
 * authenticates with the cloud's certificate, and traffic is encrypted) or is refused, unless the operator accepts
 * an open cloud with {@code h2o.allow_insecure}. Logs and spill files go under {@code workDir}. Start-up runs under a watchdog: a node that fails to
 * form its cloud in time can leave non-daemon threads behind, so the watchdog ends the process rather than let it
 * hang.
 */
public final class H2oCloud {
    private static final Logger LOG = LoggerFactory.getLogger(H2oCloud.class);
    private static Config started;

    /**
     * @param name         cloud name; members of one cloud share it
     * @param bindAddress  address for the RPC and REST ports
     * @param port         REST port (RPC is port + 1)
     * @param flatfile     members as {@code ip:port} lines, or null for a single node
     * @param expectedSize how many nodes must join before training starts
     * @param workDir      logs and ice root
     * @param nthreads     H2O's worker threads per node, or -1 for all cores
     * @param formTimeout  how long to wait for the cloud to form
     * @param securityConf H2O's internal security properties file (keystore, truststore and their passwords for
     *                     internode TLS), or null
     * @param allowInsecure accept a node reachable from other hosts without internode TLS
     * @param role         what this JVM is in the cloud ({@code h2o.role})
     */
    public record Config(String name, String bindAddress, int port, Path flatfile, int expectedSize, Path workDir,
                         int nthreads, Duration formTimeout, Path securityConf, boolean allowInsecure, Role role) {
        /** As a member of a cloud formed with its peers (the default). */
        public Config(String name, String bindAddress, int port, Path flatfile, int expectedSize, Path workDir,
                      int nthreads, Duration formTimeout, Path securityConf, boolean allowInsecure) {
            this(name, bindAddress, port, flatfile, expectedSize, workDir, nthreads, formTimeout, securityConf,
                    allowInsecure, Role.MEMBER);
        }

        /** A node without internode TLS: on loopback only, unless {@code allowInsecure} is later set. */
        public Config(String name, String bindAddress, int port, Path flatfile, int expectedSize, Path workDir,
                      int nthreads, Duration formTimeout) {
            this(name, bindAddress, port, flatfile, expectedSize, workDir, nthreads, formTimeout, null, false);
        }

        public Config {
            Objects.requireNonNull(name, "h2o.name");
            Objects.requireNonNull(bindAddress, "h2o.bind");
            Objects.requireNonNull(workDir, "h2o.work_dir");
            if (port < 1024 || port > 65000) {
                throw new IllegalArgumentException("h2o.port must be within 1024..65000, was " + port);
            }
            if (expectedSize < 1) {
                throw new IllegalArgumentException("h2o.cloud_size must be >= 1, was " + expectedSize);
            }
            if (securityConf == null && !allowInsecure && !loopback(bindAddress)) {
                throw new IllegalArgumentException("h2o.bind is " + bindAddress + ", which other hosts can reach, and"
                        + " H2O's internode traffic is neither authenticated nor encrypted without TLS: set"
                        + " h2o.internal_security_conf to H2O's security properties (docs/operations.md), or"
                        + " h2o.allow_insecure=true on a network only the cloud's members can reach");
            }
            if (securityConf != null && !java.nio.file.Files.isReadable(securityConf)) {
                throw new IllegalArgumentException("h2o.internal_security_conf " + securityConf + " cannot be read");
            }
            Objects.requireNonNull(role, "h2o.role");
            if (role == Role.CLIENT && flatfile == null) {
                throw new IllegalArgumentException("h2o.role is client, but no h2o.flatfile (or Kubernetes discovery,"
                        + " H2O_KUBERNETES_SERVICE_DNS) names the cloud's nodes to join");
            }
            if (expectedSize > 1 && flatfile == null) {
                throw new IllegalArgumentException("h2o.cloud_size is " + expectedSize + " but no h2o.flatfile names"
                        + " the other members");
            }
        }

        public static Config local(Path workDir, int port) {
            return new Config("converge-" + ProcessHandle.current().pid(), "127.0.0.1", port, null, 1, workDir, -1,
                    Duration.ofSeconds(60));
        }

        /** The arguments {@code water.H2OStarter} takes for this config. */
        public List<String> args() {
            List<String> a = new ArrayList<>(List.of("-name", name, "-ip", bindAddress, "-web_ip", "127.0.0.1",
                    "-port", Integer.toString(port), "-log_dir", workDir.resolve("logs").toString(),
                    "-ice_root", workDir.resolve("ice").toString(), "-disable_web", "-disable_flow",
                    "-log_level", "WARN"));
            if (securityConf != null) {
                a.addAll(List.of("-internal_security_conf", securityConf.toString()));
            }
            if (role == Role.NODE) {
                a.add("-allow_clients");
            } else if (role == Role.CLIENT) {
                a.add("-client");
            }
            // A lone node gets a flatfile naming only itself: without one H2O discovers members by multicast, and
            // another H2O on the machine (a test's, a second training) could be heard.
            a.addAll(List.of("-flatfile", (flatfile != null ? flatfile : workDir.resolve("flatfile-self")).toString()));
            if (nthreads > 0) {
                a.addAll(List.of("-nthreads", Integer.toString(nthreads)));
            }
            return a;
        }
    }

    /**
     * What a JVM is in its cloud. {@code member}: a node of a cloud formed by its members together, this one
     * included (a lone node, the loopback clouds of the tests). {@code node}: a data node of a long-lived cloud
     * (`converge h2o-node`, a Kubernetes StatefulSet) that lets clients join it. {@code client}: a training driver
     * that joins such a cloud without holding data ({@code h2o.cloud_size} counts the nodes, not the client):
     * frames and models live on the nodes, and the governor sizes the fan-out from their free memory.
     */
    public enum Role {
        MEMBER, NODE, CLIENT;

        public static Role parse(String s) {
            return switch (s) {
                case "member" -> MEMBER;
                case "node" -> NODE;
                case "client" -> CLIENT;
                default -> throw new IllegalArgumentException("h2o.role must be member, node or client, was '" + s
                        + "'");
            };
        }
    }

    /**
     * The cloud's memory for the governor when this JVM is a client: the free heap of its most loaded node times the
     * number of nodes (a frame's chunks, and so a model's working set, spread over all of them), or -1 when this JVM
     * is a member, whose own heap is the budget.
     */
    public static long clientBudgetBytes() {
        if (started == null || started.role() != Role.CLIENT) {
            return -1;
        }
        long min = Long.MAX_VALUE;
        int n = 0;
        for (water.H2ONode node : H2O.CLOUD.members()) {
            min = Math.min(min, node._heartbeat.get_free_mem());
            n++;
        }
        return n == 0 ? -1 : min * n;
    }

    private H2oCloud() {}

    static boolean loopback(String address) {
        try {
            return java.net.InetAddress.getByName(address).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /**
     * The first port from {@code from} such that it and the next one (H2O's REST and RPC ports) are both free on
     * {@code bindAddress}. A single node needs no fixed port, and two trainings on one machine must not collide.
     */
    public static int freePortPair(String bindAddress, int from) {
        for (int port = from; port < from + 200; port += 2) {
            if (free(bindAddress, port) && free(bindAddress, port + 1)) {
                return port;
            }
        }
        throw new IllegalStateException("no two consecutive free ports on " + bindAddress + " within " + from
                + ".." + (from + 200) + "; set h2o.port");
    }

    private static boolean free(String bindAddress, int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new java.net.InetSocketAddress(bindAddress, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Starts this JVM's node and waits for the cloud to reach its expected size. */
    public static synchronized void start(Config config) {
        if (started != null) {
            if (!started.equals(config)) {
                throw new IllegalStateException("H2O already runs in this JVM as " + started
                        + "; it cannot restart as " + config);
            }
            return;
        }
        if (Runtime.version().feature() > 17) {
            System.setProperty("sys.ai.h2o.debug.allowJavaVersions", Integer.toString(Runtime.version().feature()));
        }
        try {
            Files.createDirectories(config.workDir());
            if (config.flatfile() == null) {
                Files.writeString(config.workDir().resolve("flatfile-self"), config.bindAddress() + ":" + config.port()
                        + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create H2O work directory " + config.workDir(), e);
        }
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(config.formTimeout().toMillis() + 15_000);
                LOG.error("H2O did not start within {}; exiting so that no stray threads keep the JVM alive",
                        config.formTimeout());
                Runtime.getRuntime().halt(70);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "converge-h2o-start-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        long t0 = System.nanoTime();
        try {
            H2OStarter.start(config.args().toArray(String[]::new), true);
            H2O.waitForCloudSize(config.expectedSize(), config.formTimeout().toMillis());
        } finally {
            watchdog.interrupt();
        }
        started = config;
        LOG.info("H2O cloud '{}' of {} node(s) up in {} ms", config.name(), H2O.getCloudSize(),
                (System.nanoTime() - t0) / 1_000_000);
        if (H2O.ABV.isTooOld()) {
            // H2O's own start-up warning cannot be turned off; say why it does not apply here.
            LOG.info("H2O {} is pinned on purpose: the newest release whose training jars are on Maven Central"
                    + " (the root pom's h2o.version); its \"over 100 days old\" notice above is expected",
                    H2O.ABV.projectVersion());
        }
    }

    public static int size() {
        return H2O.getCloudSize();
    }
}
