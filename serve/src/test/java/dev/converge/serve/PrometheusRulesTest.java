package dev.converge.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The shipped Prometheus alert rules are valid and fire as their unit tests say ({@code promtool}, from Debian's
 * prometheus package; CI installs it). On a machine without promtool the test is skipped, saying so.
 */
class PrometheusRulesTest {
    static final Path RULES = Path.of(System.getProperty("converge.root", "..")).resolve("deploy/prometheus");

    static String promtool(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "promtool";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(RULES.toFile()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("promtool is not installed (apt-get install prometheus): the rules were not checked");
            return null;
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void theRulesAreValidAndFireAsTheirTestsSay() throws Exception {
        assertThat(Files.isRegularFile(RULES.resolve("converge-rules.yml"))).isTrue();

        assertThat(promtool("check", "rules", "converge-rules.yml")).contains("SUCCESS: 6 rules found");
        assertThat(promtool("test", "rules", "converge-rules.test.yml")).contains("SUCCESS");
    }
}
