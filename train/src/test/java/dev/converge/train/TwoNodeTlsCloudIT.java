package dev.converge.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import water.fvec.Frame;

/**
 * A 2-node cloud whose members talk over H2O's internode TLS (a keystore made here with the JDK's keytool), as a
 * node bound to a reachable address must: the cloud forms and trains over it. (That a node without the certificate
 * is kept out is H2O's own TLS handshake, not tested here.)
 */
class TwoNodeTlsCloudIT {
    @Test
    void twoNodesWithInternodeTlsFormACloudAndTrain(@TempDir Path work) throws Exception {
        Path jks = work.resolve("node.jks");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "h2o", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=converge-h2o", "-storetype", "JKS", "-keystore", jks.toString(),
                "-storepass", "changeit-0123", "-keypass", "changeit-0123").redirectErrorStream(true).start();
        assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
        Path conf = Files.writeString(work.resolve("security.properties"), String.join("\n",
                "h2o_ssl_protocol=TLSv1.2",
                "h2o_ssl_jks_internal=" + jks, "h2o_ssl_jks_password=changeit-0123",
                "h2o_ssl_jts=" + jks, "h2o_ssl_jts_password=changeit-0123", ""));
        Path flatfile = work.resolve("flatfile");
        int a = H2oCloud.freePortPair("127.0.0.1", 54480); // free pairs: fixed ports may be held by other sockets
        int b = H2oCloud.freePortPair("127.0.0.1", a + 10);
        Files.writeString(flatfile, "127.0.0.1:" + a + "\n127.0.0.1:" + b + "\n");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-Dsys.ai.h2o.debug.allowJavaVersions=" + Runtime.version().feature(),
                "-cp", System.getProperty("java.class.path"), H2oNodeMain.class.getName(),
                "converge-tls", "127.0.0.1", Integer.toString(b), flatfile.toString(), "2", work.resolve("b").toString(), "300");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(work.resolve("node-b.log").toFile());
        pb.environment().put("H2O_INTERNAL_SECURITY_CONF", conf.toString());
        Process other = pb.start();
        try {
            H2oCloud.Config config = new H2oCloud.Config("converge-tls", "127.0.0.1", a, flatfile, 2,
                    work.resolve("a"), -1, Duration.ofSeconds(90), conf, false);
            assertThat(config.args()).contains("-internal_security_conf");
            H2oCloud.start(config);

            assertThat(H2oCloud.size()).isEqualTo(2);
            assertThat(water.H2O.ARGS.internal_security_conf).isEqualTo(conf.toString());
            TrainingTable table = TrainingTable.fromPit(SyntheticData.rows(3000, 5), SyntheticData.SCHEMA, "label",
                    List.of(), null);
            int[] all = table.allRows();
            Frame train = table.toFrame(java.util.Arrays.copyOfRange(all, 0, 2400), "tls_train");
            Frame test = table.toFrame(java.util.Arrays.copyOfRange(all, 2400, 3000), "tls_test");
            Trainer.Trained t = Trainer.train(new TaskConfig("gbm", Map.of("ntrees", 10, "max_depth", 3), null),
                    train, test, "label");
            assertThat((Double) t.metrics().get("auc")).isGreaterThan(0.8);
        } finally {
            // Not destroyed: H2O in this JVM would see a member of its locked cloud vanish and exit with 255 before
            // the test JVM ends. The other node halts when this JVM exits and closes its stdin.
        }
    }
}
