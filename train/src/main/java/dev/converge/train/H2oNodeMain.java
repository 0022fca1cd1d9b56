package dev.converge.train;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A standalone H2O node that joins a cloud over a flatfile and serves it until its parent closes stdin (or a time
 * limit passes). Used to form multi-node clouds: by the 2-node test, and by a StatefulSet.
 *
 * <p>Arguments: {@code name bindAddress port flatfile cloudSize workDir maxSeconds}. Environment:
 * {@code H2O_INTERNAL_SECURITY_CONF} (H2O's internode TLS properties) and {@code H2O_ALLOW_INSECURE=true}, as
 * {@link H2oCloud.Config} requires for an address other hosts can reach.
 */
public final class H2oNodeMain {
    private H2oNodeMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: H2oNodeMain name bindAddress port flatfile cloudSize workDir maxSeconds");
            System.exit(2);
        }
        H2oCloud.Config config = new H2oCloud.Config(args[0], args[1], Integer.parseInt(args[2]), Path.of(args[3]),
                Integer.parseInt(args[4]), Path.of(args[5]), -1, Duration.ofSeconds(120),
                System.getenv("H2O_INTERNAL_SECURITY_CONF") == null ? null
                        : Path.of(System.getenv("H2O_INTERNAL_SECURITY_CONF")),
                "true".equals(System.getenv("H2O_ALLOW_INSECURE")));
        long maxMillis = Long.parseLong(args[6]) * 1000;
        Thread stop = new Thread(() -> {
            try {
                long deadline = System.currentTimeMillis() + maxMillis;
                while (System.in.read() >= 0 && System.currentTimeMillis() < deadline) {
                    // keep serving while the parent holds our stdin open
                }
            } catch (Exception ignored) {
                // stdin gone: the parent is gone
            }
            Runtime.getRuntime().halt(0);
        }, "converge-node-lifeline");
        stop.setDaemon(true);
        stop.start();
        H2oCloud.start(config);
        System.out.println("h2o node up: " + config.bindAddress() + ":" + config.port() + " cloud size "
                + H2oCloud.size());
        System.out.flush();
        Thread.sleep(maxMillis);
        Runtime.getRuntime().halt(0);
    }
}
